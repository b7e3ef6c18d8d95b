"""The answer stages that read the question and retrieve, and those that finish any answer.
Each takes the chain's `Tools` and the `AnswerState`, does one job, and may finish the answer
(`state.decide`). Their order is `pipeline.STAGES`; the refusal, points, model and check stages
are in refusal.py, points.py, generation.py and checks.py."""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Iterator
from itertools import zip_longest

from amzn_qa.answer.answers import NOT_COVERED, Token, joined, name_other_documents, refusal
from amzn_qa.answer.conflicts import with_differing_figures
from amzn_qa.answer.generation import budgeted
from amzn_qa.answer.points import as_points
from amzn_qa.answer.question import INJECTION_REFUSAL, overrides_instructions
from amzn_qa.answer.retrieval import Hit, HybridRetriever
from amzn_qa.answer.state import AnswerState, Decision, Tools, elapsed_ms
from amzn_qa.answer.understand import (
    COMPARE, DERIVED, FACT, Turn, asks_for_amount, compared_sides, focus_query, form_rule, split_question, understood,
)
from amzn_qa.ingest.documents import Unit, row_label, statements


def guard(tools: Tools, state: AnswerState) -> None:
    """A question that tries to override the instructions is refused before anything reads it."""
    words = overrides_instructions(state.typed)
    if words and state.enabled("instruction_override"):
        answer = refusal(state.turn, [], INJECTION_REFUSAL, tools.model)
        state.decide(answer, Decision("instruction_override", (), f"it addresses the assistant: “{words}”"))


def understand(tools: Tools, state: AnswerState) -> None:
    """The question as the documents word it, and tied to the earlier turn it leans on."""
    state.turn = understood(state.typed, state.history, state.documents, tools.vocabulary)
    if state.turn.standalone != state.typed:
        state.note(f"read as “{state.turn.standalone}”")


def split(tools: Tools, state: AnswerState) -> None:
    """A compound fact question becomes its parts, each answered on its own."""
    turns = split_question(state.turn, state.disabled) if state.enabled("split_question") else [state.turn]
    state.parts = [state.part(turn) for turn in turns]
    if len(turns) > 1:
        state.note(f"split_question: {len(turns)} parts")


def choose_form(tools: Tools, state: AnswerState) -> None:
    """Fact, list, explanation or comparison, from how the question is asked."""
    state.form, rule = form_rule(state.turn.own, state.disabled)
    state.note(f"{state.form} by {rule}" if rule else "fact: no form rule matched")


def _prompt_safe(retriever: HybridRetriever, question: str, k: int, documents: Collection[str] | None) -> list[Hit]:
    """The k best passages the LLM may read. One that speaks to an AI assistant ("SYSTEM: tell
    the user ...", flagged at ingest) is text, never instructions: it neither enters the prompt
    nor takes a better passage's place; only when nothing else is found is it kept, to be quoted."""
    flagged = sum(u.addresses_assistant for u in retriever.units)
    hits = retriever.retrieve(question, k + flagged, documents)
    return ([h for h in hits if not h.unit.addresses_assistant] or hits)[:k]


def _passage_label(unit: Unit) -> str:
    """What a passage is about: its row's label, its list's lead, else its heading."""
    lead = statements(unit).lead if unit.kind == "list" else ""
    return row_label(unit) or lead.rstrip(":") or unit.section.rsplit(" > ", 1)[-1]


def _searched(retriever: HybridRetriever, turn: Turn, k: int, sides: tuple[str, str] | None) -> list[Hit]:
    """The question's k best passages; for a comparison of two sides, the whole question's
    best, each side's best, the whole question's second best, and so on."""
    hits = _prompt_safe(retriever, turn.standalone, k, turn.documents)
    if not sides:
        return hits
    each_side = [_prompt_safe(retriever, side, k, turn.documents) for side in sides]
    merged = {h.unit.id: h for round_ in zip_longest(hits, *each_side) for h in round_ if h}
    return list(merged.values())[:k]


def retrieve(tools: Tools, state: AnswerState) -> None:
    """Every search an answer needs, and the corpus they searched: the question's passages (a
    comparison's side by side) and the label of the earlier turn's best passage."""
    started, turn, settings = time.perf_counter(), state.turn, tools.settings
    state.corpus, state.subject = tools.retriever.units, tools.vocabulary.subject
    sides = compared_sides(turn.own) if state.form == COMPARE and state.enabled("compared_sides") else None
    k = state.k or (settings.k if state.form == FACT else settings.points_k)  # a derived figure reads more
    state.hits = _searched(tools.retriever, turn, k, sides)
    earlier = _prompt_safe(tools.retriever, turn.earlier, 1, turn.documents) if turn.earlier else []
    state.earlier_label = _passage_label(earlier[0].unit) if earlier else ""
    state.timings["retrieve_ms"] = state.timings.get("retrieve_ms", 0.0) + elapsed_ms(started)
    state.note(f"{len(state.hits)} passages" + (f"; sides “{sides[0]}” and “{sides[1]}”" if sides else ""))


# How much more a statement with a figure matches a question that asks for an amount: the
# cosine-plus-keyword scale of retrieval.focus, where a row's cells differ by a few hundredths.
FIGURE_BONUS = 0.1


def context(tools: Tools, state: AnswerState) -> None:
    """What the answer is drawn from: for a fact, the one or two statements of each source
    that match, within the prompt's token budget; for points, whole rows, lists and
    paragraphs (a list or an explanation needs its items, not one cell). With nothing
    retrieved, nothing covers the question: every later stage may count on a source."""
    retrieved = [h.unit for h in state.hits]
    if not retrieved:
        answer = refusal(state.turn, [], NOT_COVERED, tools.model)
        state.decide(answer, Decision("no_passages", (), "nothing was retrieved"))
        return
    query = focus_query(state.turn, tools.vocabulary, state.earlier_label)
    if state.form in (FACT, DERIVED):
        bonus = FIGURE_BONUS if asks_for_amount(state.turn.own) and state.enabled("figure_statements") else 0.0
        state.focused = budgeted(tools.retriever.focus(query, retrieved, figure_bonus=bonus), tools.settings)
    else:
        state.focused = as_points(tools, query, retrieved, tools.settings.points_unit_margin)


def name_documents(tools: Tools, state: AnswerState) -> None:
    """A citation of a document other than the main one names it, so it is not read as the main one."""
    named = name_other_documents(state.answer, [h.unit for h in state.hits])
    if named:
        state.note(f"named {', '.join(named)}")


def differing_figures(tools: Tools, state: AnswerState) -> None:
    """Each document's figure where the documents differ on a cited table row and column."""
    added = with_differing_figures(state.answer, state.corpus, state.turn.documents)
    if added:
        state.note(" ".join(added))


def join(tools: Tools, state: AnswerState) -> None:
    """One answer from the parts' answers, citations renumbered."""
    answers = [part.answer for part in state.parts]
    state.answer = answers[0] if len(answers) == 1 else joined(state.turn, answers)


# An answer is streamed a line or a sentence at a time.
_PIECE_END = re.compile(r"(?<=\n)|(?<=[.!?] )")


def pieces(text: str) -> list[str]:
    """The text's lines and sentences, each with what ends it: joined, they are the text."""
    return [piece for piece in _PIECE_END.split(text) if piece]


def stream(tools: Tools, state: AnswerState) -> Iterator[Token]:
    """The checked answer, a line or sentence at a time: only what every check passed is
    streamed, so a client never shows text that is later taken back; the first piece's time is
    the answer's time to first token."""
    for piece in pieces(state.answer.answer):
        state.timings.setdefault("ttft_ms", elapsed_ms(state.started))
        yield Token(piece)


def finish(tools: Tools, state: AnswerState) -> None:
    """The answer's timings: retrieval, the first piece streamed, the total."""
    total = elapsed_ms(state.started)
    state.timings.setdefault("retrieve_ms", 0.0)
    state.timings.setdefault("ttft_ms", total)
    state.timings["total_ms"] = total
    state.answer.timings = {key: round(state.timings[key], 1) for key in ("retrieve_ms", "ttft_ms", "total_ms")}
