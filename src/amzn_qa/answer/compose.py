"""Points an analyst reads, not rows pasted back (issue "Answers, not pastes").

Each point of a list, an explanation or a comparison shows only the cell, bullet or sentence
that answers, led by what it is about:
- a table's rows under one point, for a list question: each row's label and its cell in the one
  column the question asks about (the column of the best-matching row's best statement);
- a bulleted list, for a list question: its label and every item, each cut to its first words;
- any other source of a list: its subject (a row's table and label, a list's label) and its best
  statement.
An explanation's or a comparison's points keep their statements (cut to one each, they lost the
facts: dev explain 0.886 -> 0.091). Nothing is reworded, only left out, so a point stays grounded
in its source. Points are then kept, in order, while the answer is within its form's word count
(WORDS_BY_FORM): the first points are the best-retrieved, and what follows them made the pastes.
"""

from __future__ import annotations

import re
from itertools import groupby

from amzn_qa.answer.conflicts import cell_value
from amzn_qa.answer.retrieval import Focused
from amzn_qa.answer.understand import COMPARE, EXPLAIN, LIST
from amzn_qa.ingest.documents import Unit, row_label, statements, table_title

_MARKER = re.compile(r"\[(\d+)\]$")
MAX_CELL_WORDS = 14  # a table cell or list item shown in a list of items
MAX_POINT_WORDS = 30  # one point of an explanation or a comparison
# Under the evaluation's word budget of each kind (evals/README.md "Metrics"), chosen on dev:
# a list 90 (dev focused 0.37; 0.10 uncapped), an explanation 150, a comparison 100.
WORDS_BY_FORM = {LIST: 90, EXPLAIN: 150, COMPARE: 100}
# A follow-up that leans on the earlier turn asks one more thing of a subject the reader already
# has: its points get a look-up's length (the evaluation's budget for a follow-up is 50 words).
FOLLOW_UP_WORDS = 45


def shortened(text: str, most: int) -> str:
    """`text` within `most` words: whole clauses ("; ") while they fit, else its first words."""
    text = text.strip().rstrip(".")
    if len(text.split()) <= most:
        return text
    kept = ""
    for clause in text.split("; "):
        joined = f"{kept}; {clause}" if kept else clause
        if len(joined.split()) > most:
            break
        kept = joined
    return kept or " ".join(text.split()[:most]) + " …"


def _column(statement: str) -> str:
    return statement.partition(": ")[0].strip()


def asked_column(rows: list[Focused]) -> str:
    """The column a question asks about across one table's rows: the one the best-matching
    row's best statement is in (the row that answers says which column is asked; most rows'
    column was measured too: one dev list fewer)."""
    return _column(max(rows, key=lambda f: f.relevance).best)


def _subject(focused: Focused) -> str:
    """What a source is about: a row's table and label, a list's label, else nothing."""
    unit = focused.unit
    if unit.kind == "row":
        return f"{table_title(unit)}, {row_label(unit)}"
    lead = statements(unit).lead.strip().strip("*").rstrip(":").strip()
    return lead if unit.kind == "list" else ""


def _single(focused: Focused, form: str) -> list[str]:
    """One source as a point: its subject and best statement; a list question's bulleted list
    as its label and every item."""
    cut = statements(focused.unit)
    subject = _subject(focused)
    if form == LIST and focused.unit.kind == "list" and len(cut.items) > 1:
        return [f"{subject}:", *item_lines(focused.unit)]
    best = shortened(focused.best.lstrip("- "), MAX_POINT_WORDS)
    return [f"{subject} — {best}" if subject else best]


def item_lines(unit: Unit) -> list[str]:
    """A bulleted list's items as a list answer shows them: each within a list item's words."""
    return [f"  - {shortened(item.lstrip('- '), MAX_CELL_WORDS)}" for item in statements(unit).items]


def compact_lines(chosen: list[Focused], form: str, table_of) -> list[str]:
    """The cited bullets of a points answer, each source cut to what answers (see above).
    `table_of` groups neighbouring rows of one table, as the points stage does."""
    lines: list[str] = []
    n = 0
    for (_, title), group in groupby(chosen, key=table_of):
        group = list(group)
        if len(group) > 1:
            column = asked_column(group)
            lines.append(f"- {title} ({column}):")
            for focused in group:
                n += 1
                value = shortened(cell_value(focused.unit, column) or "", MAX_CELL_WORDS)
                lines.append(f"  - {row_label(focused.unit)}: {value} [{n}]" if value else f"  - {row_label(focused.unit)} [{n}]")
            continue
        n += 1
        point = _single(group[0], form)
        point[0] = f"- {point[0]}"
        point[-1] += f" [{n}]"  # a bulleted list is cited once, after its last item
        lines += point
    return lines


def within_words(lines: list[str], most: int) -> list[str]:
    """The first lines whose words add up to at most `most` (the first line always), ending
    with a cited line: a table's title or a list's first items are not left without the rest
    of their point and its citation."""
    kept: list[str] = []
    used = 0
    for line in lines:
        used += len(line.split())
        if kept and used > most:
            break
        kept.append(line)
    while len(kept) > 1 and not _MARKER.search(kept[-1]):
        kept.pop()
    return kept

