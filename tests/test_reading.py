"""The evaluation's own reading of an answer (evaluation/reading.py): figures by value and
refusal wording, independent of the chain's parser."""

import pytest

from amzn_qa.evaluation.reading import says_not_answered, stated_figures, stated_values


@pytest.mark.parametrize("text, figures", [
    ("1M+ robots", [("1M+", {1e6})]),
    ("1 million robots", [("1 million", {1e6})]),
    ("3.8GW added", [("3.8", {3.8})]),  # GW is a unit, not a multiplier
    ("2,300 cities", [("2,300", {2300})]),
    ("1.5bn and $9K", [("1.5bn", {1.5e9}), ("$9K", {9e3})]),
    ("18% share", [("18%", {18})]),
    ("$50-70K per chip", [("$50", {50, 50e3}), ("70K", {70e3})]),  # the start may take the end's multiplier
    ("$50K–$70K", [("$50K", {50e3}), ("$70K", {70e3})]),
    ("30 to 40%", [("30", {30}), ("40%", {40})]),
    ("5 minutes, 2 mm", [("5", {5}), ("2 mm", {2e6})]),  # "m" of "minutes" is no multiplier
    ("H100, Q4 2025 and v2.5", [("2025", {2025})]),  # the tails of names and codes are no figures
    ("5 and 70K", [("5", {5}), ("70K", {70e3})]),  # not a range: each keeps its own value
])
def test_figures_are_read_by_value(text, figures):
    assert [(f.written, set(f.values)) for f in stated_figures(text)] == [(w, set(v)) for w, v in figures]


def test_a_figure_claims_its_full_value():
    start, end = stated_figures("$50-70K")
    assert (start.claimed, end.claimed) == (50e3, 70e3)
    assert stated_values("about $50-70K") == {50, 50e3, 70e3}


@pytest.mark.parametrize("answer", [
    "The document does not cover this.",
    "The context doesn’t mention who the CEO is.",
    "The sources do not say. Amazon has 1M+ robots [1].",
    "No information on the dividend is given.",
    "The price is not stated in the document.",
    "I cannot answer that from the documents.",
])
def test_an_answer_opening_with_not_answered_is_a_refusal(answer):
    assert says_not_answered(answer)


@pytest.mark.parametrize("answer", [
    "Amazon has deployed 1M+ robots [1].",
    "The closest passage in the document: “Cities with Service. Status: 2,300 by year-end 2025.” [1]",
    "Kiva was acquired in 2012 [1]. Dividend: none given.",  # only the first sentence counts
    "Graviton 4 does not matter less: it gives 30% better compute [1].",  # a verb that says nothing of the documents
])
def test_an_answer_that_says_something_is_no_refusal(answer):
    assert not says_not_answered(answer)
