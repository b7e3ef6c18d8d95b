"""The answer chain: every front end (CLI, web, API, Slack, MCP, evaluation) calls
`AnswerChain.stream` or `.ask`; none of them reaches the retriever or the LLM directly.

A question runs through the stages of `pipeline.STAGES` (README "How it works"), carried by one
`AnswerState`; the Answer's `trace` names the stages that ran and the rule that decided it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterator

from amzn_qa.answer.answers import MODES, NOT_COVERED, Answer, Citation, Event, Progress, Token
from amzn_qa.answer.generation import SYSTEM_PROMPT
from amzn_qa.answer.llm import model_label
from amzn_qa.answer.pipeline import answered, check_disabled
from amzn_qa.answer.question import QuestionError, overrides_instructions, validate_history, validate_question
from amzn_qa.answer.retrieval import HybridRetriever
from amzn_qa.answer.state import AnswerState
from amzn_qa.answer.understand import History
from amzn_qa.answer.vocabulary import Vocabulary
from amzn_qa.config import Settings

# What the front ends and scripts import from here; the definitions live in the modules above.
__all__ = [
    "MODES", "NOT_COVERED", "SYSTEM_PROMPT", "Answer", "AnswerChain", "Citation", "Event", "History",
    "Progress", "QuestionError", "Token", "overrides_instructions", "validate_history", "validate_question",
]


class AnswerChain:
    def __init__(self, settings: Settings | None = None, retriever: HybridRetriever | None = None):
        self.settings = settings or Settings()
        check_disabled(self.settings.disable)
        self.retriever = retriever or HybridRetriever(self.settings)
        self.take_in_units()
        self.model = model_label(self.settings)

    def ask(self, question: str, history: History | None = None, k: int | None = None,
            documents: Collection[str] | None = None) -> Answer:
        return next(e for e in self.stream(question, history, k, documents=documents) if isinstance(e, Answer))

    def reload(self) -> None:
        """Take in documents ingested since the chain was made."""
        self.retriever.reload()
        self.take_in_units()

    def take_in_units(self) -> None:
        """Rebuild the vocabulary from the retriever's units, once a shared retriever reloaded."""
        self._vocabulary_of = self.retriever.units
        self.vocabulary = Vocabulary.of(self._vocabulary_of)

    def catch_up(self) -> None:
        """Take in what an ingest in another process wrote since the last question; the
        retriever may be shared, and another chain may have reloaded it already."""
        self.retriever.catch_up()
        if self._vocabulary_of is not self.retriever.units:
            self.take_in_units()

    def stream(
        self, question: str, history: History | None = None, k: int | None = None,
        cancel: threading.Event | None = None, documents: Collection[str] | None = None,
    ) -> Iterator[Event]:
        """`Progress` while the model drafts, then the checked answer's text as `Token`s (a line
        or sentence each; joined, they are its text), then the `Answer` (always last).

        Setting `cancel` (the client went away) stops the generation and frees the model;
        `documents` (file names) limits the answer to those documents.
        """
        started = time.perf_counter()
        question = validate_question(question, self.settings)
        self.catch_up()
        state = AnswerState(question, history or [], documents, k, cancel, frozenset(self.settings.disable), started)
        answer = yield from answered(self, state)
        yield answer
