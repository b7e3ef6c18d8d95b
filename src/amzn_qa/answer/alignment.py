"""Whether the statement an answer rests on is about what the question names (issue "Say the
document does not give this exactly when it does not").

A question names its subject with qualifiers: a numbered name ("Trainium 3", "Q2 2025" is a
period, handled by the period checks), another company, region or product ("Azure"). The units
an answer cites must carry each of them in their own context: their text, their table's title
and their heading path; the rest of their section does not count (a table about AWS's capacity
that mentions Azure in one row does not give Azure's capacity in another).

Two readings of the document's structure keep this from refusing what it answers:
- a name that most units share is the document's subject ("AWS", "Amazon"; `Vocabulary.subject`),
  never a qualifier;
- a unit that names no number of a numbered thing is about the number its section names first
  (a "Trainium" table whose first row is "Trainium 2 Status" gives Trainium 2's price), so
  only a question about another number is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from amzn_qa.answer.text import adjective_bases, names
from amzn_qa.answer.understand import asking_part
from amzn_qa.answer.vocabulary import FINANCE_SHORTHAND
from amzn_qa.ingest.documents import Unit

# Finance terms ("CapEx", "TAM") say what is asked about, not whose: no qualifier.
FINANCE_TERMS = frozenset(FINANCE_SHORTHAND)
_NUMBERED = re.compile(r"^(.+) (\d+(?:\.\d+)?)$")


def _context(unit: Unit) -> str:
    return " ".join(f"{unit.evidence_text} {unit.section}".lower().split())


def _mentions(text: str, name: str) -> bool:
    """The name as a word of the text, in the singular or plural too ("SKUs" by "SKU", "SKU" by
    "SKUs"), as the name its adjective comes from ("American" by "America", "European" by
    "Europe"), or as a unit after a figure ("GW" in "3.8GW")."""
    name = name.lower()
    forms = ({name, name.removesuffix("s")} if len(name) > 3 else {name}) | {f"{name}s"} | set(adjective_bases(name))
    return any(re.search(rf"(?<![a-z-]){re.escape(form)}(?![\w])", text) for form in forms)


def section_number(unit: Unit, stem: str, corpus: list[Unit]) -> str | None:
    """The number of `stem` that the unit's section names first ("2" for Trainium)."""
    section = sorted((u for u in corpus if (u.source, u.section) == (unit.source, unit.section)),
                     key=lambda u: u.start_line)
    return next((numbers[0] for u in section if (numbers := _numbers_of(stem, u.text.lower()))), None)


def _numbers_of(stem: str, text: str) -> list[str]:
    """The numbers `text` gives a numbered name ("2" and "3" of "trainium 2 … trainium 3")."""
    return re.findall(rf"(?<![\w-]){re.escape(stem.lower())} (\d+(?:\.\d+)?)(?![\w.])", text)


def _carries(unit: Unit, name: str, corpus: list[Unit]) -> bool:
    context = _context(unit)
    # "AI-generated" is about AI: only a hyphenated name's capitalised parts have to be there.
    parts = [p for p in name.split("-") if any(c.isupper() for c in p)] if "-" in name else [name]
    if all(_mentions(context, part) for part in parts or [name]):
        return True
    numbered = _NUMBERED.match(name)
    if not numbered:
        return False
    stem, number = numbered.groups()
    if _numbers_of(stem, context):  # the unit names other numbers of it, not this one
        return False
    return _mentions(context, stem) and section_number(unit, stem, corpus) in (number, None)


def missing_qualifiers(question: str, cited: Iterable[Unit], corpus: list[Unit], subject: set[str]) -> list[str]:
    """The names of the question that none of the cited units carries in its own context."""
    cited = list(cited)
    asked = [n for n in dict.fromkeys(names(asking_part(question))) if n.lower() not in subject | FINANCE_TERMS]
    return [n for n in asked if not any(_carries(u, n, corpus) for u in cited)]
