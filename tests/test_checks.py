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


CHIPS = """# Gizmo Co

## Chips

**Gizmo 3 (next generation):**
- Speed: ~40% faster than Gizmo 2

| Chip | Price |
|---|---|
| **Gizmo 2** | ~$5K |
"""


def _chips_state(question: str) -> tuple[AnswerState, list]:
    from amzn_qa.answer.retrieval import Focused
    from amzn_qa.ingest.documents import chunk_markdown, statements

    corpus = chunk_markdown(CHIPS, "chips.md")
    units = [u for u in corpus if u.kind in ("list", "row")]
    state = AnswerState(question, corpus=corpus)
    state.focused = [Focused(u, statements(u).view(range(len(statements(u).items))), 1.0, statements(u).items[0])
                     for u in units]
    return state, units


def test_a_draft_citing_a_neighbour_shows_the_best_passage_when_it_is_about_what_was_asked():
    from amzn_qa.answer.checks import _off_topic

    state, units = _chips_state("how much faster is Gizmo 3?")
    draft = Draft.of("~$5K [2]", units)
    draft.numbers = [2]
    assert _off_topic(state, draft).shows == "best_passage"
    state.focused.reverse()  # the best passage is the neighbour's: evidence, not an answer
    assert _off_topic(state, draft).shows == "evidence"



def test_the_best_passage_without_a_figure_of_the_asked_kind_is_no_answer():
    from amzn_qa.answer.checks import _off_topic

    for question in ("what is the price of Gizmo 3?", "how many customers use Gizmo 3?"):
        state, units = _chips_state(question)
        draft = Draft.of("~$5K [2]", units)
        draft.numbers = [2]
        assert _off_topic(state, draft).shows == "evidence"
