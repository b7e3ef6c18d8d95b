"""A look-up of several cells of one named table row (answer/row_cells.py)."""

from __future__ import annotations

import pytest

from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.row_cells import asked_columns, named_row
from amzn_qa.ingest.documents import chunk_markdown, row_label

RISKS = """# Widget Co

## Risks

| Risk | Severity (1-10) | Likelihood | Mitigation |
|---|---|---|---|
| **Supplier Failure** | 8 | Medium (30-40%) | Second source qualified |
| **Demand Shortfall** | 6 | High (60-70%) | Flexible contracts |
"""


@pytest.fixture
def rows():
    return [u for u in chunk_markdown(RISKS, "widgets.md") if u.kind == "row"]


def test_the_row_named_by_its_label_and_the_columns_named_by_their_headers(rows):
    asked = set(keywords("what severity rating and how likely is the demand shortfall risk?"))
    row = named_row(asked, rows)
    assert row_label(row) == "Demand Shortfall"
    assert asked_columns(asked, row) == ["Severity (1-10)", "Likelihood"]


def test_a_question_that_names_no_row_gets_none(rows):
    assert named_row(set(keywords("what severity is the plant outage?")), rows) is None


@pytest.mark.embedder
def test_the_chain_answers_two_asked_cells_of_a_row_in_one_sentence(chain):
    answer = chain.ask("for the risk register: severity and likelihood of the rufus cannibalization risk?")
    assert answer.answer == "Rufus Cannibalization — Severity (1-10): 5; Likelihood: Medium (20-30%) [1]"
    assert [t["rule"] for t in answer.trace if t.get("rule")][-1] == "asked_cells"


def test_a_column_of_another_year_is_not_asked():
    row = chunk_markdown("# W\n\n## Plan\n\n| Metric | 2026 Target | 2027 Target |\n|---|---|---|\n"
                         "| **Output** | 5 | 9 |\n", "w.md")[-1]
    assert asked_columns(set(keywords("what is the 2026 output target?")), row) == ["2026 Target"]
