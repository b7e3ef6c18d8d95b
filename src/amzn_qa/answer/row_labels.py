"""A question that asks which rows a table has ("which risks does the matrix score?", "list the
SageMaker components"): it names the table's first column in the plural ("Risk", "Component")
and no other column or row, so the answer is the rows' labels, each cited, not the rows pasted
whole. An explanation that names the column ("how bad is the X risk?", "why do the risks …")
asks about rows, not for them (dev: five explanations answered as labels).
"""

from __future__ import annotations

import re

from amzn_qa.answer.alignment import missing_qualifiers
from amzn_qa.answer.answers import composed
from amzn_qa.answer.comparison import rows_for_tables
from amzn_qa.answer.filtered_rows import asks_which, tables
from amzn_qa.answer.retrieval import STOPWORDS, keywords
from amzn_qa.answer.row_cells import named_row
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.text import names, singular
from amzn_qa.answer.understand import LIST
from amzn_qa.ingest.documents import Unit, cells, row_label, table_rows, table_title

MIN_ROWS = 3  # fewer rows are a comparison or a look-up, not a list of a table's rows
# A question that ranks or counts asks for some rows ("which two risks …", "the most serious").
_SOME = re.compile(r"\b(?:most|least|top|main|biggest|largest|highest|lowest|worst|best|one|two|three|four|five|\d+)\b",
                   re.I)


def _roots(text: str) -> set[str]:
    """Words by their first five letters, in the singular: "risks" and "Risk", "mitigated" and
    "Mitigation" alike."""
    words = [w for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in STOPWORDS]
    return {singular(w)[:5] for w in words}


def named_columns(question: str, row: Unit) -> list[str]:
    """The row's column headers that the question names a word of."""
    asked = _roots(question)
    return [column for column, _ in cells(row) if _roots(column) & asked]


def asks_for_labels(question: str, table: list[Unit]) -> bool:
    """The question names the table's label column in the plural ("which risks"), no other
    column and no row by its label (then it asks about that row)."""
    first_column = cells(table[0])[0][0]
    plural = {singular(w)[:5] for w in re.findall(r"[a-z]+", question.lower()) if singular(w) != w}
    return (named_columns(question, table[0]) == [first_column] and bool(_roots(first_column) & plural)
            and named_row(set(keywords(question)), table) is None and not _SOME.search(question))


def _about_elsewhere(question: str, rows: list[Unit], corpus: list[Unit], subject: frozenset[str]) -> bool:
    """The question names something the table's rows do not carry: in what it asks ("risks of
    Widget 3") or in what frames it ("We're evaluating AgentCore. What risks …?")."""
    named = [n for n in names(question) if n.lower() not in subject]
    context = " ".join(u.evidence_text for u in rows).lower()
    return bool(missing_qualifiers(question, rows, corpus, subject)) or any(n.lower() not in context for n in named)


def row_labels(tools: Tools, state: AnswerState) -> None:
    """The stage: a list question ("which …") that names a table's label column and no other
    is answered with every row's label."""
    if state.form != LIST and not asks_which(state.turn.own):
        return
    for retrieved in tables(rows_for_tables([h.unit for h in state.hits], state.corpus)):
        rows = table_rows(retrieved[0], state.corpus) or retrieved
        if len(rows) < MIN_ROWS or not asks_for_labels(state.turn.own, rows):
            continue
        if _about_elsewhere(state.turn.own, rows, state.corpus, state.subject):
            continue
        header = cells(rows[0])[0][0]
        lines = [f"- {table_title(rows[0])} ({header}):"]
        lines += [f"  - {row_label(row)} [{n}]" for n, row in enumerate(rows, 1)]
        answer = composed(state.turn, "\n".join(lines), rows, tools.model)
        state.decide(answer, Decision("row_labels", [row.id for row in rows], f"the {len(rows)} rows' {header}"))
        return
