"""The plain LangChain RAG baseline the evaluation compares against.

Same documents, same embedder, same LLM; what it lacks is this project's design: a 1000/200
character splitter instead of structure-aware units, top-4 dense retrieval instead of hybrid
fusion, a generic prompt, and no citation or grounding step. A follow-up is handled the plain
way: the earlier turns go to the model as chat messages, and the previous question is added to
the retrieval query.
"""

from __future__ import annotations

import time

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_text_splitters import RecursiveCharacterTextSplitter

from amzn_qa.config import Settings
from amzn_qa.ingest.convert import to_markdown
from amzn_qa.ingest.documents import chunk_markdown, corpus_files
from amzn_qa.ingest.index import settings_embeddings
from amzn_qa.answer.llm import chat_model, model_label

PROMPT = ChatPromptTemplate.from_messages([
    MessagesPlaceholder("history"),
    ("human", "Answer the question based only on the following context:\n{context}\n\nQuestion: {question}"),
])


class BaselineRAG:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = model_label(settings)
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        texts, metadatas = [], []
        for path in corpus_files(settings.corpus_dir):
            text = to_markdown(path).text
            units = chunk_markdown(text, path.name)
            for doc in splitter.create_documents([text]):
                line = text.count("\n", 0, doc.metadata["start_index"]) + 1
                end = line + doc.page_content.count("\n")
                covering = [u for u in units if u.start_line <= end] or units[:1]
                texts.append(doc.page_content)
                metadatas.append({
                    "source": path.name, "section": covering[-1].section,
                    "start_line": line, "end_line": end,
                })
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma.from_texts(
            texts, settings_embeddings(settings), metadatas=metadatas, client=client, collection_name="baseline"
        )

    def retrieve(self, question: str, history: list[dict]):
        """Top-4 chunks by similarity to the question, with the previous question in front."""
        previous = [t["content"] for t in history if t.get("role") == "user"]
        return self.store.similarity_search(f"{previous[-1]} {question}" if previous else question, k=4)

    def ask(self, question: str, history: list[dict]) -> tuple[dict, list[str], list[str]]:
        """The --json shape, the ranked sections and the texts of what it 'cites' (its context)."""
        started = time.perf_counter()
        docs = self.retrieve(question, history)
        retrieved = time.perf_counter()
        chain = PROMPT | chat_model(self.settings) | StrOutputParser()
        answer = chain.invoke({
            "context": "\n\n".join(d.page_content for d in docs), "question": question,
            "history": [{"role": t["role"], "content": t["content"]} for t in history],
        }).strip()
        total = (time.perf_counter() - started) * 1000
        result = {
            "question": question, "answer": answer, "refused": False, "grounded": True,
            "citations": [
                {"n": n, "chunk_id": "", "quote": "", **d.metadata} for n, d in enumerate(docs, 1)
            ],
            "timings": {"retrieve_ms": round((retrieved - started) * 1000, 1), "total_ms": round(total, 1)},
            "model": self.model, "mode": "answer",
        }
        return result, [d.metadata["section"] for d in docs], [d.page_content for d in docs]
