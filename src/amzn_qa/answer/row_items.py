"""A list question about one row of a table ("which instance families run <row>?"): when the
question names one row by its label and that row's cell best matching the question lists
several items, the answer is that cell, named by its row and column. The points stage gave the
whole table's column: every row's items where one row's were asked.
"""

from __future__ import annotations

import re

from amzn_qa.answer.answers import composed
from amzn_qa.answer.comparison import rows_for_tables
from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.row_cells import label_share
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.understand import LIST
from amzn_qa.ingest.documents import Unit, row_label

# Items of one cell: "Netflix, Roku", "C7g/M7g", "Retail data + partnership data".
_ITEM_BREAK = re.compile(r",\s|\s*/\s*|\s\+\s|;\s")
MIN_LABEL_SHARE = 0.5


def names_label(asked: set[str], row: Unit) -> bool:
    """The question has at least half the row label's words and two of them (when it has
    two): one shared word is often the table's subject ("Rufus" of "Rufus Cannibalization")."""
    label = set(keywords(row_label(row)))
    return label_share(asked, row) >= MIN_LABEL_SHARE and len(label & asked) >= min(2, len(label))


def only_named_row(asked: set[str], rows: list[Unit]) -> Unit | None:
    """The one row whose label the question names best; none when another row's label is
    named as well."""
    named = sorted((r for r in rows if names_label(asked, r)), key=lambda r: -label_share(asked, r))
    if not named:
        return None
    return named[0] if len(named) == 1 or label_share(asked, named[1]) < label_share(asked, named[0]) else None


def lists_items(cell: str) -> bool:
    return len(_ITEM_BREAK.split(cell)) >= 2


def row_items(tools: Tools, state: AnswerState) -> None:
    """The stage: a list question naming one row is answered with that row's cell that lists
    the items."""
    if state.form != LIST:
        return
    rows = [u for u in rows_for_tables([h.unit for h in state.hits], state.corpus) if u.kind == "row"]
    row = only_named_row(set(keywords(state.turn.own)), rows)
    if row is None:
        return
    _, _, statement = tools.retriever.ranked_statements(state.turn.own, [row])[0]
    column, _, cell = statement.partition(": ")
    if not lists_items(cell):
        return
    text = f"{row_label(row)} — {column.strip()}: {cell.strip()} [1]"
    answer = composed(state.turn, text, [row], tools.model)
    state.decide(answer, Decision("row_items", [row.id], f"the {column.strip()} of {row_label(row)}"))
