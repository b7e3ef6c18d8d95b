"""A premise the sources contradict (answer/premises.py)."""

from __future__ import annotations

import pytest

from amzn_qa.answer.premises import contradicting, direction, why_claim


@pytest.mark.parametrize("text, way", [
    ("sales running ahead of plan", 1), ("output fell short", -1), ("lower-risk than the old line", -1),
    ("shipments are steady", 0), ("higher in one plant, lower in the other", 0),
    ("adoption isn't ahead of plan", 0), ("not running ahead", 0),  # a negation says too little
])
def test_a_text_says_up_down_or_neither(text, way):
    assert direction(text) == way


@pytest.mark.parametrize("question, claim", [
    ("why is widget adoption running ahead of plan?", "widget adoption is running ahead of plan"),
    ("Why are margins shrinking, and what is the fix?", "margins are shrinking"),
    ("why's the plant lagging", "the plant is lagging"),
    ("why is the purchasing rate of widget users lower?", "the purchasing rate of widget users is lower"),
    ("why are growing power costs lower now?", "growing power costs are lower now"),  # nouns' -ing words
    ("why is everything slower than planned", "everything is slower than planned"),
    ("why does the plant matter?", ""),  # no auxiliary to put back: no claim read
    ("how fast is adoption?", ""),
])
def test_a_why_question_takes_its_clause_as_given(question, claim):
    assert why_claim(question) == claim


SAID = ["Adoption: Growing but slower than expected", "Price: 20% lower than the rival's", "Output: 2M a year"]


def test_the_statement_saying_the_opposite_about_the_same_thing_contradicts():
    assert contradicting("widget adoption is running ahead of expectations", SAID, {"widget"}) == SAID[0]
    assert contradicting("widget adoption is lagging expectations", SAID, {"widget"}) is None  # the same way


def test_a_statement_about_something_else_or_one_that_agrees_leaves_the_claim_alone():
    assert contradicting("widget prices are rising", SAID, {"widget"}) is None  # "price" alone: not the same thing
    both = [*SAID, "Adoption: ahead of expectations in Europe"]
    assert contradicting("widget adoption is running ahead of expectations", both, {"widget"}) is None


def test_a_negated_claim_is_not_contradicted():
    assert contradicting("widget adoption isn't ahead of expectations", SAID, {"widget"}) is None
