"""The state one question carries through the answer stages (answer/stages.py), and what every
stage may use besides it (`Tools`: the chain's settings, retriever, vocabulary and model)."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from amzn_qa.answer.answers import Answer
from amzn_qa.answer.retrieval import Focused, Hit, HybridRetriever
from amzn_qa.answer.understand import FACT, History, Turn
from amzn_qa.answer.vocabulary import Vocabulary
from amzn_qa.config import Settings
from amzn_qa.ingest.documents import Unit


class Tools(Protocol):
    """What the stages work with besides the state; an `AnswerChain` is one."""

    settings: Settings
    retriever: HybridRetriever
    vocabulary: Vocabulary
    model: str


@dataclass(frozen=True)
class Decision:
    """The named rule that decided an answer, the units it read (ids) and what it found."""

    rule: str
    evidence: Iterable[str] = ()
    detail: str = ""


@dataclass
class AnswerState:
    """One question on its way through the stages. Each stage reads what the stages before it
    left here and adds its own part; the first to set `answer` finishes it (the later stages
    then skip, but for those that finish any answer). A compound question's parts are states
    of their own (`parts`), sharing its clock, timings and switched-off rules."""

    typed: str  # the question as asked (validated)
    history: History = field(default_factory=list)
    documents: Collection[str] | None = None  # file names the answer may come from
    k: int | None = None  # sources asked for; None: the form's default
    cancel: threading.Event | None = None  # set when the client went away
    disabled: frozenset[str] = frozenset()  # stages and rules switched off (Settings.disable)
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)  # retrieve_ms, ttft_ms, total_ms
    turn: Turn | None = None  # the question as understood; at first, as typed
    parts: list[AnswerState] = field(default_factory=list)
    form: str = FACT
    hits: list[Hit] = field(default_factory=list)
    earlier_label: str = ""  # what the earlier turn's best passage is about (understand.focus_query)
    corpus: list[Unit] = field(default_factory=list)  # every indexed unit, as retrieval saw them
    subject: frozenset[str] = frozenset()  # the corpus's subject names (Vocabulary.subject)
    focused: list[Focused] = field(default_factory=list)  # the statements the answer is drawn from
    draft: str = ""  # the model's text as it streamed
    notice: str = ""  # why the model gave no draft (failure, timeout)
    answer: Answer | None = None
    trace: list[dict] = field(default_factory=list)
    noted: dict = field(default_factory=dict)  # the running stage's decision or detail, for its trace entry

    def __post_init__(self) -> None:
        if self.turn is None:
            self.turn = Turn(self.typed, self.typed, documents=self.documents)

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled

    def part(self, turn: Turn) -> AnswerState:
        """The state of one part of a compound question (or of the whole, when it is one)."""
        return AnswerState(self.typed, self.history, self.documents, self.k, self.cancel, self.disabled,
                           self.started, self.timings, turn)

    def decide(self, answer: Answer, decision: Decision) -> None:
        """Finish the answer, and name in the trace the rule that decided it."""
        self.answer = answer
        self.noted = {"rule": decision.rule, "evidence": list(decision.evidence), "detail": decision.detail}

    def note(self, detail: str) -> None:
        """What the running stage found or changed without deciding the answer, for the trace."""
        self.noted["detail"] = detail


def elapsed_ms(since: float) -> float:
    """Milliseconds since `since` (a `time.perf_counter()` reading)."""
    return (time.perf_counter() - since) * 1000
