"""A list question that names one of the document's bulleted lists by its label ("which power
infrastructure risks…", "Rainier's strategic purposes") is answered with that list alone: its
label and every item, each cut to its first words. Points in retrieval order put other sources'
rows before it, and the word count then cut its items.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from amzn_qa.answer.alignment import missing_qualifiers
from amzn_qa.answer.answers import composed
from amzn_qa.answer.comparison import word_roots
from amzn_qa.answer.compose import item_lines
from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.text import singular
from amzn_qa.answer.understand import LIST
from amzn_qa.ingest.documents import Unit, statements

MIN_LABEL_SHARE = 0.6  # of the label's words the question names: two of three
_WORD = re.compile(r"[a-z0-9][\w-]*")


def label_share(question: str, unit: Unit) -> float:
    """The share of the list label's words ("Power Infrastructure Risks:") the question has,
    compared by their roots ("risks" names "Risk")."""
    label = word_roots(keywords(statements(unit).lead))
    return len(label & word_roots(keywords(question))) / len(label) if label else 0.0


def names_its_names(question: str, unit: Unit, names: Collection[str]) -> bool:
    """The question has every name and number of the list's label, in the singular or plural
    ("AgentCore Technical Risk" is not the list of a question about technical risks in general,
    "Gizmo 2 Metrics" not of one about Gizmo 3)."""
    label = [w for w in _WORD.findall(statements(unit).lead.lower()) if w in names or w[0].isdigit()]
    return {singular(w) for w in label} <= {singular(w) for w in _WORD.findall(question.lower())}


def named_list(question: str, units: list[Unit], names: Collection[str] = ()) -> Unit | None:
    """The list among the units whose label the question names best, when it names most of it
    and each of its `names` (lower case)."""
    lists = [u for u in units if u.kind == "list" and len(statements(u).items) > 1 and names_its_names(question, u, names)]
    best = max(lists, key=lambda u: label_share(question, u), default=None)
    return best if best is not None and label_share(question, best) >= MIN_LABEL_SHARE else None


def list_text(unit: Unit) -> str:
    """The list's label (led by its heading when the label does not name it: "Plant —
    Highlights:"), then each item within a list item's words, cited once after the last."""
    cut = statements(unit)
    label, heading = cut.lead.strip().strip("*"), unit.section.rsplit(" > ", 1)[-1]
    if not set(keywords(heading)) & set(keywords(label)):
        label = f"{heading} — {label}"
    return "\n".join([f"- {label}", *item_lines(unit)]) + " [1]"


def labelled_list(tools: Tools, state: AnswerState) -> None:
    """The stage: a list question answered with the retrieved list it names by its label, when
    that list carries every name the question qualifies its subject with."""
    if state.form != LIST:
        return
    # The documents' titles name what every list is about ("Amazon"); any other name a label
    # has, the question must have too.
    names = tools.vocabulary.capitalised - set(keywords(" ".join({u.title for u in state.corpus})))
    found = named_list(state.turn.own, [h.unit for h in state.hits], names)
    if found is None or missing_qualifiers(state.turn.own, [found], state.corpus, state.subject):
        return
    answer = composed(state.turn, list_text(found), [found], tools.model)
    detail = f"the list “{statements(found).lead.strip()}” ({label_share(state.turn.own, found):.2f} of its label named)"
    state.decide(answer, Decision("labelled_list", [found.id], detail))
