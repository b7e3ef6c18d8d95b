"""Checks of a draft that read the question's kind of answer (answer/checks.py)."""

from amzn_qa.answer.checks import Draft, _names_nobody
from amzn_qa.answer.state import AnswerState


def test_a_question_after_a_person_answered_with_no_name_is_refused():
    asked = AnswerState("who's the widget exec that said supply is short?", subject=frozenset({"widgetco"}))
    assert _names_nobody(asked, Draft.of("WidgetCo [1].", [])).rule == "names_nobody"
    assert _names_nobody(asked, Draft.of("The widget exec [1].", [])).rule == "names_nobody"
    assert _names_nobody(asked, Draft.of("Jane Roe said so [1].", [])) is None
    by_role = AnswerState("Which WidgetCo executive said supply is short?", subject=frozenset({"widgetco"}))
    assert _names_nobody(by_role, Draft.of("The earnings call [1].", [])).rule == "names_nobody"


def test_a_who_question_that_asks_for_no_person_is_left_alone():
    for question in ("who competes with Widgetron?", "Who is Widgetron for?", "Who are WidgetCo's customers?",
                     "which chips does WidgetCo make?"):
        assert _names_nobody(AnswerState(question), Draft.of("Shoppers [1].", [])) is None
