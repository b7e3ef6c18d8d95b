"""A question that asks which rows a table has, answered with their labels (answer/row_labels.py)."""

from __future__ import annotations

import pytest

from amzn_qa.answer.row_labels import asks_for_labels, named_columns
from amzn_qa.ingest.documents import chunk_markdown

from .test_filtered_rows import RISKS

ROWS = [u for u in chunk_markdown(RISKS, "widgets.md") if u.kind == "row"]


def test_a_header_is_named_in_the_singular_or_the_plural():
    assert named_columns("which risks are scored?", ROWS[0]) == ["Risk"]
    assert named_columns("risk severity and likelihood", ROWS[0]) == ["Risk", "Severity (1-10)", "Likelihood"]


@pytest.mark.parametrize("question, labels", [
    ("Which risks does the matrix score?", True),
    ("list the risks in the risk table", True),
    ("which risks have the highest severity?", False),  # another column named: not the labels alone
    ("how are the risks mitigated?", False),  # "mitigated" names "Mitigation"
    ("how bad is the supplier failure risk?", False),  # one row, and the column in the singular
    ("which risks matter after the plant outage?", False),  # a row named
    ("which two risks worry the analyst most?", False),  # some rows, ranked
])
def test_the_labels_are_asked_for_when_only_the_label_column_is_named(question, labels):
    assert asks_for_labels(question, ROWS) is labels


@pytest.mark.embedder
def test_the_chain_lists_a_tables_row_labels(chain):
    answer = chain.ask("Which technical risks are scored in the risk matrix?")
    assert [t["rule"] for t in answer.trace if t.get("rule")][-1] == "row_labels"
    assert answer.answer.count("\n  - ") == 5 and "Severity" not in answer.answer
