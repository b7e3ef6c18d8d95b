"""Figures read as quantities and one arithmetic step over them (answer/arithmetic.py)."""

import pytest

from amzn_qa.answer.arithmetic import (
    DIFFERENCE, HIGH, LOW, MEAN, MID, PERCENT, RATIO, SUM, calculate, compatible, quantities, written,
)


def one(text):
    [q] = quantities(text)
    return q


@pytest.mark.parametrize("text, low, high, kind, noun, at_least", [
    ("~$50-70K per chip", 50_000, 70_000, "$", "", False),
    ("H100 ($150K+)", 150_000, 150_000, "$", "", True),
    ("16-18GW by 2026", 16, 18, "GW", "", False),
    ("only 4.5% (margin)", 4.5, 4.5, "%", "", False),
    ("1M+ robots", 1_000_000, 1_000_000, "count", "robots", True),
    ("2,300 cities by year-end", 2_300, 2_300, "count", "cities", False),
    ("$5.2 billion", 5.2e9, 5.2e9, "$", "", False),
    ("150 bps", 150, 150, "bps", "", False),
])
def test_a_figure_is_read_as_an_interval_with_its_kind(text, low, high, kind, noun, at_least):
    q = one(text)
    assert (q.low, q.high, q.kind, q.noun, q.at_least) == (low, high, kind, noun, at_least)


def test_years_and_bare_numbers_are_not_quantities():
    assert quantities("Trainium 3 (Q1 2026) ships in 2026, model 2") == []


def test_a_range_gives_a_range_and_an_end_gives_one_figure():
    current, target = quantities("16-18GW then 24-28GW")
    assert written(calculate(DIFFERENCE, current, target)) == "8-10GW"
    assert written(calculate(DIFFERENCE, current.bound(LOW), target.bound(LOW))) == "8GW"
    assert written(calculate(DIFFERENCE, current.bound(MID), target.bound(MID))) == "9GW"
    assert one("$150K+").bound(LOW) == one("$150K+")  # a single figure is its own end, still a floor
    assert written(calculate(MEAN, one("$50-70K"))) == "$60K"
    assert written(calculate(DIFFERENCE, one("$50-70K").bound(HIGH), one("$150K+"))) == "$80K"


def test_a_difference_of_shares_is_in_points_and_basis_points():
    assert written(calculate(DIFFERENCE, one("4.5%"), one("6-8%").bound(LOW))) == "1.5 percentage points (150 bps)"


def test_a_ratio_of_an_amount_to_a_count_is_per_unit():
    cost, fleet = quantities("$5-10B+ for 1M+ robots")
    assert compatible(cost, fleet, RATIO) and not compatible(cost, fleet, DIFFERENCE)
    assert written(calculate(RATIO, cost, fleet)) == "$5K-$10K per robot"
    zones, regions = quantities("96 AZs in 30+ regions")
    assert written(calculate(RATIO, zones, regions)) == "3.2 AZs per region"


def test_sum_and_percentage_difference():
    assert written(calculate(SUM, one("3.8GW"), one("1GW"))) == "4.8GW"
    assert written(calculate(PERCENT, one("$100K"), one("$150K"))) == "50%"
    with pytest.raises(ValueError):
        calculate(SUM, one("3.8GW"))
