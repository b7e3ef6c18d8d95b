"""Figures that differ between documents: the same table row (same table, same row subject) and
the same column, with another value in another document. Found on the tables' structure, so it
works for any reports that share a table layout, whatever their wording. An answer citing such
a row gives every document's figure."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

from amzn_qa.answer.answers import Answer, citation
from amzn_qa.answer.grounding import cells_holding
from amzn_qa.ingest.catalog import info_of
from amzn_qa.ingest.documents import Unit, cells, row_label, table_title

_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


@lru_cache(maxsize=65536)  # asked of every unit for every cited row; units are immutable
def row_key(unit: Unit) -> tuple[str, str] | None:
    """(table, row subject) of a row unit: its table's title and its first cell; None otherwise."""
    label = row_label(unit)
    return (_normal(table_title(unit)), _normal(label)) if label else None


def cited_rows(unit: Unit, units: list[Unit], answer: str, quote: str) -> list[tuple[Unit, list[str]]]:
    """The table rows a citation stands for, each with the columns the answer took from it: a
    cited row itself; for a cited table, list or paragraph, the rows of its section that hold
    what the answer says (a table's bullet notes repeat its figures)."""
    rows = [unit] if unit.kind == "row" else [
        u for u in units if u.kind == "row" and u.source == unit.source and u.section == unit.section]
    found = [(row, _cited_columns(row, answer, quote)) for row in rows]
    return [(row, columns) for row, columns in found if columns]


def _cited_columns(row: Unit, answer: str, quote: str) -> list[str]:
    """The columns of a row whose cells hold the answer's figures (or words), or that the quoted
    passage shows; never the row's subject column."""
    pairs = cells(row)
    held = [column for column, _ in cells_holding(answer, [row])] if answer else []
    shown = [column for column, value in pairs[1:] if f"{column}: {value}" in quote]
    return [column for column in held + shown if pairs and column != pairs[0][0]]


@dataclass(frozen=True)
class Figure:
    unit: Unit
    column: str
    value: str


def cell_value(unit: Unit, column: str) -> str | None:
    return next((value for name, value in cells(unit)[1:] if _normal(name) == _normal(column)), None)


def differing_figures(
    unit: Unit, columns: Iterable[str], units: Iterable[Unit], documents: Collection[str] | None = None
) -> list[list[Figure]]:
    """For each of the row's `columns`, the row's figure and those of the same row in other
    documents (within `documents`, if given) when at least one differs; one list per column."""
    key = row_key(unit)
    if key is None:
        return []
    twins = [u for u in units if u.source != unit.source and row_key(u) == key
             and (documents is None or u.source in documents)]
    found = []
    for column in dict.fromkeys(columns):
        figures = [Figure(unit, column, cell_value(unit, column) or "")]
        figures += [Figure(t, column, v) for t in twins if (v := cell_value(t, column)) is not None]
        if len({_normal(f.value) for f in figures}) > 1:
            found.append(_one_per_document(figures))
    return found


def _one_per_document(figures: list[Figure]) -> list[Figure]:
    """The first figure of each document, oldest document first (undated ones before)."""
    first: dict[str, Figure] = {}
    for figure in figures:
        first.setdefault(figure.unit.source, figure)
    return sorted(first.values(), key=lambda f: (f.unit.document_date, f.unit.source))


def with_differing_figures(answer: Answer, corpus: list[Unit], documents: Collection[str] | None) -> list[str]:
    """Where another document gives a different figure in the same table row and column as
    a cited one, the answer gives each document's figure with its date, and names the newest.
    Returns the sentences added."""
    if answer.refused and answer.grounded:
        return []
    sentences = []
    for c in list(answer.citations):
        unit = next((u for u in answer.sources if u.id == c.chunk_id), None)
        said = answer.answer if answer.mode == "answer" else ""  # else the quote is what is shown
        for row, columns in cited_rows(unit, corpus, said, c.quote) if unit else []:
            for figures in differing_figures(row, columns, corpus, documents):
                sentences.append(_figures_sentence(answer, figures))
    sentences = list(dict.fromkeys(sentences))
    if sentences:
        answer.answer = " ".join([answer.answer.rstrip(), *sentences])
    return sentences


def _figures_sentence(answer: Answer, figures: list[Figure]) -> str:
    """"The documents differ on <row> (<table>), <column>: A (date) gives x [1]; B (date) gives
    y [2]. The newest is B."
    Each figure is cited; a row not cited yet becomes a new citation."""
    given = []
    for figure in figures:
        n = next((c.n for c in answer.citations if c.chunk_id == figure.unit.id), None)
        if n is None:
            n = max((c.n for c in answer.citations), default=0) + 1
            answer.citations.append(citation(n, figure.unit, "", f"{figure.column}: {figure.value}"))
            answer.sources.append(figure.unit)
        given.append(f"{info_of(figure.unit).label} gives “{figure.value}” [{n}]")
    table, subject = table_title(figures[0].unit), row_label(figures[0].unit)
    text = f"The documents differ on {subject} ({table}), {figures[0].column}: {'; '.join(given)}."
    dated = [f for f in figures if f.unit.document_date]
    if len(dated) > 1:
        text += f" The newest is {info_of(dated[-1].unit).label}."
    return text
