"""The answer form is read from how a question is asked, whatever the report."""

import pytest

from amzn_qa.answer.understand import COMPARE, EXPLAIN, FACT, LIST, answer_form


@pytest.mark.parametrize(
    "question, form",
    [
        ("How many stores does Acme run?", FACT),
        ("what's the price of the widget", FACT),
        ("When did the plant open?", FACT),
        ("which suppliers does Acme use", LIST),
        ("list the product lines", LIST),
        ("acme partners", LIST),
        ("why did margins fall", EXPLAIN),
        ("walk me through the capex plan", EXPLAIN),
        ("what are the main risks for the retail arm", EXPLAIN),
        ("how does the loyalty scheme make money", EXPLAIN),
        ("widget a vs widget b on price", COMPARE),
        ("which segment has the highest growth", COMPARE),
        ("how does the EU unit compare with the US one", COMPARE),
    ],
)
def test_answer_form_follows_the_wording_of_the_question(question, form):
    assert answer_form(question) == form
