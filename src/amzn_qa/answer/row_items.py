"""A list question about one row of a table ("which instance families run <row>?"): when the
question names one row by its label (or a few alike, of which the best-matching cell decides)
and that row's cell best matching the question lists several items, the answer is that cell,
named by its row and column. The points stage gave the whole table's column: every row's items
where one row's were asked.
"""

from __future__ import annotations

import re

from amzn_qa.answer.answers import composed
from amzn_qa.answer.comparison import rows_for_tables
from amzn_qa.answer.conflicts import cell_value
from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.row_cells import best_named_rows
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.understand import LIST
from amzn_qa.ingest.documents import row_label

# Items of one cell: "Netflix, Roku", "C7g/M7g", "Retail data + partnership data".
_ITEM_BREAK = re.compile(r",\s|(?<=[A-Za-z])\s*/\s*(?=[A-Za-z])|\s\+\s|;\s")


def lists_items(cell: str) -> bool:
    """The cell holds two items or more."""
    return len(_ITEM_BREAK.split(cell)) >= 2


def row_items(tools: Tools, state: AnswerState) -> None:
    """The stage: a list question naming one row is answered with that row's cell that lists
    the items."""
    if state.form != LIST:
        return
    rows = [u for u in rows_for_tables([h.unit for h in state.hits], state.corpus) if u.kind == "row"]
    named = best_named_rows(set(keywords(state.turn.own)), rows, tools.vocabulary.name_keywords)
    # rows named alike ("Model Support", "Pricing Model" for "models"): the best-matching cell decides
    ranked = tools.retriever.ranked_statements(state.turn.own, named) if named else []
    if not ranked:
        return
    _, row, statement = ranked[0]
    column = statement.partition(": ")[0].strip()
    cell = cell_value(row, column) or ""
    if not lists_items(cell):
        return
    text = f"{row_label(row)} — {column}: {cell} [1]"
    answer = composed(state.turn, text, [row], tools.model)
    state.decide(answer, Decision("row_items", [row.id], f"the {column} of {row_label(row)}"))
