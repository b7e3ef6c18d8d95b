"""A list, an explanation or a comparison as cited points: the document's own statements, one
source per point in retrieval order, rows of one table under one point. Grounded by
construction, and every item of a list the document gives. (The 0.5B model, asked for cited
bullets, kept fewer items and copied its example; see evals/README.md.)"""

from __future__ import annotations

import re
from itertools import groupby

from amzn_qa.answer.alignment import missing_qualifiers
from amzn_qa.answer.answers import Answer, citation, gives_instead, not_given, refusal
from amzn_qa.answer.compose import FOLLOW_UP_WORDS, WORDS_BY_FORM, compact_lines, within_words
from amzn_qa.answer.markers import cited_numbers
from amzn_qa.answer.retrieval import Focused
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.understand import COMPARE, DERIVED, FACT, LIST
from amzn_qa.ingest.documents import Unit, holds_row, table_rows, table_title

# A table longer than this is a dataset to quote from, not a list of points to give whole.
MAX_WHOLE_TABLE_ROWS = 12


def as_points(tools: Tools, query: str, units: list[Unit], unit_margin: float = float("inf")) -> list[Focused]:
    """Units focused as a point shows them: up to `points_statements_per_unit` statements each."""
    settings = tools.settings
    return tools.retriever.focus(
        query, units, per_unit=settings.points_statements_per_unit,
        statement_margin=settings.points_statement_margin, unit_margin=unit_margin,
    )


def point_text(focused: Focused) -> str:
    """A source's chosen statements as one line: a list's items joined by semicolons."""
    return re.sub(r"\s*\n-\s*", "; ", focused.view).replace(":;", ":").replace("\n", " ")


def _table_of(focused: Focused) -> tuple[str, str]:
    """What groups a point with its neighbours: a row's document and table title; any other
    source stands alone."""
    if focused.unit.kind != "row":
        return focused.unit.id, ""
    return focused.unit.source, table_title(focused.unit)


def up_to_points(focused: list[Focused], most: int) -> list[Focused]:
    """The sources, in order, that make at most `most` points: rows of one table are one point,
    so a table does not crowd out the other sources an explanation needs."""
    chosen: list[Focused] = []
    points: set[tuple[str, str]] = set()
    for f in focused:
        point = _table_of(f)
        if point in points or len(points) < most:
            points.add(point)
            chosen.append(f)
    return chosen


def point_lines(chosen: list[Focused]) -> list[str]:
    """One cited bullet per source; neighbouring rows of one table go under one bullet led by
    the table's title, so that a whole table reads as one point."""
    lines: list[str] = []
    n = 0
    for (_, title), group in groupby(chosen, key=_table_of):
        group = list(group)
        if len(group) > 1:
            lines.append(f"- {title}:")
        for focused in group:
            n += 1
            text = point_text(focused)
            lines.append(f"  - {text.partition(' — ')[2]} [{n}]" if len(group) > 1 else f"- {text} [{n}]")
    return lines


def without_covered_tables(focused: list[Focused]) -> list[Focused]:
    """A whole table is left out when one of its rows is there: the row says it better."""
    rows = [f.unit for f in focused if f.unit.kind == "row"]
    return [
        f for f in focused
        if f.unit.kind != "table" or not any(holds_row(f.unit, r) for r in rows)
    ]


def with_whole_tables(tools: Tools, query: str, chosen: list[Focused], corpus: list[Unit]) -> list[Focused]:
    """A table that two or more points come from gives all its rows (a long one, just those
    points), in its order, where its first point was: a list needs every item, and the rows
    a search ranks low are often the ones an explanation drawn from that table needs
    (evals/README.md)."""
    tables = [table_rows(f.unit, corpus) for f in chosen]
    firsts = [rows[0].id if rows else None for rows in tables]
    picked = {f.unit.id for f in chosen}
    units: list[Unit] = []
    for f, rows, first in zip(chosen, tables, firsts):
        if not first or firsts.count(first) < 2:
            units.append(f.unit)
        elif f.unit not in units:  # else it came in with its table's first chosen row
            long_table = len(rows) > MAX_WHOLE_TABLE_ROWS
            units.extend(r for r in rows if not long_table or r.id in picked)
    if units == [f.unit for f in chosen]:
        return chosen
    by_id = {f.unit.id: f for f in as_points(tools, query, units)}
    return [by_id[u.id] for u in units]


def compact_points(chosen: list[Focused], form: str, follow_up: bool = False) -> list[str]:
    """The points cut to what answers (answer/compose.py): a list's rows as label and asked
    cell, an explanation's or a comparison's sources as they are; then as many as fit the form's
    word count, or a follow-up's."""
    lines = compact_lines(chosen, form, _table_of) if form == LIST else point_lines(chosen)
    return within_words(lines, FOLLOW_UP_WORDS if follow_up else WORDS_BY_FORM[form])


def _not_about_the_question(tools: Tools, state: AnswerState, chosen: list[Focused]) -> bool:
    """Points that do not carry a name the question qualifies its subject with are about
    something else: the answer says so and what the document gives instead."""
    missing = missing_qualifiers(state.turn.own, [f.unit for f in chosen], state.corpus, state.subject)
    if not missing or not state.enabled("qualifier_alignment"):
        return False
    answer = gives_instead(refusal(state.turn, [f.unit for f in chosen], "", tools.model), not_given(", ".join(missing)), chosen[0])
    state.decide(answer, Decision("qualifier_alignment", [chosen[0].unit.id], ", ".join(missing)))
    return True


def points(tools: Tools, state: AnswerState) -> None:
    """The stage: a list, an explanation or a comparison answered as cited points, in
    retrieval order (which weighs the whole unit, so it keeps more of what an explanation needs
    than the order of single best statements); a fact, or a derived figure not calculated, is
    left to the model."""
    if state.form in (FACT, DERIVED):
        return
    rank = {h.unit.id: n for n, h in enumerate(state.hits)}
    by_rank = sorted(without_covered_tables(state.focused), key=lambda f: rank[f.unit.id])
    chosen = up_to_points([f for f in by_rank if not f.is_blank], tools.settings.max_points) or state.focused[:1]
    # A comparison wants each side's best rows, not one side's whole table: given whole, the
    # first side's table filled the comparison's word count (dev compare 0.571 -> 0.667, test
    # unchanged, fresh round 8 one case fewer).
    if state.enabled("whole_tables") and state.form != COMPARE:
        chosen = with_whole_tables(tools, state.turn.standalone, chosen, state.corpus)
    if state.enabled("compact_points"):
        # a clause of a compound question leans on the clause before it, not on a conversation
        lines = compact_points(chosen, state.form, follow_up=bool(state.history and state.turn.earlier))
        chosen = chosen[:max(cited_numbers("\n".join(lines), len(chosen)), default=0)]
    else:
        lines = point_lines(chosen)
    turn = state.turn
    if _not_about_the_question(tools, state, chosen):
        return
    citations = [citation(n, f.unit, "", f.view) for n, f in enumerate(chosen, 1)]
    answer = Answer(turn.typed, "\n".join(lines), False, True, citations, {}, tools.model,
                    turn.standalone, [f.unit for f in chosen], mode="quote")
    state.decide(answer, Decision("points", [f.unit.id for f in chosen],
                                  f"a {state.form} as the statements of {len(chosen)} sources"))
