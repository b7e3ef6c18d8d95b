"""A derived figure (answer/derived.py): the operation and range end read from the question, the
inputs chosen from the best-matching statements, and the calculation shown with citations."""

import pytest

from amzn_qa.answer.arithmetic import DIFFERENCE, HIGH, LOW, MEAN, MID, PERCENT, RATIO, SUM
from amzn_qa.answer.derived import (
    asked_bound, asked_operation, asked_per, calculation, chosen_inputs, figures_of, side_marks, sides,
)
from amzn_qa.answer.understand import DERIVED, answer_form
from amzn_qa.ingest.documents import Unit


def unit(uid, text, kind="row"):
    return Unit(uid, "report.md", "Gadgets > Capacity", kind, text, 1, 1)


CAPACITY = unit("cap", "Capacity — Metric: Power. Current: 12-14GW. 2026 Target: 16-18GW. 2027 Target: 24-28GW.")
FLEET = unit("fleet", "Robots: 1M+ robots deployed at a capital cost of $5-10B+", kind="list")


@pytest.mark.parametrize("question, operation", [
    ("midpoint of the price estimate?", MEAN),
    ("how many more widgets are needed to reach the target", DIFFERENCE),
    ("implied cost per robot given the fleet and the capex", RATIO),
    ("combined capacity of both sites", SUM),
    ("by what percent is A cheaper than B", PERCENT),
    ("how many percentage points below its goal is the margin", DIFFERENCE),
    ("at the top of the estimate, how much cheaper per widget is it than the rival", DIFFERENCE),
    ("on average how many depots does it run per country", RATIO),
    ("what does each truck work out to at that budget", RATIO),
    ("mid of the 2030 goal", MEAN),
    ("average of the two estimates", MEAN),
    ("how many more sites by mid-2027", DIFFERENCE),
    ("at the midpoint of the A estimate, how many times more does B cost?", RATIO),
    ("using range midpoints, how many GW does it add between now and 2027?", DIFFERENCE),
    ("how many basis points does the margin have to climb to reach its target?", DIFFERENCE),
])
def test_the_operation_is_read_from_the_question(question, operation):
    assert asked_operation(question) == operation


@pytest.mark.parametrize("question", [
    "midpoint of the price estimate?", "gap to the low end of target, bps?", "how many more chips to hit the target",
    "what's the dollar saving per chip vs the rival", "implied capital cost per robot given the fleet",
    "quick math: the budget per active member?", "kindly calculate the shortfall in percentage points", "mid of the 2030 goal",
    "what does the capex figure imply per robot?", "how many depots per country does the footprint imply?",
    "how many basis points to the bottom of the target range?", "using range midpoints, how much does it add?",
])
def test_arithmetic_questions_are_derived_and_plain_look_ups_are_not(question):
    assert answer_form(question) == DERIVED
    assert answer_form("what share of instances run on the new chip?") != DERIVED


@pytest.mark.parametrize("question, per", [
    ("what's that per active loyalty member?", "member"),
    ("how much does each truck work out to", "truck"),
    ("on average how many depots per country? rough is fine", "country"),
    ("what is the total", ""),
])
def test_a_per_unit_figure_divides_by_the_last_word_of_what_follows_per_or_each(question, per):
    assert asked_per(question) == per


def test_the_range_end_asked_for():
    assert asked_bound("at the low end of each range") == LOW
    assert asked_bound("using the top of the estimate") == HIGH
    assert asked_bound("what is the gap") is None
    assert asked_bound("at the midpoint of the estimate, how many times more is B") == MID  # a midpoint read by a step
    assert asked_bound("what is the midpoint of the estimate") is None  # the midpoint is the step


def test_how_many_times_sets_the_larger_of_two_like_figures_over_the_smaller():
    prices = unit("prices", "Chips — Rival: $150K+. Ours: $50-70K.")
    inputs = chosen_inputs(RATIO, figures_of([(1.0, prices, "Ours: $50-70K. Rival: $150K+.")]))
    text, result, _ = calculation(RATIO, inputs, MID)
    assert text.startswith("About 2.5x: $150K+") and "÷ $60K" in text and "the midpoint of $50-70K) [1]" in text
    assert result.low == result.high == 2.5


def test_each_side_is_the_question_without_the_other_and_is_told_apart_by_its_own_words():
    question = "how many GW between the 2026 target and the 2027 target"
    first, second = sides(question)
    assert "2026" in first and "2027" not in first and "2027" in second and "2026" not in second
    assert side_marks(question) == ({"2026"}, {"2027"})


def test_a_side_takes_the_figure_whose_clause_names_it():
    statement = "Current: 12-14GW. 2026 Target: 16-18GW. 2027 Target: 24-28GW."
    ranked = [(1.0, CAPACITY, statement)]
    assert figures_of(ranked, {"2027"})[0].quantity.surface == "24-28GW"
    assert figures_of(ranked)[0].quantity.surface == "12-14GW"
    assert figures_of(ranked, {"2027", "target"})[0].quantity.surface == "24-28GW"  # most marks first


def test_inputs_are_chosen_by_what_the_operation_needs():
    found = figures_of([(1.0, FLEET, "Robots: 1M+ robots deployed at a capital cost of $5-10B+")])
    amount, count = chosen_inputs(RATIO, found)
    assert (amount.quantity.surface, count.quantity.surface) == ("$5-10B+", "1M+")
    assert chosen_inputs(MEAN, found) == [amount]  # the first range
    assert chosen_inputs(DIFFERENCE, found) == []  # money and robots cannot be subtracted


def test_the_calculation_is_shown_with_each_input_cited():
    ranked = [(1.0, CAPACITY, "2026 Target: 16-18GW."), (0.9, CAPACITY, "2027 Target: 24-28GW.")]
    inputs = chosen_inputs(DIFFERENCE, figures_of(ranked))
    text, result, cited = calculation(DIFFERENCE, inputs, LOW)
    assert text == ("About 8GW: 24GW (Power, 2027 Target, the low end of 24-28GW) [1] − "
                    "16GW (Power, 2026 Target, the low end of 16-18GW) [1].")
    assert cited == [CAPACITY]


@pytest.mark.embedder
def test_a_derived_question_is_calculated_from_the_report(chain):
    answer = chain.ask("What is the midpoint of the per-chip price estimate for Trainium 2?")
    assert answer.calculation == {"operation": MEAN, "inputs": ["$50-70K"], "bound": None, "result": "$60K"}
    assert answer.answer.startswith("About $60K: the midpoint of $50-70K") and "[1]" in answer.answer
    assert "$50-70K" in answer.citations[0].quote or "$50-70K" in answer.sources[0].text
    assert [(e["stage"], e["rule"]) for e in answer.trace if "rule" in e] == [("derive", "calculated")]
    assert answer.to_json()["calculation"]["result"] == "$60K"


def test_arithmetic_words_without_an_operation_compute_nothing():
    assert asked_operation("walk me through the math behind the robotics bet") is None


@pytest.mark.embedder
def test_a_question_that_mentions_the_math_but_asks_no_step_keeps_its_other_form(chain):
    answer = chain.ask("why does the math on the robot fleet matter for the margin story?")
    derive = next(t for t in answer.trace if t["stage"] == "derive")
    assert derive["detail"].endswith("answered as form explain")
    assert answer.calculation is None and not answer.refused


def test_a_per_unit_figure_never_divides_a_count_by_a_count_of_the_same_thing():
    regions = unit("regions", "Regions — Current: 30+ regions, 96 AZs. 2026 Target: 32+ regions.")
    found = figures_of([(1.0, regions, "Current: 30+ regions, 32+ regions planned, 96 AZs.")])
    amount, count = chosen_inputs(RATIO, found, per="region", asked={"zones", "region"})
    assert (amount.quantity.surface, count.quantity.surface) == ("96", "30+")
