"""An MCP server (the official `mcp` SDK): tools `ask` and `search`, and each document as a
resource. `amzn-qa mcp` serves it over stdio; `amzn-qa serve` mounts it at /mcp (streamable HTTP,
behind the same authentication as /v1).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field

from amzn_qa.answer.chain import Citation

if TYPE_CHECKING:
    from fastapi import FastAPI

    from amzn_qa.answer.chain import AnswerChain
    from amzn_qa.config import Settings
    from amzn_qa.frontends.backend import Backend

RESOURCE_PREFIX = "amzn-qa://documents/"
# Text documents are served as text, the others (PDF, Word, any type ingest learns later) as
# base64 blobs.
MIME_TYPES = {
    ".md": "text/markdown", ".markdown": "text/markdown", ".txt": "text/plain", ".html": "text/html",
    ".htm": "text/html", ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskResult(BaseModel):
    answer: str = Field(description="The answer, with [n] markers pointing at the citations")
    refused: bool = Field(description="True when the documents do not answer the question")
    mode: str = Field(description="How the answer came about (see the README's `ask --json`)")
    citations: list[Citation]  # the chain's own citation, as `ask --json` gives it
    trace: list[dict] = Field(description="The stages that ran and the rule that decided (see the README's `ask --json`)")


class Passage(BaseModel):
    source: str
    section: str
    start_line: int
    end_line: int
    text: str
    score: float = Field(description="Reciprocal-rank fusion score of the dense and keyword searches")


class SearchResult(BaseModel):
    passages: list[Passage]


def build_server(settings: Settings, chain: Callable[[], AnswerChain]):
    """The MCP server over `chain` (called per request, so the models load on first use)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    from amzn_qa.answer.chain import QuestionError, validate_history, validate_question
    from amzn_qa.ingest.catalog import UnknownDocument, selected_documents
    from amzn_qa.ingest.index import IndexUnavailable

    server = MCPServer("amzn-qa", instructions="Cited answers from the AMZN technical analysis documents.")

    @server.tool()
    def ask(question: str, history: list[Turn] | None = None, documents: list[str] | None = None,
            ticker: str | None = None) -> AskResult:
        """Answer a question from the documents, with numbered citations (document, section, lines);
        `documents` (file names) or `ticker` limit the answer to those documents."""
        turns = [turn.model_dump() for turn in history or []]
        try:
            validate_history(turns, settings)
            qa = chain()
            answer = qa.ask(question, turns, documents=selected_documents(qa.retriever.units, documents, ticker))
        except (QuestionError, IndexUnavailable, UnknownDocument) as err:
            raise ToolError(str(err)) from err
        return AskResult.model_validate(answer.to_json())

    @server.tool()
    def search(query: str, k: Annotated[int, Field(ge=1, le=20)] = 5) -> SearchResult:
        """The passages of the documents that best match `query`, best first (no LLM involved)."""
        try:
            hits = chain().retriever.retrieve(validate_question(query, settings), k)
        except (QuestionError, IndexUnavailable) as err:
            raise ToolError(str(err)) from err
        return SearchResult(passages=[
            Passage(source=h.unit.source, section=h.unit.section, start_line=h.unit.start_line,
                    end_line=h.unit.end_line, text=h.unit.text, score=h.score) for h in hits
        ])

    for resource in document_resources(settings):
        server.add_resource(resource)
    return server


def document_resources(settings: Settings) -> list:
    """One MCP resource per document of the corpus that ingest reads."""
    from mcp.server.mcpserver.resources import FileResource

    from amzn_qa.ingest.convert import DOCUMENT_SUFFIXES

    return [
        FileResource(uri=RESOURCE_PREFIX + path.name, name=path.name, path=path.resolve(),
                     mime_type=MIME_TYPES.get(path.suffix.lower(), "application/octet-stream"),
                     description=f"The document {path.name}")
        for path in sorted(settings.corpus_dir.glob("*")) if path.suffix.lower() in DOCUMENT_SUFFIXES
    ]


def serve_stdio(settings: Settings) -> None:
    from amzn_qa.answer.chain import AnswerChain

    chains: list[AnswerChain] = []
    lock = threading.Lock()  # tool calls run in worker threads; the models load once

    def chain() -> AnswerChain:
        with lock:
            if not chains:
                chains.append(AnswerChain(settings))
        chains[0].catch_up()  # `search` does not go through the chain's own catch-up
        return chains[0]

    build_server(settings, chain).run("stdio")


def mount(app: FastAPI, backend: Backend) -> None:
    """Streamable HTTP at /mcp, stateless (each request stands alone, as /api's do); its
    session manager runs inside the app's lifespan."""
    server = build_server(backend.settings, backend.chain)
    # DNS-rebinding protection (Host and Origin checks) when listening on loopback only.
    mcp_app = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True,
                                         host=backend.settings.host)
    app.router.routes.extend(mcp_app.routes)
    outer = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI):
        async with outer(app_) as state, server.session_manager.run():
            yield state

    app.router.lifespan_context = lifespan
