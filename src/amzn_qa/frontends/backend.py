"""What the front ends of `amzn-qa serve` share (the API, the chat, /v1, /mcp and Slack's
events): one answer chain per model, made on first use and kept up to date with the index, and
the feedback store.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from pathlib import Path

from amzn_qa.answer.chain import AnswerChain, QuestionError
from amzn_qa.config import Settings
from amzn_qa.frontends.feedback import FeedbackStore
from amzn_qa.ingest.catalog import DocumentInfo, UnknownDocument, documents_of, selected_documents
from amzn_qa.ingest.index import IndexUnavailable, IngestReport, add_document, embeddings
from amzn_qa.models import ModelUnavailable


class Backend:
    """What the front ends share: one answer chain per model, and the feedback store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.feedback = FeedbackStore(settings.feedback_db)
        self._chains: dict[str, AnswerChain] = {}
        self._lock = threading.Lock()

    def chain(self, llm: str | None = None) -> AnswerChain:
        """The chain of a model, up to date with the index: every question and document list
        starts here, so an `amzn-qa ingest` run beside the server is seen at the next one."""
        llm = llm or self.settings.llm
        with self._lock:
            if llm not in self._chains:
                first = next(iter(self._chains.values()), None)
                settings = self.settings.model_copy(update={"llm": llm})
                self._chains[llm] = AnswerChain(settings, first.retriever if first else None)
            chain = self._chains[llm]
        chain.catch_up()
        return chain

    def warm(self) -> None:
        """Open the index and load the embedder before the first question, which would otherwise
        wait seconds for them; what fails here is left for that question to report."""
        with suppress(Exception):
            self.chain()
            embeddings()  # without a cache folder: the model itself (the cache loads it only on a miss)

    def reload(self) -> None:
        """Every chain takes in the documents ingested since it was made; their one shared
        retriever reloads once."""
        with self._lock:
            chains = list(self._chains.values())
            if chains:
                chains[0].retriever.reload()
            for chain in chains:
                chain.take_in_units()

    def add_document(self, path: Path, name: str) -> IngestReport:
        """A checked document copied into the corpus, ingested, and searchable at once."""
        report = add_document(self.settings, path, name)
        self.reload()
        return report

    def documents(self) -> list[tuple[DocumentInfo, int]]:
        """The indexed documents' metadata and unit counts, newest first."""
        return documents_of(self.chain().retriever.units)

    def selected(self, documents: list[str] | None, ticker: str | None) -> frozenset[str] | None:
        """The file names a question is limited to (None: all); an unknown name or ticker is the
        caller's mistake, told in a QuestionError that lists what there is."""
        try:
            return selected_documents(self.chain().retriever.units, documents, ticker)
        except UnknownDocument as err:
            raise QuestionError(str(err)) from err

    def model_loaded(self, llm: str | None = None) -> bool:
        model = self._local_model(llm)
        return model is None or model.loaded

    def _local_model(self, llm: str | None = None):
        """The in-process model of a chain already created, if it runs one."""
        from amzn_qa.answer.llm import LlamaCppChat, chat_model

        chain = self._chains.get(llm or self.settings.llm)
        model = chat_model(chain.settings) if chain else None
        return model if isinstance(model, LlamaCppChat) else None

    def health(self) -> dict:
        index: dict = {"ok": False}
        try:
            units = self.chain().retriever.units
            documents = [{"name": info.name, "title": info.title, "ticker": info.ticker, "date": info.date,
                          "units": count} for info, count in documents_of(units)]
            index = {"ok": True, "units": len(units), "documents": documents}
        except (IndexUnavailable, ModelUnavailable) as err:
            index["error"] = str(err)
        model = self.model_state()
        healthy = index["ok"] and not model["stalled"]
        return {"status": "ok" if healthy else "degraded", "index": index, "model": model}

    def model_state(self) -> dict:
        """The model's name, whether it is loaded, the questions queued for it, and whether it
        has gone longer than the LLM timeout without producing a token (a stuck generation)."""
        local = self._local_model()
        chain = self._chains.get(self.settings.llm)
        state = {"name": chain.model if chain else self.settings.llm, "loaded": self.model_loaded(),
                 "queue": 0, "stalled": False}
        if local is not None and local.loaded:
            state["queue"] = local.worker.queue_length
            state["stalled"] = local.worker.stalled_for() > self.settings.llm_timeout_s
        return state
