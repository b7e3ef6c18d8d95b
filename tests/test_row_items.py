"""A list inside one named row's cell (answer/row_items.py)."""

from __future__ import annotations

import pytest

from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.row_cells import best_named_rows
from amzn_qa.answer.row_items import lists_items
from amzn_qa.ingest.documents import chunk_markdown, row_label

PARTS = """# Widget Co

## Product Line

| Model | Deployment | Pricing |
|---|---|---|
| **Widget 2** | Plants A, B | ~10% cheaper than rivals |
| **Widget 3** | Plants C/D | ~15% premium to Widget 2 |

## Risks

| Risk | Severity | Mitigation |
|---|---|---|
| **Widget Recall** | 7 | Second source (Acme, Bolt, Crane) |
"""


@pytest.fixture
def rows():
    return [u for u in chunk_markdown(PARTS, "widgets.md") if u.kind == "row"]


NAMES = {"widget"}  # the documents' names: a word only ever written capitalised


def test_the_one_row_the_question_names(rows):
    assert [row_label(r) for r in best_named_rows(set(keywords("which plants is widget 3 deployed in?")), rows, NAMES)] \
        == ["Widget 3"]


def test_rows_named_whole_alike_are_asked_together(rows):
    both = [r for r in rows if row_label(r) in ("Widget 2", "Widget 3")]
    assert best_named_rows(set(keywords("which plants make widget 2 and widget 3?")), both, NAMES) == []


def test_a_shared_name_alone_is_the_questions_subject_not_the_row(rows):
    # "widget" is a name; "Widget Recall" needs "recall" too
    recall = [r for r in rows if row_label(r) == "Widget Recall"]
    assert best_named_rows(set(keywords("what can the widget do for buyers?")), recall, NAMES) == []
    assert best_named_rows(set(keywords("which suppliers back up a widget recall?")), recall, NAMES) == recall
    # an ordinary word is enough when the name is not one
    assert best_named_rows(set(keywords("what can the widget do for buyers?")), recall, set()) == recall


def test_rows_named_by_half_their_label_alike_are_all_candidates():
    rows = [u for u in chunk_markdown("# W\n\n## Platform\n\n| Capability | Details |\n|---|---|\n"
                                      "| **Model Support** | Alpha, Beta, Gamma |\n| **Pricing Model** | Per token |\n",
                                      "w.md") if u.kind == "row"]
    assert len(best_named_rows(set(keywords("which models can you get?")), rows, set())) == 2


@pytest.mark.parametrize("cell, listed", [
    ("Plants A, B", True), ("Plants C/D", True), ("Retail data + partner data", True),
    ("Multi-vendor (Acme, Bolt); validation", True), ("Expected 2026", False), ("~15% premium to Widget 2", False),
    ("24/7 support", False), ("$0.10/GB", False),
])
def test_a_cell_lists_items_when_it_has_two_parts(cell, listed):
    assert lists_items(cell) is listed


@pytest.mark.embedder
def test_the_chain_answers_a_list_inside_one_row_with_that_cell(chain):
    answer = chain.ask("list the instance families that graviton 3 is deployed on")
    assert answer.answer.startswith("Graviton 3 — Deployment: EC2 C7g/M7g instances")
    assert [t["rule"] for t in answer.trace if t.get("rule")] == ["row_items"]
