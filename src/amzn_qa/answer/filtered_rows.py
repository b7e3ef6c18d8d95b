"""A list question that picks a table's rows by a value of one column ("which risks are sev 6",
"which risks have medium likelihood"): the rows whose cell in that column holds the asked value,
each with that cell, cited. The column is one the question names (a header word, or its first
letters: "sev"); the value is a word or number of the question that some of its cells hold,
but not all.
"""

from __future__ import annotations

import re
from itertools import groupby

from amzn_qa.answer.answers import composed
from amzn_qa.answer.comparison import rows_for_tables
from amzn_qa.answer.conflicts import cell_value
from amzn_qa.answer.retrieval import STOPWORDS
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.understand import LIST, pieces_of
from amzn_qa.ingest.documents import Unit, cells, row_label, table_title

_TOKEN = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
# "Which risks are ...", "What technical risks are ..." pick rows whatever form their other words
# suggest ("risks" reads as an explanation's word).
_WHICH = re.compile(r"^\W*(?:which\b|what (?:(?!of\b)[a-z-]+ ){0,2}[a-z-]+s (?:are|were)\b)", re.I)  # not "what share of"


def asks_which(question: str) -> bool:
    """A piece of the question opens with "which" ("Slide title — which risks …?") or "what
    <things> are"."""
    return any(_WHICH.match(piece) for piece in pieces_of(question))


MIN_PREFIX = 3  # "sev" names "Severity"; shorter is too often a word of its own


def _tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text.lower())) - STOPWORDS


def names_column(asked: set[str], header: str) -> bool:
    """The question has a word of the header, or the first letters of one ("sev")."""
    return any(h.startswith(a) for a in asked if len(a) >= MIN_PREFIX and not a.isdigit()
               for h in _tokens(header) if len(h) >= 4)


def value_filter(asked: set[str], rows: list[Unit]) -> tuple[str, str] | None:
    """(column, value): a column the question names whose cells hold a word or number of the
    question in some rows but not in all."""
    for column, _ in cells(rows[0])[1:]:
        if not names_column(asked, column):
            continue
        held = {row.id: _tokens(cell_value(row, column) or "") for row in rows}
        for value in sorted(asked - _tokens(column)):
            matching = [row for row in rows if value in held[row.id]]
            if 0 < len(matching) < len(rows):
                return column, value
    return None


def tables(units: list[Unit]) -> list[list[Unit]]:
    """The rows among the units, grouped by their table, in retrieval order of the tables."""
    rows = sorted((u for u in units if u.kind == "row"), key=lambda u: (u.source, table_title(u), u.start_line))
    grouped = [list(group) for _, group in groupby(rows, key=lambda u: (u.source, table_title(u)))]
    order = {u.id: n for n, u in enumerate(units)}
    return sorted(grouped, key=lambda table: min(order[u.id] for u in table))


def filtered_rows(tools: Tools, state: AnswerState) -> None:
    """The stage: a list question that filters a table by one column's value is answered with
    the rows that hold it."""
    if state.form != LIST and not asks_which(state.turn.own):
        return
    asked = _tokens(state.turn.own)
    for table in tables(rows_for_tables([h.unit for h in state.hits], state.corpus)):
        found = value_filter(asked, table)
        if found and len(table) > 2:
            _answer(tools, state, table, *found)
            return


def _answer(tools: Tools, state: AnswerState, table: list[Unit], column: str, value: str) -> None:
    rows = [row for row in table if value in _tokens(cell_value(row, column) or "")]
    lines = [f"- {table_title(rows[0])} ({column}: {value}):"]
    lines += [f"  - {row_label(row)}: {cell_value(row, column)} [{n}]" for n, row in enumerate(rows, 1)]
    text = "\n".join(lines)
    answer = composed(state.turn, text, rows, tools.model)
    state.decide(answer, Decision("filtered_rows", [row.id for row in rows],
                                  f"{len(rows)} of {len(table)} rows with {column} {value}"))
