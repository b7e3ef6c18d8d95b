"""What a user gets: an `Answer` with its numbered `Citation`s (and `Token`s while it streams),
and the ways the stages make one: a refusal, the closest passage instead of an unverified
answer, the best passage quoted, a checked answer with its citations, parts joined into one."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from amzn_qa.answer.grounding import best_quote
from amzn_qa.answer.markers import CITATION, cited_numbers, renumber_citations
from amzn_qa.answer.understand import Turn
from amzn_qa.ingest.documents import Unit

if TYPE_CHECKING:  # the retriever's libraries stay unloaded where only an answer's shape is needed
    from amzn_qa.answer.retrieval import Focused

NOT_COVERED = "The document does not cover this."


@dataclass
class Citation:
    n: int
    chunk_id: str
    source: str
    section: str
    start_line: int
    end_line: int
    quote: str
    document_title: str = ""  # the cited document's metadata (catalog.DocumentInfo)
    document_date: str = ""
    ticker: str = ""
    page: int | None = None  # PDF page of the cited passage's first line

    @property
    def document(self) -> str:
        """The cited document as a reader knows it: title, ticker and date, then its file name."""
        described = ", ".join(filter(None, [self.document_title, self.ticker, self.document_date]))
        return f"{described} · {self.source}" if described else self.source

    @property
    def location(self) -> str:
        """Where the passage is: the document, its PDF page if it has pages, its lines."""
        page = f", p. {self.page}" if self.page else ""
        return f"{self.document}{page}, lines {self.start_line}–{self.end_line}"


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    grounded: bool
    citations: list[Citation]
    timings: dict[str, float]
    model: str
    standalone_question: str = ""
    sources: list[Unit] = field(default_factory=list)
    notice: str = ""
    mode: str = "answer"  # one of MODES: how the text shown came about
    # Each stage that ran: {"stage", "ms"}; the one that decided also "rule", "evidence" (unit
    # ids), "detail"; a compound question's stages also "part" (README "How it works").
    trace: list[dict] = field(default_factory=list)
    # A derived figure's step: {"operation", "inputs" (figures as the sources write them),
    # "bound" (a range's end used, or null), "result"}; None for any other answer.
    calculation: dict | None = None

    def to_json(self) -> dict:
        """The stable shape of `amzn-qa ask --json` and `POST /api/ask` (see README)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "grounded": self.grounded,
            "citations": [asdict(c) for c in self.citations],
            "timings": self.timings,
            "model": self.model,
            "mode": self.mode,
            "trace": self.trace,
            **({"calculation": self.calculation} if self.calculation else {}),
        }


# answer: the model's checked answer · quote: a passage shown instead of an answer that said
# nothing new · evidence: the model's answer failed the grounding check, the closest passage is
# shown · refusal: not covered, or an instruction override · error: the model failed or timed out.
MODES = ("answer", "quote", "evidence", "refusal", "error")


@dataclass
class Token:
    text: str


@dataclass
class Progress:
    """The model wrote a token of a draft that is not shown until checked: a front end may show
    that work goes on, and gets the chance to stop it (a closed tab, a dropped stream)."""


Event = Token | Progress | Answer


def citation(n: int, unit: Unit, answer_text: str, quote: str = "") -> Citation:
    """A citation quoting `quote`, or else the piece of the unit nearest the answer."""
    return Citation(
        n, unit.id, unit.source, unit.section, unit.start_line, unit.end_line,
        quote or best_quote(answer_text, unit.text), unit.document_title, unit.document_date, unit.ticker,
        unit.page,
    )


def composed(turn: Turn, text: str, units: list[Unit], model: str) -> Answer:
    """An answer composed from the units' own cells or statements (a table, a row's cells), each
    unit cited in order, [1] to [n]."""
    citations = [citation(n, unit, text) for n, unit in enumerate(units, 1)]
    return Answer(turn.typed, text, False, True, citations, {}, model, turn.standalone, units, mode="quote")


def drafted(turn: Turn, text: str, units: list[Unit], model: str, notice: str = "") -> Answer:
    """An answer not yet checked: the text as given, no citations."""
    return Answer(turn.typed, text, False, True, [], {}, model, turn.standalone, units, notice)


def not_given(missing: str) -> str:
    return f"The document does not give this for {missing}"


def gives_instead(answer: Answer, opening: str, closest: Focused, says: str = "the closest it gives is") -> Answer:
    """A refusal that says what the document does not give (`opening`) and what it gives
    instead: the closest statement, cited."""
    statement = closest.view.replace("\n", " ")
    answer.answer = f"{opening}; {says}: “{statement}” [1]"
    answer.refused, answer.mode = True, "refusal"
    answer.citations = [citation(1, closest.unit, "", closest.view)]
    return answer


def refusal(turn: Turn, units: list[Unit], text: str, model: str) -> Answer:
    return Answer(turn.typed, text, True, True, [], {}, model, turn.standalone, units, mode="refusal")


def with_evidence(answer: Answer, focused: list[Focused], reason: str, shown: str = "") -> Answer:
    """Do not show an unverified answer as fact: quote the best evidence instead.

    `reason` is kept for the record (it may name the invented figure); `shown` is a notice
    the user must see, such as a model failure.
    """
    answer.refused, answer.grounded, answer.notice, answer.mode = True, False, reason, "evidence"
    prefix = f"{shown} " if shown else ""
    if not focused:
        answer.answer = prefix + NOT_COVERED
        return answer
    best = focused[0]
    answer.citations = [citation(1, best.unit, "", best.view)]
    # Say what the passage is, never that the document lacks what it may well state.
    answer.answer = f"{prefix}The closest passage in the document: “{best.view}” [1]"
    return answer


def quoted(answer: Answer, best: Focused) -> Answer:
    """The model pointed at a source but said nothing the question did not: let the best
    source speak for itself, `best` focused as a point shows it (the one or two statements a
    fact's prompt showed did not lead the model to the answer)."""
    answer.answer = f"The document says: “{best.view}” [1]"
    answer.citations = [citation(1, best.unit, "", best.view)]
    answer.notice = "Quoted from the best-matching passage; the model's answer said nothing new."
    answer.mode = "quote"
    return answer


def cited(answer: Answer, text: str, numbers: list[int], units: list[Unit]) -> Answer:
    """The checked answer with its citations; every cited source is marked in the text."""
    unmarked = [n for n in numbers if n not in cited_numbers(text, len(units))]
    if unmarked:
        text = text.rstrip() + " " + "".join(f"[{n}]" for n in unmarked)
    answer.answer = text
    answer.citations = [citation(n, units[n - 1], text) for n in numbers]
    return answer


def joined(turn: Turn, answers: list[Answer]) -> Answer:
    """One answer from the answers to a compound question's parts, citations renumbered."""
    sources: list[Unit] = []
    citations: list[Citation] = []
    texts = []
    for part in answers:
        renumber = {}
        for c in part.citations:
            unit = next(u for u in part.sources if u.id == c.chunk_id)
            if unit not in sources:
                sources.append(unit)
                citations.append(Citation(**{**asdict(c), "n": len(sources)}))
            renumber[c.n] = sources.index(unit) + 1
        texts.append(renumber_citations(part.answer, renumber).strip())
    citations.sort(key=lambda c: c.n)
    return Answer(
        turn.typed, " ".join(texts), all(a.refused for a in answers), all(a.grounded for a in answers),
        citations, {}, answers[0].model, turn.standalone, sources, " ".join(a.notice for a in answers if a.notice),
        min((a.mode for a in answers), key=MODES.index),
    )


def name_other_documents(answer: Answer, retrieved: list[Unit]) -> list[str]:
    """Name the document of a citation that is not the one most retrieved passages come from
    ("... [2] (from notes.md)"), so that a second document is never read as the main one.
    With no single main document, every cited document is named. Returns the names added."""
    counts = Counter(u.source for u in retrieved)
    if len(counts) < 2:
        return []
    (main, most), *rest = counts.most_common()
    main = main if most > rest[0][1] else None
    named: list[str] = []

    def name(marker: re.Match) -> str:
        cited_here = {c.source for c in answer.citations if str(c.n) in re.findall(r"\d+", marker.group())}
        new = sorted(cited_here - set(named) - {main})
        named.extend(new)
        return marker.group() + "".join(f" (from {source})" for source in new)

    answer.answer = CITATION.sub(name, answer.answer)
    return named
