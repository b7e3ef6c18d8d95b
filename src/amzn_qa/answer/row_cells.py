"""A look-up of several cells of one table row ("what severity and likelihood does the analyst
give <risk>?"): when the question names a row by its label and two or more of its columns by
their headers, the answer is those cells, each named by its column, in one cited sentence. The
model, asked for two cells, gave one of them.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from amzn_qa.answer.answers import composed
from amzn_qa.answer.comparison import rows_for_tables, word_roots
from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.understand import FACT
from amzn_qa.ingest.documents import Unit, cells, row_label

_PERIOD = re.compile(r"\b(?:19|20)\d\d\b|\bQ[1-4]\b")
MIN_COLUMNS = 2  # one asked cell is the model's to answer, as before
MIN_LABEL_SHARE = 0.5  # of a row label's words, for the question to name the row


def label_share(asked: set[str], row: Unit) -> float:
    """The share of the row label's words the question has."""
    label = set(keywords(row_label(row)))
    return len(label & asked) / len(label) if label else 0.0


def asked_columns(asked: set[str], row: Unit) -> list[str]:
    """The row's columns whose header shares a word with the question; a header with a period
    ("2027 Target") only when the question names it too."""
    roots = word_roots(asked)
    return [column for column, _ in cells(row)[1:] if word_roots(keywords(column)) & roots
            and {p.lower() for p in _PERIOD.findall(column)} <= asked]


def named_row(asked: set[str], rows: list[Unit]) -> Unit | None:
    """The row whose label the question names best, when it names at least half of it."""
    best = max(rows, key=lambda r: label_share(asked, r), default=None)
    return best if best is not None and label_share(asked, best) >= MIN_LABEL_SHARE else None


def names_label(asked: set[str], row: Unit, names: Collection[str]) -> bool:
    """The question has at least half the row label's words, and all of them or an ordinary
    word among them: a shared name (one of the documents' `names`) is often the subject the
    question is about, not the row ("Rufus" of "Rufus Cannibalization")."""
    label = set(keywords(row_label(row)))
    shared = label & asked
    return label_share(asked, row) >= MIN_LABEL_SHARE and (shared == label or bool(shared - set(names)))


def best_named_rows(asked: set[str], rows: list[Unit], names: Collection[str]) -> list[Unit]:
    """The rows whose label the question names best (`names_label`), when it names one of them
    only: rows it names whole alike ("widget 2 and widget 3") are asked for together."""
    named = [r for r in rows if names_label(asked, r, names)]
    best = max((label_share(asked, r) for r in named), default=0.0)
    tied = [r for r in named if label_share(asked, r) == best]
    return [] if len(tied) > 1 and best == 1.0 else tied


def asked_cells(tools: Tools, state: AnswerState) -> None:
    """The stage: the cells of the named row that the question asks for by column, when it
    asks for two or more."""
    if state.form != FACT:
        return
    asked = set(keywords(state.turn.own))
    rows = [u for u in rows_for_tables([h.unit for h in state.hits], state.corpus) if u.kind == "row"]
    row = named_row(asked, rows)
    columns = asked_columns(asked, row) if row else []
    if len(columns) < MIN_COLUMNS:
        return
    values = "; ".join(f"{column}: {value}" for column, value in cells(row)[1:] if column in columns)
    text = f"{row_label(row)} — {values} [1]"
    answer = composed(state.turn, text, [row], tools.model)
    state.decide(answer, Decision("asked_cells", [row.id], f"{len(columns)} columns of {row_label(row)}"))
