"""A list question answered with the list it names by its label (answer/labelled_list.py)."""

from __future__ import annotations

import pytest

from amzn_qa.answer.labelled_list import label_share, list_text, named_list
from amzn_qa.ingest.documents import chunk_markdown

WIDGETS = """# Widget Co

## Plant

**Plant Expansion Risks:**
- Permit delays: Zoning approvals for the second line take 9-12 months
- Supplier scarcity: Few vendors qualified for the coating step
- Cost escalation: Steel prices rising

**Highlights:**
- Output: 2M widgets a year
- Staff: 400
"""


@pytest.fixture
def lists():
    return [u for u in chunk_markdown(WIDGETS, "widgets.md") if u.kind == "list"]


@pytest.mark.parametrize("question, lead", [
    ("what risks does the plant expansion face? list them", "Plant Expansion Risks:"),
    ("plant expansion risk bullets", "Plant Expansion Risks:"),
    ("what are the plant highlights?", "Highlights:"),
    ("what risks does the company face?", None),  # one word of three: not this list by name
])
def test_a_list_is_named_when_the_question_has_most_of_its_label(lists, question, lead):
    found = named_list(question, lists)
    assert (found.text.split("\n")[0] if found else None) == lead


def test_the_label_is_compared_by_word_roots(lists):
    assert label_share("expansion risk", lists[0]) == pytest.approx(2 / 3)


def test_the_answer_is_the_label_and_every_item_cut_to_its_first_words(lists):
    assert list_text(lists[0]).split("\n") == [
        "- Plant Expansion Risks:",
        "  - Permit delays: Zoning approvals for the second line take 9-12 months",
        "  - Supplier scarcity: Few vendors qualified for the coating step",
        "  - Cost escalation: Steel prices rising [1]",
    ]


@pytest.mark.embedder
def test_the_chain_answers_a_list_named_by_its_label_with_that_list_alone(chain):
    answer = chain.ask("Which power infrastructure risks does the analyst list?")
    assert [t["rule"] for t in answer.trace if t.get("rule")][-1] == "labelled_list"
    assert len(answer.citations) == 1 and answer.answer.count("\n  - ") == 4


def test_a_label_that_does_not_name_its_heading_is_led_by_it(lists):
    assert list_text(lists[1]).split("\n")[0] == "- Plant — Highlights:"


def test_a_list_whose_label_has_a_name_is_named_only_with_that_name(lists):
    assert named_list("what are the expansion risks?", lists, names={"plant"}) is None
    assert named_list("what are the plant expansion risks?", lists, names={"plant"}) is lists[0]


def test_a_label_name_or_number_is_matched_in_the_singular_or_plural_and_exactly():
    numbered = chunk_markdown("# Co\n\n## Gizmos\n\n**Gizmo 2 Challenges:**\n- Cost: high\n- Supply: thin\n", "g.md")[0]
    assert named_list("list the gizmo 2 challenge", [numbered], names={"gizmo", "challenges"}) is numbered
    assert named_list("list the gizmo 3 challenges", [numbered], names={"gizmo", "challenges"}) is None
