"""A follow-up that names another row or column of the table the earlier answer came from."""

from __future__ import annotations

import pytest

from amzn_qa.answer.follow_up import Cell, asked_name, given_cells, renamed, said_cells
from amzn_qa.ingest.documents import Unit, chunk_markdown, row_label

RISKS = """# Widget Co

## Risks

| Risk | Severity | Likelihood | Mitigation |
|---|---|---|---|
| **Supplier Failure** | 8 | Medium (30-40%) | Second source qualified |
| **Demand Shortfall** | 6 | High (60-70%) | Flexible contracts |
| **Plant Outage** | 3 | Low (5-10%) | Spare line |
| **New Plant Delay** | 5 | — | — |
"""


@pytest.fixture
def corpus() -> list[Unit]:
    return chunk_markdown(RISKS, "widgets.md")


def test_the_earlier_answer_locates_its_row_and_the_columns_it_repeated(corpus):
    cell = said_cells("how likely is a supplier failure?", "Medium (30-40%), severity 8.", corpus)
    assert row_label(cell.row) == "Supplier Failure" and cell.columns == ("Severity", "Likelihood")


def test_a_named_row_keeps_the_columns_and_a_named_column_keeps_the_row(corpus):
    earlier = said_cells("how likely is a supplier failure?", "Medium (30-40%).", corpus)
    other_row = renamed(earlier, asked_name("and for demand shortfall?"), corpus)
    assert row_label(other_row.row) == "Demand Shortfall" and other_row.columns == ("Likelihood",)
    other_column = renamed(earlier, asked_name("and its mitigation?"), corpus)
    assert other_column.row == earlier.row and other_column.columns == ("Mitigation",)


def test_a_follow_up_naming_nothing_of_the_table_is_left_to_the_other_stages(corpus):
    earlier = said_cells("how likely is a supplier failure?", "Medium (30-40%).", corpus)
    assert renamed(earlier, asked_name("and the downside?"), corpus) is None
    assert said_cells("how likely is a supplier failure?", "The document does not cover this.", corpus) is None


def test_a_blank_cell_is_named_as_not_given_after_what_the_row_gives(corpus):
    delay = next(u for u in corpus if row_label(u) == "New Plant Delay")
    assert given_cells(Cell(delay, ("Severity", "Likelihood"))) == ("Severity: 5", ["Likelihood"])
    assert given_cells(Cell(delay, ("Mitigation",))) == ("Severity: 5", ["Mitigation"])  # the row's other cells
    assert given_cells(Cell(delay, ("Likelihood", "Mitigation"))) == ("Severity: 5", ["Likelihood", "Mitigation"])


@pytest.mark.embedder
def test_the_chain_answers_the_same_column_of_the_named_row(chain):
    history = [{"role": "user", "content": "How severe is the Rufus cannibalization risk rated?"},
               {"role": "assistant", "content": "Rufus Cannibalization has a severity of 5 (1-10)."}]
    answer = chain.ask("and perishable profitability?", history)
    assert answer.answer.startswith("Perishable Profitability — Severity (1-10): 5 [1]")
    assert answer.citations[0].section.endswith("Technical Risk Assessment")
    assert [t["rule"] for t in answer.trace if t.get("rule")][-1] == "follow_row"


def test_a_follow_up_that_asks_about_the_earlier_subject_names_no_other_row(corpus):
    assert asked_name("what did that cost?") == set()
    assert asked_name("and for plant outage?") == {"plant", "outage"}
    assert asked_name("and the plant outage one?") == {"plant", "outage"}
    assert asked_name("and for phase one?") == {"phase", "one"}


PLAN = """# Widget Co

## Capacity

| Metric | Current | 2026 Target | 2027 Target |
|---|---|---|---|
| **Plant Output (units)** | 10K | 14K | 20K |
| **Sites** | 3 | 4 | 6 |
"""


def test_frame_words_may_pile_up_before_the_named_column():
    plan = chunk_markdown(PLAN, "plan.md")
    assert asked_name("and what about 2027?") == {"2027"}
    assert asked_name("ok so how about sites?") == {"site"}
    earlier = said_cells("plant output now? and the 2026 target?", "14K by 2026.", plan)
    later = renamed(earlier, asked_name("and what about 2027?"), plan)
    assert row_label(later.row) == "Plant Output (units)" and later.columns == ("2027 Target",)
