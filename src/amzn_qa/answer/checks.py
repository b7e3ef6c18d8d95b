"""The model's draft checked before it is shown, claim by claim. Each check is a named rule,
tried in the order of `CHECKS`: the first that fails decides what is shown instead (a refusal,
the best passage quoted, or the closest passage as evidence); some only repair the draft (a
wrong pointer dropped, a cell widened or labelled). A draft that passes them all is shown
with its citations. A switched-off rule (AMZN_QA_DISABLE) passes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from amzn_qa.answer.answers import (
    NOT_COVERED, Answer, cited, drafted, gives_instead, joined, not_given, quoted, with_evidence,
)
from amzn_qa.answer.alignment import missing_qualifiers
from amzn_qa.answer.arithmetic import Quantity, quantities
from amzn_qa.answer.filtered_rows import asks_which
from amzn_qa.answer.grounding import (
    cells_holding, grounding_problems, labelled_cell, not_the_asked_period, off_topic, only_a_label, other_period,
    says_nothing_new, support_score, unsupported_wording, whole_cell, wrong_kind_of_figure,
)
from amzn_qa.answer.markers import cited_numbers, keep_citations
from amzn_qa.answer.points import as_points
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.text import figures, is_refusal, names
from amzn_qa.answer.understand import BY_ROLE, PERSON_ROLES, asking_part
from amzn_qa.ingest.documents import Unit, cells

_CLAIM_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(])|\s*\n+\s*")


def claims(text: str) -> list[str]:
    """An answer's claims: its sentences and bullets, list markers removed."""
    return [part for part in (p.strip(" -•*\t") for p in _CLAIM_BREAK.split(text)) if part]


@dataclass
class Draft:
    """The model's answer, or one claim of it, as the checks read and repair it."""

    raw: str  # as the model wrote it
    units: list[Unit]  # the numbered sources the model read
    text: str = ""  # as it will be shown
    numbers: list[int] = field(default_factory=list)  # the sources it cites, once known
    problems: list[str] = field(default_factory=list)  # what its cited sources do not back
    repairs: list[str] = field(default_factory=list)  # the rules that changed it

    @classmethod
    def of(cls, raw: str, units: list[Unit]) -> Draft:
        # A pasted source keeps its [n] in front; a list answer its "1." marker.
        return cls(raw, units, keep_citations(re.sub(r"^(\[\d+\]|\d+\.)\s+", "", raw), range(1, len(units) + 1)))

    @property
    def cited(self) -> list[Unit]:
        return [self.units[n - 1] for n in self.numbers]

    @property
    def evidence(self) -> str:
        return "\n".join(u.evidence_text for u in self.cited)

    def revise(self, rule: str, text: str, numbers: list[int] | None = None) -> None:
        """Take a rule's repair of the text (and of the sources cited), noting the rule if it
        changed anything."""
        numbers = self.numbers if numbers is None else numbers
        if (text, numbers) != (self.text, self.numbers):
            self.repairs.append(rule)
        self.text, self.numbers = text, numbers


@dataclass(frozen=True)
class Verdict:
    """A failed check: its rule, what is shown instead (refusal, quote or evidence) and why."""

    rule: str
    shows: str
    reason: str


def _refused_by_model(state: AnswerState, draft: Draft) -> Verdict | None:
    if is_refusal(draft.raw):
        return Verdict("model_refused", "refusal", "The model's answer says the sources do not cover it.")
    return None


def _nothing_new(state: AnswerState, draft: Draft) -> Verdict | None:
    if says_nothing_new(draft.text, state.turn.standalone):
        return Verdict("says_nothing_new", "quote", "The answer only repeats the question.")
    return None


def _only_a_label(state: AnswerState, draft: Draft) -> Verdict | None:
    if only_a_label(draft.text, draft.units, asks_which(state.turn.own)):
        return Verdict("only_a_label", "quote", "The answer is only a heading or label of its sources.")
    return None


# A question after a person: who said, leads or wrote something, or the name of an executive.
_ASKS_FOR_PERSON = re.compile(
    r"\bwho(?:'s| is| was)?\s+(?:\w+\s+){0,2}?(?:said|says|stated|claimed|told|leads|led|runs|heads|founded|wrote)\b"
    r"|\b(?:name|names) of (?:the |their |its )?(?:person|people|exec\w*|ceo|cfo|cto|coo|founders?|chair\w*|president"
    r"|analysts?|speakers?|authors?|leaders?|head)\b"
    r"|\bwho(?:'s| is| was)? (?:the )?(?:[\w-]+ ){0,2}?(?:exec\w*|ceo|cfo|cto|coo|founders?|chair\w*|president|analysts?|speakers?"
    r"|authors?|leaders?|head of)\b"
    rf"|\b{BY_ROLE}(?:{PERSON_ROLES}|person)\b",
    re.I)


def _names_nobody(state: AnswerState, draft: Draft) -> Verdict | None:
    """A question after a person is answered by a name: an answer that names nothing but what
    the question or the documents' subject names ("Amazon") names nobody."""
    if not _ASKS_FOR_PERSON.search(state.turn.own):
        return None
    known = {n.lower() for n in names(state.turn.own)} | set(state.subject)
    if {n.lower() for n in names(draft.text)} - known:
        return None
    return Verdict("names_nobody", "refusal", "The question asks for a person; the answer names nobody.")


def _cite_backing_sources(state: AnswerState, draft: Draft) -> None:
    """The sources the answer cites, repaired, and what they do not back. A claim backed by
    another retrieved source gets that source cited; an answer citing nothing cites the source
    that backs it most."""
    units, text = draft.units, draft.text
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
    draft.numbers, draft.problems = numbers, problems


def _ungrounded(state: AnswerState, draft: Draft) -> Verdict | None:
    missing = [p for p in draft.problems if p != "wording"]
    if missing:
        return Verdict("grounding", "evidence", f"Not found in the sources: {', '.join(missing)}.")
    return None


def _wrong_pointer(state: AnswerState, draft: Draft) -> None:
    """A cited source that backs none of the answer, when the others back all of it, was a
    wrong pointer (the model cited the row above): it is dropped, marker included."""
    text, numbers, units = draft.text, draft.numbers, draft.units
    for n in list(numbers):
        rest = [m for m in numbers if m != n]
        backing = support_score(text, units[n - 1].text)
        backs_nothing = backing[0] == 0 if figures(text) else (
            backing == (0, 0) or "wording" in grounding_problems(text, units[n - 1].evidence_text))
        if rest and backs_nothing and not grounding_problems(text, "\n".join(units[m - 1].evidence_text for m in rest)):
            numbers = rest
            text = keep_citations(text, rest)
    draft.revise("wrong_pointer", text, numbers)


# The checks of what was asked read this question's own words, not the earlier turn it is tied to.

def _unsupported_wording(state: AnswerState, draft: Draft) -> Verdict | None:
    if unsupported_wording(draft.text, draft.evidence):
        return Verdict("unsupported_wording", "evidence", "The answer's wording does not come from its sources.")
    return None


def _wrong_kind_of_figure(state: AnswerState, draft: Draft) -> Verdict | None:
    """A money question answered with figures that are not money (or a share question without
    a share) is not answered."""
    if wrong_kind_of_figure(asking_part(state.turn.own), draft.text, draft.evidence):
        return Verdict("wrong_kind_of_figure", "evidence",
                       "The answer's figures are not the kind of amount the question asks for.")
    return None


def _same_value(a: Quantity, b: Quantity) -> bool:
    return (a.low, a.high) == (b.low, b.high)


def _other_unit_noun(state: AnswerState, draft: Draft) -> Verdict | None:
    """A figure's unit noun is grounded with it: "40+ stores" is not backed by "40+ warehouses".
    An answer's counted noun the sources never put after that figure, where they put another,
    is a neighbour's figure."""
    held = quantities(draft.evidence)
    for q in (q for q in quantities(draft.text) if q.noun):
        nouns = {s.noun for s in held if _same_value(s, q) and s.noun}
        if nouns and q.noun not in nouns:
            return Verdict("unit_noun", "evidence",
                           f"The sources give {q.surface} {', '.join(sorted(nouns))}, not {q.noun}.")
    return None


def _other_period_column(state: AnswerState, draft: Draft) -> Verdict | None:
    """The cell a figure came from must not be another period's column than the one asked
    about (nor, when the cited table has a column for the period asked, any other column)."""
    asked = state.turn.own
    held = cells_holding(draft.text, draft.cited)
    cited_cells = [cell for unit in draft.cited for cell in cells(unit)]
    if held and (all(other_period(asked, column) for column, _ in held)
                 or not_the_asked_period(asked, held, cited_cells)):
        return Verdict("other_period_column", "evidence", "The answer comes from a column for another period.")
    return None


def _whole_cell(state: AnswerState, draft: Draft) -> None:
    """A piece of one short cell ("Medium") is widened to the whole cell ("Medium (40-50%)")."""
    draft.revise("whole_cell", whole_cell(draft.text, cells_holding(draft.text, draft.cited)))


def _section_text(units: list[Unit], corpus: list[Unit]) -> str:
    """Everything in the sections these units come from."""
    sections = {(u.source, u.section) for u in units}
    return "\n".join(u.text for u in corpus if (u.source, u.section) in sections)


def _off_topic(state: AnswerState, draft: Draft) -> Verdict | None:
    """The cited sources must be about what was asked: a "Graviton 3" row does not answer a
    question about Graviton 4, whatever figure the model copied from it. When the model cited
    the wrong number, a single source that backs the answer and is on topic is cited instead."""
    asked, corpus = asking_part(state.turn.own), state.corpus
    missing = off_topic(asked, draft.evidence, _section_text(draft.cited, corpus))
    if not missing:
        return None
    on_topic = [
        n for n, unit in enumerate(draft.units, 1)
        if not off_topic(asked, unit.evidence_text, _section_text([unit], corpus))
        and not grounding_problems(draft.text, unit.evidence_text)
        and sum(support_score(draft.text, unit.text)) > 0
    ]
    if not on_topic:
        return Verdict("off_topic", "evidence", f"The cited sources do not mention {', '.join(missing)}.")
    if on_topic[:1] != draft.numbers:
        draft.revise("off_topic", keep_citations(draft.text, ()), on_topic[:1])
    return None


def _misaligned(state: AnswerState, draft: Draft) -> Verdict | None:
    """The cited sources must carry every name the question qualifies its subject with
    (answer/alignment.py): Trainium 2's price does not answer a question about Trainium 3."""
    missing = missing_qualifiers(state.turn.own, draft.cited, state.corpus, state.subject)
    if missing:
        return Verdict("qualifier_alignment", "gives_instead", ", ".join(missing))
    return None


def _labelled_cell(state: AnswerState, draft: Draft) -> None:
    """An answer that is exactly one cell of a cited row names its row and column, so that a
    follow-up's answer says what it is about."""
    draft.revise("labelled_cell", labelled_cell(draft.text, draft.cited))


Check = Callable[[AnswerState, Draft], Verdict | None]
# In this order: the ones that replace the answer before those that repair it, and each after
# what it reads (the cited sources, the whole cell).
CHECKS: tuple[tuple[str, Check], ...] = (
    ("model_refused", _refused_by_model),
    ("names_nobody", _names_nobody),
    ("says_nothing_new", _nothing_new),
    ("only_a_label", _only_a_label),
    ("", _cite_backing_sources),  # a step, not a rule: every later check reads the sources it finds
    ("grounding", _ungrounded),
    ("wrong_pointer", _wrong_pointer),
    ("unsupported_wording", _unsupported_wording),
    ("wrong_kind_of_figure", _wrong_kind_of_figure),
    ("unit_noun", _other_unit_noun),
    ("other_period_column", _other_period_column),
    ("whole_cell", _whole_cell),
    ("off_topic", _off_topic),
    ("qualifier_alignment", _misaligned),
    ("labelled_cell", _labelled_cell),
)


def checked(tools: Tools, state: AnswerState, text: str) -> tuple[Answer, Decision]:
    """One text (the whole draft, or one claim of it) through the checks: shown with its
    citations when it passes them all, else what the failed check shows instead."""
    units = [f.unit for f in state.focused]
    answer = drafted(state.turn, text, units, tools.model)
    draft = Draft.of(text, units)
    for rule, check in CHECKS:
        verdict = check(state, draft) if state.enabled(rule) else None  # "" is always enabled
        if verdict:
            shown = _shown_instead(tools, state, answer, verdict, draft)
            evidence = [u.id for u in draft.cited] or [c.chunk_id for c in shown.citations]
            return shown, Decision(verdict.rule, evidence, verdict.reason)
    answer = cited(answer, draft.text, draft.numbers, units)
    repaired = f"repaired by {', '.join(draft.repairs)}" if draft.repairs else ""
    return answer, Decision("passed_checks", [u.id for u in draft.cited], repaired)


def _shown_instead(tools: Tools, state: AnswerState, answer: Answer, verdict: Verdict, draft: Draft) -> Answer:
    if verdict.shows == "gives_instead":
        return gives_instead(answer, not_given(verdict.reason), next(f for f in state.focused if f.unit == draft.cited[0]))
    if verdict.shows == "refusal":
        answer.answer, answer.refused, answer.mode = NOT_COVERED, True, "refusal"
        return answer
    if verdict.shows == "quote":
        # As many of the best source's statements as a point shows: the one or two a fact's
        # prompt showed did not lead the model to the answer.
        return quoted(answer, as_points(tools, state.turn.standalone, [state.focused[0].unit])[0])
    return with_evidence(answer, state.focused, verdict.reason)


def check(tools: Tools, state: AnswerState) -> None:
    """The stage: the model's draft checked claim by claim (sentence or bullet): a claim that
    fails is dropped and the rest shown; only when none survives does the reader get what the
    single check gives (the closest passage). A model that failed gives the evidence."""
    text = state.draft.strip()
    if state.notice or not text:
        shown = state.notice or "The model gave no answer."
        answer = with_evidence(drafted(state.turn, text, [f.unit for f in state.focused], tools.model),
                               state.focused, shown, shown=shown)
        answer.mode = "error"
        state.decide(answer, Decision("model_failed", [c.chunk_id for c in answer.citations], shown))
        return
    parts = claims(text)
    if len(parts) < 2 or not state.enabled("claim_by_claim"):
        state.decide(*checked(tools, state, text))
        return
    results = [checked(tools, state, part) for part in parts]
    kept = [answer for answer, _ in results if answer.mode == "answer"]
    if not kept:
        state.decide(*next((r for r in results if not r[0].refused), results[0]))
        return
    dropped = sorted({d.rule for answer, d in results if answer.mode != "answer"})
    detail = f"{len(kept)} of {len(parts)} claims kept" + (f"; dropped by {', '.join(dropped)}" if dropped else "")
    evidence = [c.chunk_id for answer in kept for c in answer.citations]
    state.decide(joined(state.turn, kept), Decision("claim_by_claim", evidence, detail))
