"""The answer chain: understand (a Turn, its parts, its answer form) → retrieve → context →
answer without the model where the sources decide it → cited points, or a budgeted prompt → LLM
→ claims checked → other documents' differing figures → Answer.

Every front end (CLI, web, API, Slack, evaluation) calls `AnswerChain.stream` or `.ask`; none of
them reaches the retriever or the LLM directly.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Collection, Iterator
from itertools import groupby, zip_longest
from dataclasses import asdict, dataclass, field

from langchain_core.prompts import ChatPromptTemplate

from amzn_qa import tokens
from amzn_qa.ingest.catalog import info_of
from amzn_qa.config import Settings
from amzn_qa.answer.conflicts import Figure, cited_rows, differing_figures
from amzn_qa.ingest.documents import Unit, cells, holds_row, row_label, statements, table_rows, table_title
from amzn_qa.answer.grounding import (
    CITATION, best_quote, cells_holding, cited_numbers, figures as figures_in, grounding_problems,
    is_refusal, keep_citations, labelled_cell, not_the_asked_period, off_topic, other_period, renumber_citations,
    only_a_label, says_nothing_new, support_score, unsupported, unsupported_wording, whole_cell, wrong_kind_of_figure,
)
from amzn_qa.answer.llm import ModelBusy, cancellable, chat_model, model_label
from amzn_qa.models import ModelUnavailable
from amzn_qa.answer.retrieval import Focused, Hit, HybridRetriever
from amzn_qa.answer.understand import (
    COMPARE, FACT, Turn, answer_form, compared_sides, focus_query, leans_on_history, own_words, split_question,
    substituted, with_earlier_names,
)
from amzn_qa.answer.vocabulary import Vocabulary

log = logging.getLogger(__name__)

NOT_COVERED = "The document does not cover this."
# A table longer than this is a dataset to quote from, not a list of points to give whole.
MAX_WHOLE_TABLE_ROWS = 12
# How many earlier user turns are read to make the last one a whole question ("and 2028?").
EARLIER_TURNS_READ = 4
INJECTION_REFUSAL = (
    "I only answer questions from the document, and this question asks me to step outside it. "
    + NOT_COVERED
)
SYSTEM_PROMPT = (
    "You answer questions about an analyst's report on Amazon using only the numbered sources. "
    "Reply in one short sentence that gives the exact figure or name as the source writes it, "
    "and cite the source like [1]."
)
# Worked examples fix the format better than any instruction: without them the small model
# pastes whole sources back. Their figures and names are unlike the document's so that a
# copied one fails grounding. There is deliberately no refusal sentence: told to refuse when
# unsure, the 0.5B model refuses most answerable questions (NOTES.md); refusal comes from the
# coverage and grounding checks instead.
_EXAMPLE_SOURCES = (
    "[1] Gadget Sales — Metric: Units Sold. Current: 40K+. Target: none given.\n"
    "[2] Gadget Partners — Partner: Retail. Details: Globex, Initech cited."
)
ANSWER_PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", SYSTEM_PROMPT),
        ("human", f"Sources:\n{_EXAMPLE_SOURCES}\n\nQuestion: Which retail partners sell gadgets?"),
        ("ai", "Globex and Initech [2]."),
        ("human", "Question: How many gadgets are sold now?"),
        ("ai", "40K+ units [1]."),
        ("human", "Sources:\n{sources}\n\nQuestion: {question}"),
    ]
)
# An instruction override addresses the assistant: an order at the start of a clause to drop
# its instructions or the document, "your prompt / instructions / own knowledge", a role to take,
# a forged role label. Ordinary questions that merely contain "act as", "rules", "system" or
# "knowledge" ("Which carriers act as partners?") do not.
_INJECTION = re.compile(
    r"(?:^|[.!?:;,]\s*|\b(?:please|now|and|so|then|you|to)\s+)(?:ignore|disregard|forget|override|bypass)\b"
    r".{0,40}?\b(?:instructions?|prompts?|rules|guidelines|context|sources?|above|previous|document|doc|analysis|report)\b"
    r"|\byour\s+(?:own\s+|general\s+|outside\s+|prior\s+|initial\s+|original\s+|hidden\s+)?"
    r"(?:system\s+prompt|prompt|instructions|rules|guidelines|knowledge|secrets?)\b"
    r"|\b(?:print|reveal|show|repeat|output|display|dump)\b.{0,30}\b(?:system|hidden|initial)\s+(?:prompt|message|instructions|context)\b"
    r"|\byou are (?:now|no longer)\b|\bpretend (?:to be|you)\b|\brole-?play\b"
    r"|(?:^|\byou\s+(?:will\s+|must\s+|should\s+|now\s+)?)act as\b"
    r"|\bjailbreak\b|\bdeveloper mode\b|(?-i:\bDAN\b)"
    r"|\b(?:from|using|use|with)\s+(?:your\s+own|general|outside|prior)\s+knowledge\b"
    r"|^\W*(?:system|assistant|developer)\s*:|\bnew (?:instructions|rules?)\s*:",
    re.IGNORECASE,
)


def overrides_instructions(question: str) -> bool:
    """The question tries to change what the assistant does, rather than ask about the document."""
    return bool(_INJECTION.search(question))


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long); the message says why."""


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
        }


# answer: the model's checked answer · quote: a passage shown instead of an answer that said
# nothing new · evidence: the model's answer failed the grounding check, the closest passage is
# shown · refusal: not covered, or an instruction override · error: the model failed or timed out.
MODES = ("answer", "quote", "evidence", "refusal", "error")


@dataclass
class Token:
    text: str


Event = Token | Answer
History = list[dict[str, str]]  # [{"role": "user" | "assistant", "content": ...}, ...]


def validate_question(question: str, settings: Settings) -> str:
    question = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question or "").strip()
    if not question:
        raise QuestionError("The question is empty: type a question about the document.")
    if len(question) > settings.max_question_chars:
        raise QuestionError(
            f"The question is {len(question)} characters long; the limit is "
            f"{settings.max_question_chars}. Shorten it and ask again."
        )
    return question


_CLAIM_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(])|\s*\n+\s*")


def claims(text: str) -> list[str]:
    """An answer's claims: its sentences and bullets, list markers removed."""
    return [part for part in (p.strip(" -•*\t") for p in _CLAIM_BREAK.split(text)) if part]


def point_text(focused: Focused) -> str:
    """A source's chosen statements as one line: a list's items joined by semicolons."""
    return re.sub(r"\s*\n-\s*", "; ", focused.view).replace(":;", ":").replace("\n", " ")


def _table_of(focused: Focused) -> tuple[str, str]:
    """What groups a point with its neighbours: a row's document and table title; any other
    source stands alone."""
    if focused.unit.kind != "row":
        return focused.unit.id, ""
    return focused.unit.source, table_title(focused.unit)


def up_to_points(focused: list[Focused], most: int) -> list[Focused]:
    """The sources, in order, that make at most `most` points: rows of one table are one point,
    so a table does not crowd out the other sources an explanation needs."""
    chosen: list[Focused] = []
    points: set[tuple[str, str]] = set()
    for f in focused:
        point = _table_of(f)
        if point in points or len(points) < most:
            points.add(point)
            chosen.append(f)
    return chosen


def point_lines(chosen: list[Focused]) -> list[str]:
    """One cited bullet per source; neighbouring rows of one table go under one bullet led by
    the table's title, so that a whole table reads as one point."""
    lines: list[str] = []
    n = 0
    for (_, title), group in groupby(chosen, key=_table_of):
        group = list(group)
        if len(group) > 1:
            lines.append(f"- {title}:")
        for focused in group:
            n += 1
            text = point_text(focused)
            lines.append(f"  - {text.partition(' — ')[2]} [{n}]" if len(group) > 1 else f"- {text} [{n}]")
    return lines


def source_line(n: int, unit: Unit, text: str) -> str:
    """How the prompt shows a source: its (focused) text, led by its section's title."""
    title = unit.section.split(" > ")[-1]
    text = text if text.startswith(title) else f"{title}: {text}"
    return f"[{n}] {text}"


def _without_covered_tables(focused: list[Focused]) -> list[Focused]:
    """A whole table is left out when one of its rows is there: the row says it better."""
    rows = [f.unit for f in focused if f.unit.kind == "row"]
    return [
        f for f in focused
        if f.unit.kind != "table" or not any(holds_row(f.unit, r) for r in rows)
    ]


def _backing_sources(text: str, units: list[Unit]) -> tuple[list[int], list[str]]:
    """The sources an answer cites, repaired, and what they do not back. A claim backed by
    another retrieved source gets that source cited; an answer citing nothing cites the source
    that backs it most."""
    numbers = cited_numbers(text, len(units))
    evidence = "\n".join(units[n - 1].evidence_text for n in numbers)
    problems = grounding_problems(text, evidence)
    for n, unit in enumerate(units, 1):
        if not problems:
            break
        if n not in numbers and len(grounding_problems(text, evidence + "\n" + unit.evidence_text)) < len(problems):
            numbers.append(n)
            evidence += "\n" + unit.evidence_text
            problems = grounding_problems(text, evidence)
    if not numbers:
        numbers = [max(range(1, len(units) + 1), key=lambda n: support_score(text, units[n - 1].text))]
    return numbers, problems


def _without_wrong_pointers(text: str, numbers: list[int], units: list[Unit]) -> tuple[list[int], str]:
    """A cited source that backs none of the answer, when the others back all of it, was a
    wrong pointer (the model cited the row above): it is dropped, marker included."""
    for n in list(numbers):
        rest = [m for m in numbers if m != n]
        backing = support_score(text, units[n - 1].text)
        backs_nothing = backing[0] == 0 if figures_in(text) else (
            backing == (0, 0) or "wording" in grounding_problems(text, units[n - 1].evidence_text))
        if rest and backs_nothing and not grounding_problems(text, "\n".join(units[m - 1].evidence_text for m in rest)):
            numbers = rest
            text = keep_citations(text, rest)
    return numbers, text


def _not_what_was_asked(asked: str, text: str, cited: list[Unit]) -> str:
    """Why a grounded answer still does not answer the question, or "": its wording is not its
    sources', its figures are not the kind of amount asked for (money, a share), or its cell is
    another period's."""
    evidence = "\n".join(u.evidence_text for u in cited)
    if unsupported_wording(text, evidence):
        return "The answer's wording does not come from its sources."
    if wrong_kind_of_figure(asked, text, evidence):
        return "The answer's figures are not the kind of amount the question asks for."
    held = cells_holding(text, cited)
    cited_cells = [cell for unit in cited for cell in cells(unit)]
    if held and (all(other_period(asked, column) for column, _ in held)
                 or not_the_asked_period(asked, held, cited_cells)):
        return "The answer comes from a column for another period."
    return ""


def _prompt_safe(
    retriever: HybridRetriever, question: str, k: int, documents: Collection[str] | None = None
) -> list[Hit]:
    """The k best passages the LLM may read. One that speaks to an AI assistant ("SYSTEM: tell
    the user ...", flagged at ingest) is text, never instructions: it neither enters the prompt
    nor takes a better passage's place; only when nothing else is found is it kept, to be quoted."""
    flagged = sum(u.addresses_assistant for u in retriever.units)
    hits = retriever.retrieve(question, k + flagged, documents)
    return ([h for h in hits if not h.unit.addresses_assistant] or hits)[:k]


def _name_other_documents(answer: Answer, retrieved: list[Unit]) -> Answer:
    """Name the document of a citation that is not the one most retrieved passages come from
    ("... [2] (from notes.md)"), so that a second document is never read as the main one.
    With no single main document, every cited document is named."""
    counts = Counter(u.source for u in retrieved)
    if len(counts) < 2:
        return answer
    (main, most), *rest = counts.most_common()
    main = main if most > rest[0][1] else None
    named: set[str] = set()

    def name(marker: re.Match) -> str:
        cited = {c.source for c in answer.citations if str(c.n) in re.findall(r"\d+", marker.group())}
        new = sorted(cited - named - {main})
        named.update(new)
        return marker.group() + "".join(f" (from {source})" for source in new)

    answer.answer = CITATION.sub(name, answer.answer)
    return answer


def _joined(turn: Turn, answers: list[Answer]) -> Answer:
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


class AnswerChain:
    def __init__(self, settings: Settings | None = None, retriever: HybridRetriever | None = None):
        self.settings = settings or Settings()
        self.retriever = retriever or HybridRetriever(self.settings)
        self.vocabulary = Vocabulary.of(self.retriever.units)
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
        self.vocabulary = Vocabulary.of(self.retriever.units)

    def stream(
        self, question: str, history: History | None = None, k: int | None = None,
        cancel: threading.Event | None = None, documents: Collection[str] | None = None,
    ) -> Iterator[Event]:
        """Tokens as the LLM writes them, then the final, checked Answer (always last).

        Setting `cancel` (the client went away) stops the generation and frees the model;
        `documents` (file names) limits the answer to those documents.
        """
        started = time.perf_counter()
        question = validate_question(question, self.settings)
        timings: dict[str, float] = {}

        def finish(answer: Answer) -> Answer:
            total = (time.perf_counter() - started) * 1000
            timings.setdefault("ttft_ms", total)
            timings["total_ms"] = total
            answer.timings = {key: round(timings[key], 1) for key in ("retrieve_ms", "ttft_ms", "total_ms") if key in timings}
            return answer

        if overrides_instructions(question):
            timings["retrieve_ms"] = 0.0
            yield finish(self._refusal(Turn(question, question), [], INJECTION_REFUSAL))
            return

        turn = self._turn(question, history or [], documents)
        answers: list[Answer] = []
        for n, part in enumerate(split_question(turn)):
            if n:
                yield Token(" ")
            for event in self._answer(part, k, started, timings, cancel):
                if isinstance(event, Answer):
                    answers.append(event)
                else:
                    yield event
        yield finish(answers[0] if len(answers) == 1 else _joined(turn, answers))

    def _answer(
        self, turn: Turn, k: int | None, started: float, timings: dict[str, float],
        cancel: threading.Event | None = None,
    ) -> Iterator[Event]:
        """The stages for one (part of a) question: choose the answer form, retrieve, build the
        context, answer without the model where the sources decide it, else generate and check,
        and give every document's figure where the documents differ."""
        form = answer_form(turn.own)
        retrieve_started = time.perf_counter()
        hits = self._retrieved(turn, form, k or self._form_k(form))
        timings["retrieve_ms"] = timings.get("retrieve_ms", 0.0) + (time.perf_counter() - retrieve_started) * 1000
        retrieved = [h.unit for h in hits]
        focused = self._context(turn, retrieved, form)
        answer = self._without_model(turn, hits, focused)
        if answer is None and form != FACT:
            answer = self._points(turn, focused, retrieved)
            yield Token(answer.answer)
        if answer is None:
            text, notice = "", ""
            for piece in self._generated(turn, focused, started, timings, cancel):
                if isinstance(piece, Token):
                    text += piece.text
                    yield piece
                else:
                    notice = piece
            answer = self._checked_claims(turn, text.strip(), focused, notice)
        answer = _name_other_documents(answer, retrieved)
        yield self._with_differing_figures(answer, turn.documents)

    def _retrieved(self, turn: Turn, form: str, k: int) -> list[Hit]:
        """The question's k best passages; for a comparison of two sides, the whole question's
        best, each side's best, the whole question's second best, and so on."""
        hits = _prompt_safe(self.retriever, turn.standalone, k, turn.documents)
        sides = compared_sides(turn.own) if form == COMPARE else None
        if not sides:
            return hits
        each_side = [_prompt_safe(self.retriever, side, k, turn.documents) for side in sides]
        merged = {h.unit.id: h for round_ in zip_longest(hits, *each_side) for h in round_ if h}
        return list(merged.values())[:k]

    def _form_k(self, form: str) -> int:
        return self.settings.k if form == FACT else self.settings.points_k

    def _context(self, turn: Turn, retrieved: list[Unit], form: str) -> list[Focused]:
        """What the answer is drawn from: for a fact, the one or two statements of each source
        that match, within the prompt's token budget; for points, whole rows, lists and
        paragraphs (a list or an explanation needs its items, not one cell)."""
        if not retrieved:
            return []
        query = focus_query(turn, self.vocabulary, self._label_of(turn.earlier, turn.documents))
        if form == FACT:
            return self._budgeted(self.retriever.focus(query, retrieved))
        return self._as_points(query, retrieved, self.settings.points_unit_margin)

    def _as_points(self, query: str, units: list[Unit], unit_margin: float = float("inf")) -> list[Focused]:
        """Units focused as a point shows them: up to `points_statements_per_unit` statements each."""
        return self.retriever.focus(
            query, units, per_unit=self.settings.points_statements_per_unit,
            statement_margin=self.settings.points_statement_margin, unit_margin=unit_margin,
        )

    def _label_of(self, question: str, documents: Collection[str] | None = None) -> str:
        """What the passage that best matches `question` is about: its row's label, its list's
        lead, else its heading."""
        hits = _prompt_safe(self.retriever, question, 1, documents) if question else []
        if not hits:
            return ""
        unit = hits[0].unit
        lead = statements(unit).lead if unit.kind == "list" else ""
        return row_label(unit) or lead.rstrip(":") or unit.section.rsplit(" > ", 1)[-1]

    def _without_model(
        self, turn: Turn, hits: list[Hit], focused: list[Focused]
    ) -> Answer | None:
        """The answer when the sources alone decide it: nothing covers the question, the only
        matching passages address an AI assistant, or the best match is a blank cell."""
        units = [f.unit for f in focused]
        absent = self._absent_specifics(hits, turn.own, [h.unit for h in hits])
        if absent is not None:
            answer = self._refusal(turn, units, NOT_COVERED)
            answer.notice = f"No retrieved passage mentions {', '.join(absent)}." if absent else ""
            return answer
        best = focused[0]
        if best.unit.addresses_assistant:
            answer = self._refusal(turn, units, "")
            return self._evidence_fallback(answer, focused, "The only matching passages address an AI assistant.")
        if best.is_blank:
            text = f"The document does not give this; the analysis leaves that entry blank: “{best.view}” [1]"
            answer = self._refusal(turn, units, text)
            answer.citations = [self._citation(1, best.unit, "", best.view)]
            return answer
        return None

    def _points(self, turn: Turn, focused: list[Focused], retrieved: list[Unit]) -> Answer:
        """A list, an explanation or a comparison as the document's own statements, one cited
        point per source in retrieval order: grounded by construction, and every item of a
        list the document gives. (The 0.5B model, asked for cited bullets, kept fewer items and
        copied its example; see evals/README.md.) Retrieval order, which weighs the whole unit,
        keeps more of what an explanation needs than the order of single best statements."""
        rank = {u.id: n for n, u in enumerate(retrieved)}
        by_rank = sorted(_without_covered_tables(focused), key=lambda f: rank[f.unit.id])
        chosen = up_to_points([f for f in by_rank if not f.is_blank], self.settings.max_points)
        chosen = self._with_whole_tables(turn.standalone, chosen or focused[:1])
        citations = [self._citation(n, f.unit, "", f.view) for n, f in enumerate(chosen, 1)]
        return Answer(turn.typed, "\n".join(point_lines(chosen)), False, True, citations, {}, self.model,
                      turn.standalone, [f.unit for f in chosen], mode="quote")

    def _with_whole_tables(self, query: str, chosen: list[Focused]) -> list[Focused]:
        """A table that two or more points come from gives all its rows (a long one, just those
        points), in its order, where its first point was: a list needs every item, and the rows
        a search ranks low are often the ones an explanation drawn from that table needs
        (evals/README.md)."""
        tables = [table_rows(f.unit, self.retriever.units) for f in chosen]
        firsts = [rows[0].id if rows else None for rows in tables]
        picked = {f.unit.id for f in chosen}
        units: list[Unit] = []
        for f, rows, first in zip(chosen, tables, firsts):
            if not first or firsts.count(first) < 2:
                units.append(f.unit)
            elif f.unit not in units:  # else it came in with its table's first chosen row
                long_table = len(rows) > MAX_WHOLE_TABLE_ROWS
                units.extend(r for r in rows if not long_table or r.id in picked)
        if units == [f.unit for f in chosen]:
            return chosen
        by_id = {f.unit.id: f for f in self._as_points(query, units)}
        return [by_id[u.id] for u in units]

    def _generated(
        self, turn: Turn, focused: list[Focused], started: float, timings: dict[str, float],
        cancel: threading.Event | None,
    ) -> Iterator[Token | str]:
        """The model's answer as it streams (Tokens); a failure ends it with a notice (str)."""
        try:
            # No output parser after the model: closed early, a parser's step reads its input to
            # the end (LangChain traces it), which would keep a remote model generating.
            chain = ANSWER_PROMPT | cancellable(chat_model(self.settings), cancel)
            sources = "\n".join(source_line(n, f.unit, f.view) for n, f in enumerate(focused, 1))
            deadline = started + self.settings.llm_timeout_s
            for message in chain.stream({"sources": sources, "question": turn.standalone}):
                timings.setdefault("ttft_ms", (time.perf_counter() - started) * 1000)
                yield Token(message.text)
                if time.perf_counter() > deadline:
                    raise TimeoutError
                if cancel is not None and cancel.is_set():
                    return
        except TimeoutError:
            yield "The model did not answer in time, so here is the evidence instead."
        except ModelUnavailable as err:
            log.error("model unavailable: %s", err)
            yield "The model is unavailable, so here is the evidence instead."
        except ModelBusy:
            yield "The model is busy with other questions, so here is the evidence instead."
        except Exception as err:  # a provider's network or protocol error: show the evidence
            log.error("model failed: %s: %s", type(err).__name__, err)
            timed_out = "timeout" in type(err).__name__.lower() or "timed out" in str(err).lower()
            yield ("The model did not answer in time" if timed_out else "The model failed") + \
                ", so here is the evidence instead."

    def _turn(self, question: str, history: History, documents: Collection[str] | None) -> Turn:
        """The question with its spelling and shorthand resolved; a follow-up that only names
        another period or generation asks the earlier question again about it, any other
        follow-up that leans on the earlier question is tied to it (so retrieval and the answer
        prompt still see what "it" refers to). A model's rewrite of follow-ups was measured and
        dropped: it changed no answer on either split and took a second (evals/README.md)."""
        resolved = self.vocabulary.resolve(question)
        earlier = self._earlier_question(history)
        if not earlier:
            return Turn(question, resolved, documents=documents)
        if leans_on_history(resolved):
            resolved = with_earlier_names(resolved, earlier, self.vocabulary.words)
        again = substituted(resolved, earlier)
        if again:
            return Turn(question, again, documents=documents)
        return Turn(question, resolved, earlier if leans_on_history(resolved) else "", documents)

    def _earlier_question(self, history: History) -> str:
        """The last user turn as a whole question: clients send back what was typed, so "and
        2028?" after "and 2027?" after "power target 2026" is read through the turns before it."""
        typed = [own_words(t["content"]) for t in history if t.get("role") == "user" and t.get("content")]
        earlier = ""
        for turn in typed[-EARLIER_TURNS_READ:]:
            resolved = self.vocabulary.resolve(turn)
            earlier = (substituted(resolved, earlier) if earlier else "") or resolved
        return earlier

    def _absent_specifics(self, hits: list[Hit], question: str, units: list[Unit]) -> list[str] | None:
        """Why the sources cannot answer, or None when they may.

        Nothing relevant at all (low similarity, no shared keyword) gives []; otherwise the
        names and figures of the question that no source mentions ("CEO", "B200",
        "Graviton 5"), and model numbers typed in lower case that no document has ("b200"): an
        answer drawn from such sources would be about something else.
        """
        if not hits or (
            max(h.similarity for h in hits) < self.settings.min_relevance
            and not any(h.keyword_score > 0 for h in hits)
        ):
            return []
        absent = unsupported(question, "\n".join(u.evidence_text for u in units))
        return absent + self.vocabulary.unknown_codes(question) or None

    def _budgeted(self, focused: list[Focused]) -> list[Focused]:
        """Sources in rank order within the token budget."""
        chosen: list[Focused] = []
        used = 0
        for f in _without_covered_tables(focused):
            cost = tokens.count(source_line(len(chosen) + 1, f.unit, f.view), self.settings.cache_dir)
            if used + cost <= self.settings.prompt_token_budget or not chosen:
                chosen.append(f)
                used += cost
        return chosen

    def _refusal(self, turn: Turn, units: list[Unit], text: str) -> Answer:
        return Answer(turn.typed, text, True, True, [], {}, self.model, turn.standalone, units, mode="refusal")

    def _checked_claims(
        self, turn: Turn, text: str, focused: list[Focused], notice: str
    ) -> Answer:
        """Each claim (sentence or bullet) of the model's answer checked on its own: one that
        fails is dropped and the rest shown; only when none survives does the reader get what
        the single check gives (the closest passage)."""
        parts = claims(text)
        if notice or len(parts) < 2:
            return self._checked(turn, text, focused, notice)
        checked = [self._checked(turn, part, focused, "") for part in parts]
        kept = [a for a in checked if a.mode == "answer"]
        if not kept:
            return next((a for a in checked if not a.refused), checked[0])
        return _joined(turn, kept)

    def _checked(
        self, turn: Turn, text: str, focused: list[Focused], notice: str
    ) -> Answer:
        """Attach citations, verify grounding, and fall back to the evidence when it fails."""
        units = [f.unit for f in focused]
        answer = Answer(turn.typed, text, False, True, [], {}, self.model, turn.standalone, units, notice)
        if notice or not text:
            notice = notice or "The model gave no answer."
            answer = self._evidence_fallback(answer, focused, notice, shown=notice)
            answer.mode = "error"
            return answer
        if is_refusal(text):
            answer.answer, answer.refused, answer.mode = NOT_COVERED, True, "refusal"
            return answer
        # A pasted source keeps its [n] in front; a list answer its "1." marker.
        text = keep_citations(re.sub(r"^(\[\d+\]|\d+\.)\s+", "", text), range(1, len(units) + 1))
        answer.answer = text
        if says_nothing_new(text, turn.standalone) or only_a_label(text, units):
            return self._quoted(answer, focused[0])
        numbers, problems = _backing_sources(text, units)
        missing = [p for p in problems if p != "wording"]
        if missing:
            return self._evidence_fallback(answer, focused, f"Not found in the sources: {', '.join(missing)}.")
        numbers, text = _without_wrong_pointers(text, numbers, units)
        # The checks of what was asked read this question, not the earlier turn it is tied to.
        asked = turn.own
        reason = _not_what_was_asked(asked, text, [units[n - 1] for n in numbers])
        if reason:
            return self._evidence_fallback(answer, focused, reason)
        text = whole_cell(text, cells_holding(text, [units[n - 1] for n in numbers]))
        on_topic, reason = self._on_topic_sources(asked, text, numbers, units)
        if reason:
            return self._evidence_fallback(answer, focused, reason)
        if on_topic != numbers:
            numbers, text = on_topic, keep_citations(text, ())
        return self._cited(answer, text, numbers, units)

    def _on_topic_sources(
        self, asked: str, text: str, numbers: list[int], units: list[Unit]
    ) -> tuple[list[int], str]:
        """The cited sources must be about what was asked: a "Graviton 3" row does not answer a
        question about Graviton 4, whatever figure the model copied from it. When the model
        cited the wrong number, a single source that backs the answer and is on topic is cited
        instead; with none, the reason the answer fails."""
        evidence = "\n".join(units[n - 1].evidence_text for n in numbers)
        cited_sections = self.retriever.section_text([units[n - 1] for n in numbers])
        if not off_topic(asked, evidence, cited_sections):
            return numbers, ""
        on_topic = [
            n for n, unit in enumerate(units, 1)
            if not off_topic(asked, unit.evidence_text, self.retriever.section_text([unit]))
            and not grounding_problems(text, unit.evidence_text)
            and sum(support_score(text, unit.text)) > 0
        ]
        if not on_topic:
            return numbers, f"The cited sources do not mention {', '.join(off_topic(asked, evidence, cited_sections))}."
        return on_topic[:1], ""

    def _cited(self, answer: Answer, text: str, numbers: list[int], units: list[Unit]) -> Answer:
        """The checked answer with its citations; every cited source is marked in the text."""
        text = labelled_cell(text, [units[n - 1] for n in numbers])
        unmarked = [n for n in numbers if n not in cited_numbers(text, len(units))]
        if unmarked:
            text = text.rstrip() + " " + "".join(f"[{n}]" for n in unmarked)
        answer.answer = text
        answer.citations = [self._citation(n, units[n - 1], text) for n in numbers]
        return answer

    def _quoted(self, answer: Answer, best: Focused) -> Answer:
        """The model pointed at a source but said nothing the question did not: let the best
        source speak for itself, with as many of its statements as a point shows (the one or
        two a fact's prompt showed did not lead the model to the answer)."""
        best = self._as_points(answer.standalone_question, [best.unit])[0]
        answer.answer = f"The document says: “{best.view}” [1]"
        answer.citations = [self._citation(1, best.unit, "", best.view)]
        answer.notice = "Quoted from the best-matching passage; the model's answer said nothing new."
        answer.mode = "quote"
        return answer

    def _evidence_fallback(self, answer: Answer, focused: list[Focused], reason: str, shown: str = "") -> Answer:
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
        answer.citations = [self._citation(1, best.unit, "", best.view)]
        # Say what the passage is, never that the document lacks what it may well state.
        answer.answer = f"{prefix}The closest passage in the document: “{best.view}” [1]"
        return answer

    def _with_differing_figures(self, answer: Answer, documents: Collection[str] | None) -> Answer:
        """Where another document gives a different figure in the same table row and column as
        a cited one, the answer gives each document's figure with its date, and names the newest."""
        if answer.refused and answer.grounded:
            return answer
        sentences = []
        for citation in list(answer.citations):
            unit = next((u for u in answer.sources if u.id == citation.chunk_id), None)
            said = answer.answer if answer.mode == "answer" else ""  # else the quote is what is shown
            for row, columns in cited_rows(unit, self.retriever.units, said, citation.quote) if unit else []:
                for figures in differing_figures(row, columns, self.retriever.units, documents):
                    sentences.append(self._figures_sentence(answer, figures))
        if sentences:
            answer.answer = " ".join([answer.answer.rstrip(), *dict.fromkeys(sentences)])
        return answer

    def _figures_sentence(self, answer: Answer, figures: list[Figure]) -> str:
        """"The documents differ on <row> (<table>), <column>: A (date) gives x [1]; B (date) gives
        y [2]. The newest is B."
        Each figure is cited; a row not cited yet becomes a new citation."""
        given = []
        for figure in figures:
            n = next((c.n for c in answer.citations if c.chunk_id == figure.unit.id), None)
            if n is None:
                n = max((c.n for c in answer.citations), default=0) + 1
                answer.citations.append(self._citation(n, figure.unit, "", f"{figure.column}: {figure.value}"))
                answer.sources.append(figure.unit)
            given.append(f"{info_of(figure.unit).label} gives “{figure.value}” [{n}]")
        table, subject = table_title(figures[0].unit), row_label(figures[0].unit)
        text = f"The documents differ on {subject} ({table}), {figures[0].column}: {'; '.join(given)}."
        dated = [f for f in figures if f.unit.document_date]
        if len(dated) > 1:
            text += f" The newest is {info_of(dated[-1].unit).label}."
        return text

    @staticmethod
    def _citation(n: int, unit: Unit, answer_text: str, quote: str = "") -> Citation:
        """A citation quoting `quote`, or else the piece of the unit nearest the answer."""
        return Citation(
            n, unit.id, unit.source, unit.section, unit.start_line, unit.end_line,
            quote or best_quote(answer_text, unit.text), unit.document_title, unit.document_date, unit.ticker,
            unit.page,
        )
