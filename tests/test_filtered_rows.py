"""A list question that picks a table's rows by one column's value (answer/filtered_rows.py)."""

from __future__ import annotations

import pytest

from amzn_qa.answer.filtered_rows import _tokens, asks_which, names_column, value_filter
from amzn_qa.ingest.documents import chunk_markdown

RISKS = """# Widget Co

## Risks

| Risk | Severity (1-10) | Likelihood | Mitigation |
|---|---|---|---|
| **Supplier Failure** | 8 | Medium (30-40%) | Second source qualified |
| **Demand Shortfall** | 6 | High (60-70%) | Flexible contracts |
| **Plant Outage** | 6 | Medium (5-10%) | Spare line |
"""


@pytest.fixture
def rows():
    return [u for u in chunk_markdown(RISKS, "widgets.md") if u.kind == "row"]


def test_a_column_is_named_by_a_header_word_or_its_first_letters():
    assert names_column({"sev"}, "Severity (1-10)") and names_column({"likelihood"}, "Likelihood")
    assert not names_column({"se"}, "Severity (1-10)") and not names_column({"6"}, "Severity (1-10)")


@pytest.mark.parametrize("question, found", [
    ("which risks are sev 6", ("Severity (1-10)", "6")),
    ("which risks have a medium likelihood?", ("Likelihood", "medium")),
    ("which risks are listed?", None),  # no column named
    ("which risks have severity 9?", None),  # no row holds it
])
def test_the_rows_are_picked_by_a_value_some_cells_of_the_named_column_hold(rows, question, found):
    assert value_filter(_tokens(question), rows) == found


@pytest.mark.embedder
def test_the_chain_lists_the_rows_holding_the_asked_value(chain):
    answer = chain.ask("which of the risks carry a low likelihood?")
    assert answer.answer.splitlines()[1:] == ["  - Perishable Profitability: Low (20-30%) [1]"]
    assert [t["rule"] for t in answer.trace if t.get("rule")][-1] == "filtered_rows"


def test_which_may_open_any_piece_of_the_question():
    assert asks_which("Slide title: 'Mid-severity risks' — which risks carry a severity of 5?")
    assert asks_which("Slide title -> which risks carry a severity of 5?")
    assert not asks_which("what is the widget which ships first?")
