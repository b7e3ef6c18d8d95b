"""Property-based tests (hypothesis) of the chunker and the question path with hostile input."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amzn_qa.answer.chain import MODES, QuestionError, validate_question
from amzn_qa.answer.markers import CITATION
from amzn_qa.config import Settings
from amzn_qa.ingest.documents import cells, chunk_markdown

CELL = st.text(st.characters(blacklist_characters="|\n\r", blacklist_categories=("Cs",)), max_size=30)
LINE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


def check_units(text: str, units) -> None:
    lines = len(text.split("\n"))
    assert len({u.id for u in units}) == len(units)
    for unit in units:
        assert 1 <= unit.start_line <= unit.end_line <= max(lines, 1)
        assert unit.text.strip()


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=60))
def test_chunker_survives_any_text(lines):
    text = "\n".join(lines)
    check_units(text, chunk_markdown(text, "random.md"))


@settings(max_examples=200, deadline=None)
@given(
    header=st.lists(CELL, min_size=1, max_size=6),
    rows=st.lists(st.lists(CELL, min_size=0, max_size=9), min_size=1, max_size=12),
    headings=st.lists(st.sampled_from(["#", "##", "###", "####"]), max_size=4),
)
def test_tables_with_missing_or_extra_cells_and_empty_headings(header, rows, headings):
    text = "\n".join(f"{h} Heading {i}" for i, h in enumerate(headings))
    text += "\n\n| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
    text += "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"
    units = chunk_markdown(text, "table.md")
    check_units(text, units)
    assert len([u for u in units if u.kind == "row"]) == len(rows)
    for row in (u for u in units if u.kind == "row"):
        found = cells(row)  # (column, value) pairs, read back out of the row's linearised text
        assert found and all(f"{column}: {value}" in row.text for column, value in found if value)


def test_enormous_document_is_chunked():
    row = "| **Metric** | 12-14GW | more text here |\n"
    text = "# Big\n\n## Table\n\n| A | B | C |\n|---|---|---|\n" + row * 20_000
    units = chunk_markdown(text, "big.md")
    assert len([u for u in units if u.kind == "row"]) == 20_000


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=2000))
def test_question_validation_accepts_or_explains(text):
    limits = Settings(max_question_chars=500)
    try:
        question = validate_question(text, limits)
    except QuestionError as err:
        assert str(err).startswith("The question is")
        return
    assert question.strip() and len(question) <= 500
    assert not any(ord(c) < 32 and c not in "\t\n" for c in question)


@pytest.mark.embedder
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=500).filter(str.strip), st.integers(1, 12))
def test_retrieval_gives_k_distinct_indexed_units_for_any_text(retriever, text, k):
    hits = retriever.retrieve(text, k)
    ids = [h.unit.id for h in hits]
    assert len(ids) == k and len(set(ids)) == k  # the corpus has far more than 12 units
    assert set(ids) <= {u.id for u in retriever.units}


# Questions the document answers, with random text around them: the answers carry citations.
ANSWERED = ["How many robots has Amazon deployed?", "When did Amazon acquire Kiva?",
            "Roughly what does one Trainium 2 chip cost?"]
UNICODE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=150)


@pytest.mark.llm
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(UNICODE.filter(str.strip), st.tuples(UNICODE, st.sampled_from(ANSWERED), UNICODE).map(" ".join)))
def test_answers_to_random_unicode_are_well_formed(chain, text):
    """Whatever is asked, the answer is one of the modes, each citation has a number of its own
    and is marked in the text, and no marker points at a citation that is not there (README:
    `citations[].n` matches the `[n]` markers)."""
    try:
        answer = chain.ask(text)
    except QuestionError:
        return
    numbers = [c.n for c in answer.citations]
    assert answer.mode in MODES and len(set(numbers)) == len(numbers)
    assert {int(n) for group in CITATION.findall(answer.answer) for n in re.split(r"\s*[,;]\s*", group)} == set(numbers)
    assert {c.chunk_id for c in answer.citations} <= {u.id for u in chain.retriever.units}


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=40))
def test_every_unit_cuts_into_statements_that_rebuild_it(lines):
    from amzn_qa.ingest.documents import statements

    text = "\n".join(lines)
    for unit in chunk_markdown(text, "random.md"):
        cut = statements(unit)
        assert cut.items
        whole = cut.view(list(range(len(cut.items))))
        assert all(item in whole for item in cut.items)
        assert cells(unit) == [] or unit.kind in ("row", "table")  # cells are a table's only


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=500))
def test_any_question_splits_into_non_empty_parts(text):
    from amzn_qa.answer.understand import Turn, split_question

    parts = [part.standalone for part in split_question(Turn(text, text))]
    assert parts and all(p.strip() for p in parts) if text.strip() else parts == [text]
    assert len(parts) <= len(text.split()) + 1
