"""A follow-up as the earlier answer's table cell with its row or its column replaced: after an
answer drawn from a table row ("Medium (30-40%), severity 8"), "and for <another row>?" asks the
same columns of that row, and "and its <other column>?" the same row's other column. The
earlier answer locates the row and columns (the row whose label the earlier turn names and
whose cells it repeated); the follow-up's own words name the new row or column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amzn_qa.answer.answers import composed
from amzn_qa.answer.conflicts import cell_value
from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.text import figures
from amzn_qa.answer.understand import COMPARE, DERIVED, History, last_answer
from amzn_qa.ingest.documents import EMPTY_CELL, Unit, cells, row_label, table_rows

# What a follow-up says around the name it gives: "and for X?", "and what about X", "X?", "its X".
_FRAME = re.compile(r"^\W*(?:(?:and|or|but|also|then|ok(?:ay)?|so|right|what about|how about|same for|same)\b\W*)*"
                    r"(?:(?:for|about|on|with|the|its|their|it's)\s+)*", re.I)

# "the automation one": "one" stands for the earlier answer's kind of row, it names nothing
# ("phase one", with no "the", is a name).
_ONE = re.compile(r"(?<=\bthe )((?:[\w-]+\s+){1,3})ones?\W*$", re.I)


@dataclass(frozen=True)
class Cell:
    row: Unit
    columns: tuple[str, ...]


def said_cells(earlier_turns: str, answer: str, corpus: list[Unit]) -> Cell | None:
    """The table row the earlier answer was drawn from, and the columns it repeated: a row its
    turns name by label, with the cells whose figures (or, without figures, whose words) the
    answer holds."""
    told = {value for figure in figures(answer) for value in figure.values}
    named = set(keywords(f"{earlier_turns} {answer}"))
    best: tuple[int, Cell] | None = None
    for row in (u for u in corpus if u.kind == "row"):
        if not set(keywords(row_label(row))) & named:
            continue
        columns = tuple(column for column, value in cells(row)[1:] if _repeated(value, told, named))
        if columns and (best is None or len(columns) > best[0]):
            best = (len(columns), Cell(row, columns))
    return best[1] if best else None


def _repeated(value: str, told: set[float], named: set[str]) -> bool:
    """The answer holds each of the cell's figures (as the same amount: "$10B" is not "10"), or,
    for a cell without figures, its words."""
    found, words = figures(value), set(keywords(value))
    return all(f.values & told for f in found) if found else len(words) >= 2 and words <= named


# A follow-up that asks something of the earlier subject ("what did that cost?") names no other
# row: it leaves the question to the other stages.
_ASKS = re.compile(r"\b(what|which|who|how|when|where|why|did|does|do|is|are|was|were|it|that|this|they|them)\b", re.I)


def asked_name(follow_up: str) -> set[str]:
    """The words a follow-up that is only a name names it with ("and for automation ROI?":
    automation, roi); none when it asks something of the earlier subject."""
    name = _FRAME.sub("", _ONE.sub(r"\1", follow_up))
    return set() if _ASKS.search(name) else set(keywords(name))


def renamed(earlier: Cell, asked: set[str], corpus: list[Unit]) -> Cell | None:
    """The earlier cell with the row or column the follow-up names instead: another row of the
    same table whose label has every asked word, or a column of the same row that does."""
    if not asked:
        return None
    rows = [r for r in table_rows(earlier.row, corpus) if r != earlier.row and asked <= set(keywords(row_label(r)))]
    if len(rows) == 1:
        return Cell(rows[0], tuple(c for c in earlier.columns if cell_value(rows[0], c)))
    columns = [c for c, _ in cells(earlier.row)[1:] if c not in earlier.columns and asked <= set(keywords(c))]
    return Cell(earlier.row, (columns[0],)) if len(columns) == 1 else None


def given_cells(cell: Cell) -> tuple[str, list[str]]:
    """The cell's columns with their values, and those the analysis left blank; when it left
    every asked one blank, the row's other cells ("Pricing" blank tells less than the row's
    "Deployment: Expected 2026")."""
    values = [(column, cell_value(cell.row, column)) for column in cell.columns]
    given = [(column, value) for column, value in values if value not in (None, "", EMPTY_CELL)]
    blank = [column for column, value in values if (column, value) not in given]
    shown = given or [(column, value) for column, value in cells(cell.row)[1:] if value not in ("", EMPTY_CELL)]
    return "; ".join(f"{column}: {value}" for column, value in shown), blank


def cell_text(cell: Cell) -> str:
    """"Row — Column: value [1]", then the asked columns the analysis left blank as not given
    ("Graviton 4 — Deployment: Expected 2026 [1]. Pricing: not given.")."""
    given, blank = given_cells(cell)
    missing = f"{', '.join(blank)}: not given"
    if not given:
        return f"{row_label(cell.row)} — {missing} [1]"
    return f"{row_label(cell.row)} — {given} [1]" + (f". {missing}." if blank else "")


def _last_answer(history: History) -> tuple[str, str]:
    """The earlier user turns' words and the last assistant answer."""
    users = " ".join(t["content"] for t in history if t.get("role") == "user")
    return users, last_answer(history)


def follow_row(tools: Tools, state: AnswerState) -> None:
    """The stage: a follow-up that names another row or column of the table the earlier answer
    came from is answered with that cell, named by its row and column and cited."""
    asked = asked_name(state.turn.typed)  # most turns name nothing: the earlier answer is not read
    if not asked or not state.history or state.form in (COMPARE, DERIVED):
        return
    users, said = _last_answer(state.history)
    earlier = said_cells(users, said, state.corpus) if said else None
    cell = renamed(earlier, asked, state.corpus) if earlier else None
    if not cell or not cell.columns:
        return
    answer = composed(state.turn, cell_text(cell), [cell.row], tools.model)
    detail = f"the earlier answer's {', '.join(earlier.columns)} of {row_label(earlier.row)}"
    state.decide(answer, Decision("follow_row", [cell.row.id], detail))
