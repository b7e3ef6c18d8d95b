"""A comparison of two sides ("A vs B <what>") as the same attribute of each side: when each side
is a table row whose label names it and both rows have the asked column, a small table (sides ×
the asked columns, each row cited) that says which side is higher when the cells hold figures of
one kind. Each side's row is the one whose statement best matches the question asked of that
side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from amzn_qa.answer.answers import composed
from amzn_qa.answer.arithmetic import Quantity, quantities
from amzn_qa.answer.compose import MAX_CELL_WORDS, shortened
from amzn_qa.answer.conflicts import cell_value
from amzn_qa.answer.derived import STATEMENTS_READ, side_marks, sides
from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.understand import COMPARE
from amzn_qa.ingest.documents import Unit, cells, holds_row, row_label, table_rows, table_title


MAX_COLUMNS = 3
# How much less than a row's best statement another may match the question and still be a
# column of the table (the cosine-plus-keyword score of retrieval.ranked_statements).
COLUMN_MARGIN = 0.05


@dataclass(frozen=True)
class Side:
    unit: Unit
    statement: str
    score: float

    @property
    def column(self) -> str:
        return self.statement.partition(": ")[0].strip() if self.unit.kind == "row" else ""


def _names(unit: Unit, marked: set[str]) -> bool:
    """The row's label or its table's title names one of the `marked` words."""
    return bool(marked & set(keywords(f"{table_title(unit)} {row_label(unit)}")))


def best_side(ranked: list[tuple[float, Unit, str]], marked: set[str], taken: Side | None = None) -> Side | None:
    """The best-matching statement of a row named by one of the `marked` words; not the
    statement the other side `taken` already shows. None when no such row matches."""
    top = [s for s in ranked[:STATEMENTS_READ] if s[1].kind == "row" and _names(s[1], marked)
           and (not taken or (s[1], s[2]) != (taken.unit, taken.statement))]
    return Side(top[0][1], top[0][2], top[0][0]) if top else None


def rows_for_tables(units: list[Unit], corpus: list[Unit]) -> list[Unit]:
    """The units with a whole table replaced by its rows: a side is one row, not every row."""
    rows = [[r for r in corpus if holds_row(u, r)] if u.kind == "table" else [u] for u in units]
    return list(dict.fromkeys(u for group in rows for u in group))


def asked_column(a: Side, b: Side) -> str:
    """The column both sides are compared on: the better-matching side's, when both are rows of
    a table that has it; "" when they are not."""
    column = max(a, b, key=lambda s: s.score).column
    rows = a.unit.kind == b.unit.kind == "row" and a.unit != b.unit
    return column if rows and column and cell_value(a.unit, column) and cell_value(b.unit, column) else ""


def asked_columns(ranked: list[tuple[float, Unit, str]], asked: set[str]) -> list[str]:
    """The columns of a row's statements that match the question nearly as well as its best,
    or that name one of the `asked` keywords ("+ instance types": "Deployment: EC2 instances")."""
    best = ranked[0][0] if ranked else 0.0
    return [text.partition(": ")[0].strip() for score, _, text in ranked
            if score >= best - COLUMN_MARGIN or word_roots(asked) & word_roots(keywords(text))]


def named_first(columns: list[str], asked: set[str]) -> list[str]:
    """The columns whose header the question names ("severity", "likelihood") before those
    that only match it in meaning; else in their order."""
    roots = word_roots(asked)
    return sorted(dict.fromkeys(columns), key=lambda c: not word_roots(keywords(c)) & roots)


def word_roots(words) -> set[str]:
    """Words compared by their first five letters: "instance" and "instances", "likely" and
    "likelihood" alike."""
    return {w[:5] for w in words if len(w) >= 4 and not w[0].isdigit()}


def table_lines(a: Side, b: Side, column: str, extra: list[str]) -> list[str]:
    """Both sides' cells in the asked column, the `extra` columns that also match the question
    and each side's own best column, as a table."""
    columns = [c for c in dict.fromkeys((column, *extra, a.column, b.column)) if c and cell_value(a.unit, c)
               and cell_value(b.unit, c)][:MAX_COLUMNS]
    rows = [[shortened(cell_value(s.unit, c), MAX_CELL_WORDS) for c in columns] for s in (a, b)]
    one_table = table_title(a.unit) == table_title(b.unit)
    labels = [row_label(s.unit) if one_table else f"{table_title(s.unit)}, {row_label(s.unit)}" for s in (a, b)]
    lines = [f"| {table_title(a.unit) if one_table else ''} | {' | '.join(columns)} |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {label} [{n}] | {' | '.join(cells)} |" for n, (label, cells) in enumerate(zip(labels, rows), 1)]
    larger = which_is_larger(labels[0], rows[0][0], labels[1], rows[1][0], column)
    return lines + (["", larger] if larger else [])  # a blank line ends the table in Markdown


# A figure relative to something else ("20% premium to X", "30% cheaper than Y") is no level
# to rank sides by.
_RELATIVE = re.compile(r"\b(than|vs\.?|versus|premium|discount|cheaper|better|worse|higher|lower|more|less)\b", re.I)


def _figures(cell: str) -> list[Quantity]:
    """A cell's figures; a cell that is only a number (a score) is one."""
    bare = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", cell)
    return [Quantity(float(bare[1]), float(bare[1]), "count", surface=bare[1])] if bare else quantities(cell)


def which_is_larger(a: str, a_cell: str, b: str, b_cell: str, column: str) -> str:
    """"B is higher on <column> (x vs y)." when both cells hold one figure of one kind, and
    neither is relative to something else."""
    qa, qb = _figures(a_cell), _figures(b_cell)
    if len(qa) != 1 or len(qb) != 1 or qa[0].kind != qb[0].kind or _RELATIVE.search(f"{a_cell} {b_cell}"):
        return ""
    if qa[0].middle == qb[0].middle:
        return ""
    sides = [(a, qa[0]), (b, qb[0])]
    (high, high_figure), (low, low_figure) = sides if qa[0].middle > qb[0].middle else sides[::-1]
    return f"{high} is higher than {low} on {column} ({high_figure.surface} vs {low_figure.surface})."


# The pieces of a question that each ask one thing of both sides ("which has more uptake and
# who is each up against").
_ATTRIBUTE_BREAK = re.compile(r"\s+(?:and|&|\+|plus)\s+|[;?:]\s*|,\s+|\s+[-—–]+\s+")
_COMPARING = {"vs", "versus", "compar", "compare", "differ", "each", "both", "one", "which", "stack"}
# A why-question wants reasons, not each side's figures: it is left to the points stage.
_WHY = re.compile(r"^\W*(?:why|how come)\b", re.I)
SIDE_CELL_WORDS = 10


def asked_attributes(question: str, names: set[str]) -> list[str]:
    """What the question asks of both sides: its pieces, from where it first names a side (what
    comes before is framing: "Forwarded from a client: …"), without the sides' names, that ask
    something beyond naming them."""
    words = list(re.finditer(r"[\w-]+", question))
    starts = [m.start() for m in words if set(keywords(m.group())) & names]
    pieces = _ATTRIBUTE_BREAK.split(question[min(starts, default=0):])
    unnamed = [" ".join(w for w in piece.split() if not set(keywords(w)) & names) for piece in pieces]
    return [piece for piece in unnamed if set(keywords(piece)) - _COMPARING]


Ranker = Callable[[str, list[Unit]], list[tuple[float, Unit, str]]]


def _top(rank: Ranker, query: str, rows: list[Unit]) -> tuple[float, Unit]:
    ranked = rank(query, rows)
    return (ranked[0][0], ranked[0][1]) if ranked else (0.0, rows[0])


def aligned_rows(rank: Ranker, queries: list[str], tables: list[list[Unit]]) -> list[Unit]:
    """Each side's row for one asked attribute (each side's query), the same attribute on both
    sides: the side that matches less well takes the row of its table closest to the other
    side's row label ("Active Customers" against a "Monthly Active Users" row)."""
    best = [_top(rank, query, rows) for query, rows in zip(queries, tables)]
    strong = max(range(2), key=lambda n: best[n][0])
    weak = 1 - strong
    best[weak] = _top(rank, f"{queries[weak]} {row_label(best[strong][1])}", tables[weak])
    return [best[0][1], best[1][1]]


def side_names(first: Side, second: Side, marked: tuple[set[str], set[str]]) -> list[str]:
    """Each side's words that its table's title has: what names the side, not what is asked;
    "" for a side whose row is in no table about it."""
    return [" ".join(sorted(m & set(keywords(table_title(s.unit))))) for s, m in ((first, marked[0]), (second, marked[1]))]


def _across_tables(tools: Tools, state: AnswerState, two: tuple[str, str], sides_: tuple[Side, Side],
                   names: list[str], attributes: list[str]) -> None:
    """Two sides whose rows are in tables about each: for each asked attribute (or each side's
    question, when it asks one thing) the aligned row of each side, one line per row with its
    first cells."""
    tables = [table_rows(side.unit, state.corpus) or [side.unit] for side in sides_]
    queries = [[f"{name} {a}" for name in names] for a in attributes] if len(attributes) > 1 else [list(two)]
    pairs = [aligned_rows(tools.retriever.ranked_statements, q, tables) for q in queries]
    cited = list(dict.fromkeys([pair[0] for pair in pairs] + [pair[1] for pair in pairs]))
    lines = []
    for n, row in enumerate(cited, 1):
        values = "; ".join(f"{c}: {shortened(v, SIDE_CELL_WORDS)}" for c, v in cells(row)[1:3])
        lines.append(f"- {table_title(row)}, {row_label(row)} — {values} [{n}]")
    answer = composed(state.turn, "\n".join(lines), cited, tools.model)
    state.decide(answer, Decision("side_by_side", [u.id for u in cited], f"{len(cited)} rows of two tables"))


def compare_sides(tools: Tools, state: AnswerState) -> None:
    """The stage: a comparison of two sides that are rows of tables with the asked column, as
    a table; any other comparison is left to the points stage (one statement per side lost
    the facts a whole row kept: dev compare 0.586 -> 0.517)."""
    two = sides(state.turn.own) if state.form == COMPARE else None
    if not two:
        return
    units = rows_for_tables([h.unit for h in state.hits], state.corpus)
    rank = tools.retriever.ranked_statements
    marked = side_marks(state.turn.own)
    first = best_side(rank(two[0], units), marked[0])
    second = best_side(rank(two[1], units), marked[1], taken=first) if first else None
    column = asked_column(first, second) if first and second else ""
    across = first and second and table_title(first.unit) != table_title(second.unit)
    names = side_names(first, second, marked) if across else []
    if across and all(names) and not _WHY.match(state.turn.own):
        attributes = asked_attributes(state.turn.own, set(" ".join(names).split()))
        if not column or len(attributes) > 1:  # one column both tables have answers one thing
            _across_tables(tools, state, two, (first, second), names, attributes)
            return
    if not column:
        return
    named = f"{table_title(first.unit)} {row_label(first.unit)} {row_label(second.unit)}"
    asked = set(keywords(state.turn.own)) - set(keywords(named))
    columns = [c for c in named_first([column, *asked_columns(rank(state.turn.own, [first.unit]), asked)], asked)
               if cell_value(first.unit, c) and cell_value(second.unit, c)]
    text = "\n".join(table_lines(first, second, columns[0], columns[1:]))
    turn, cited = state.turn, [first.unit, second.unit]
    answer = composed(turn, text, cited, tools.model)
    state.decide(answer, Decision("side_by_side", [u.id for u in cited], f"a table of both sides on {columns[0]}"))


# A question after the row that tops one column ("which risk has the highest severity?").
_MOST = re.compile(r"\b(highest|most|biggest|largest|worst|greatest|top|max(imum)?)\b", re.I)
_LEAST = re.compile(r"\b(lowest|least|smallest|fewest|cheapest|min(imum)?)\b", re.I)


_PLAIN_SUPERLATIVE = {"most": "highest", "top": "highest", "max": "highest", "maximum": "highest",
                      "greatest": "highest", "least": "lowest", "min": "lowest", "minimum": "lowest"}


def ranked_rows(rows: list[Unit], column: str, most: bool) -> list[tuple[float, Unit, str]]:
    """The rows with one figure in `column`, by it, the top first; none when the column's
    figures are of different kinds."""
    valued = []
    for row in rows:
        cell = cell_value(row, column) or ""
        found = _figures(cell)
        if len(found) == 1 and not _RELATIVE.search(cell):
            valued.append((found[0].middle, found[0].kind, row, cell))
    if len({kind for _, kind, _, _ in valued}) != 1:  # figures of different kinds do not rank
        return []
    return [(v, row, cell) for v, _, row, cell in sorted(valued, key=lambda v: -v[0] if most else v[0])]


def top_row(tools: Tools, state: AnswerState) -> None:
    """The stage: a question after the row with the highest or lowest figure of a table column
    is answered with that row and the runner-up, each cited."""
    most, least = _MOST.search(state.turn.own), _LEAST.search(state.turn.own)
    if state.form != COMPARE or bool(most) == bool(least):
        return
    units = rows_for_tables([h.unit for h in state.hits], state.corpus)
    statements = [s for s in tools.retriever.ranked_statements(state.turn.own, units) if s[1].kind == "row"]
    if not statements:
        return
    _, best, statement = statements[0]
    column = statement.partition(": ")[0].strip()
    ranked = ranked_rows(table_rows(best, state.corpus), column, bool(most))
    top = [r for r in ranked if r[0] == ranked[0][0]] if ranked else []
    if len(ranked) < 2 or len(top) == len(ranked):
        return
    shown = top if len(top) > 1 else ranked[:2]
    word = (most or least).group(0).lower()
    text = _top_text(shown, len(top), _PLAIN_SUPERLATIVE.get(word, word), column)
    rows = [row for _, row, _ in shown]
    answer = composed(state.turn, text, rows, tools.model)
    state.decide(answer, Decision("top_row", [row.id for row in rows], f"{len(ranked)} rows ranked by {column}"))


def _top_text(shown: list[tuple[float, Unit, str]], tied: int, word: str, column: str) -> str:
    """"A has the highest C: x [1], ahead of B (y) [2]." or, for a tie, "A [1] and B [2] share …"."""
    if tied > 1:
        names = " and ".join(f"{row_label(row)} [{n}]" for n, (_, row, _) in enumerate(shown, 1))
        return f"{names} share the {word} {column}: {shown[0][2]}."
    (_, first, cell), (_, second, second_cell) = shown
    return f"{row_label(first)} has the {word} {column}: {cell} [1], ahead of {row_label(second)} ({second_cell}) [2]."
