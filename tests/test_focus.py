"""Cutting units into statements, focusing them on the question, and the table-cell checks."""

import pytest

from amzn_qa.answer.answers import Answer, Citation, joined as joined_answer
from amzn_qa.answer.understand import Turn, split_question
from amzn_qa.answer.grounding import cells_holding, other_period, whole_cell
from amzn_qa.answer.markers import renumber_citations
from amzn_qa.ingest.documents import Unit, cells, chunk_markdown, statements

TABLE = """# Gadgets Inc

## Sales

| Metric | Current | 2026 Target | 2027 Target |
|---|---|---|---|
| **Units Sold** | 40K+ | 50K+ | — |
| **Stores** | 12 | 15 | 20 |

**Partners:**
- Retail: Globex, Initech
- Online: Hooli

Gadgets sell well. Margins are thin. Growth is steady.
"""


def units(kind: str) -> list[Unit]:
    return [u for u in chunk_markdown(TABLE, "gadgets.md") if u.kind == kind]


def test_a_row_is_cut_into_cells_after_its_subject():
    row = units("row")[0]
    cut = statements(row)
    assert cut.lead == "Sales — Metric: Units Sold."
    assert cut.items == ["Current: 40K+.", "2026 Target: 50K+.", "2027 Target: none given."]
    assert cut.view([2]) == "Sales — Metric: Units Sold. 2027 Target: none given."


def test_a_list_keeps_its_label_and_a_paragraph_splits_at_sentences():
    listed = statements(units("list")[0])
    assert listed.lead == "Partners:" and listed.items == ["- Retail: Globex, Initech", "- Online: Hooli"]
    assert listed.view([1]) == "Partners:\n- Online: Hooli"
    assert statements(units("paragraph")[0]).items == ["Gadgets sell well.", "Margins are thin.", "Growth is steady."]


def test_cells_of_a_row_and_of_a_whole_table():
    assert ("2026 Target", "50K+") in cells(units("row")[0])
    table_cells = cells(units("table")[0])
    assert ("Metric", "Stores") in table_cells and ("2027 Target", "20") in table_cells
    assert cells(units("list")[0]) == []


def test_the_cell_holding_an_answer_and_its_period():
    row = units("row")[1]
    assert cells_holding("15 stores [1]", [row]) == [("2026 Target", "15")]
    assert cells_holding("Tore [1]", [row]) == []  # inside "Stores", not a word of it
    assert other_period("How many stores in 2027?", "2026 Target")
    assert not other_period("How many stores in 2026?", "2026 Target")
    assert not other_period("How many stores are there?", "2026 Target")


def test_a_piece_of_a_short_cell_becomes_thewhole_cell():
    cell = [("Likelihood", "Medium (40-50%)")]
    assert whole_cell("Medium [1]", cell) == "Medium (40-50%) [1]"
    assert whole_cell("Medium (40-50%) [1]", cell) == "Medium (40-50%) [1]"
    assert whole_cell("High [1]", cell) == "High [1]"
    assert whole_cell("Low [1]", [("Usage", "Slow adoption")]) == "Low [1]"  # a piece of a word is not


def test_an_answer_that_is_one_cell_names_its_row_and_column():
    from amzn_qa.answer.grounding import labelled_cell

    stores = units("row")[1]  # "Stores": 12 now, 15 in 2026, 20 in 2027
    assert labelled_cell("20 [1].", [stores]) == "Stores — 2027 Target: 20 [1]."
    assert labelled_cell("About 20 stores [1].", [stores]) == "About 20 stores [1]."  # a sentence already
    assert labelled_cell("12 [1]", [units("list")[0]]) == "12 [1]"  # not a row's cell


def test_citations_are_renumbered_and_unknown_ones_dropped():
    assert renumber_citations("A [1]. B [2, 3]. C [4].", {1: 3, 2: 1}) == "A [3]. B [1]. C."


def test_compound_questions_are_split():
    def parts(question: str) -> list[str]:
        return [part.standalone for part in split_question(Turn(question, question))]

    assert parts("How many stores are there, and what is the 2027 target?") == [
        "How many stores are there?",
        'what is the 2027 target? (follow-up to: "How many stores are there?")',
    ]
    assert parts("What is the store target for 2026 and 2027?") == [
        "What is the store target for 2026?",
        "What is the store target for 2027?",
    ]
    assert parts("Which partners sell gadgets online?") == ["Which partners sell gadgets online?"]
    # an acknowledgement before "and" is no question of its own
    assert parts("OK, and how many stores are there?") == ["OK, and how many stores are there?"]
    assert parts("Ok cool thanks, and how many stores are there?") == ["Ok cool thanks, and how many stores are there?"]
    assert len(parts("Store count, and what is the 2027 target?")) == 2  # a terse clause still asks


def test_a_list_an_explanation_or_a_comparison_is_answered_whole():
    for question in ("What are the store targets for 2026 and 2027?",
                     "How does the Gadget price compare with the Widget price?",
                     "Why do stores matter, and what is the 2027 target?"):
        assert [part.standalone for part in split_question(Turn(question, question))] == [question]


def test_the_parts_of_a_follow_up_keep_its_tie_to_the_earlier_turn():
    follow_up = Turn("and for 2026 and 2027?", "and for 2026 and 2027?", earlier="How many stores are there?")
    assert [(p.own, p.earlier) for p in split_question(follow_up)] == [
        ("and for 2026?", "How many stores are there?"),
        ("and for 2027?", "How many stores are there?"),
    ]


def test_joined_answers_renumber_their_citations():
    first, second = units("row")

    def part(unit: Unit, text: str) -> Answer:
        citation = Citation(1, unit.id, unit.source, unit.section, unit.start_line, unit.end_line, "q")
        return Answer("q", text, False, True, [citation], {}, "m", "q", [unit])

    joined = joined_answer(Turn("q", "q"), [part(first, "40K+ [1]."), part(second, "12 [1].")])
    assert joined.answer == "40K+ [1]. 12 [2]."
    assert [(c.n, c.chunk_id) for c in joined.citations] == [(1, first.id), (2, second.id)]
    assert joined.sources == [first, second] and not joined.refused


@pytest.mark.embedder
def test_focus_shows_the_matching_cell_first(retriever):
    question = "What is the power efficiency of a Trainium 2 chip?"
    focused = retriever.focus(question, [h.unit for h in retriever.retrieve(question)])
    assert "400W TDP" in focused[0].view
    assert "~$50-70K" not in focused[0].view  # the price cell of another row stays out
    assert len(focused[0].view) < len(focused[0].unit.text)


@pytest.mark.embedder
def test_a_blank_cell_is_recognised(retriever):
    question = "What adoption figure does the analysis give for Graviton 4?"
    focused = retriever.focus(question, [h.unit for h in retriever.retrieve(question)])
    row = next(f for f in focused if f.unit.kind == "row" and "Graviton 4" in f.unit.text)
    assert row.is_blank and row.best == "Adoption: none given."


def test_a_follow_up_is_focused_on_its_own_words_and_the_earlier_subject():
    from collections import Counter

    from amzn_qa.answer.understand import focus_query
    from amzn_qa.answer.vocabulary import Vocabulary

    vocabulary = Vocabulary(words=Counter({"aws": 90, "curo": 6}))
    tied = Turn("What does it compete with?", "What does it compete with?", "Which assistant did AWS launch, Curo?")
    assert focus_query(tied, vocabulary) == "What does it compete with? Curo"
    alone = Turn("What does Curo compete with?", "What does Curo compete with?")
    assert focus_query(alone, vocabulary) == "What does Curo compete with?"


def test_the_label_that_answered_the_earlier_turn_joins_the_subject_only_when_it_is_one():
    from collections import Counter

    from amzn_qa.answer.understand import focus_query
    from amzn_qa.answer.vocabulary import Vocabulary

    vocabulary = Vocabulary(words=Counter({"aws": 90, "curo": 6, "trainium": 20}))
    # Another period of the same row: the earlier row's label says what is asked.
    period = Turn("And the 2027 target?", "And the 2027 target?", "What is AWS's current power capacity?")
    assert focus_query(period, vocabulary, "Power Capacity (GW)") == "And the 2027 target? AWS Power Capacity (GW)"
    # A row named after the earlier subject is that subject.
    kpi = Turn("what kpis do i watch", "what kpis do i watch", "How likely is Trainium adoption failure?")
    assert focus_query(kpi, vocabulary, "Trainium Ecosystem Adoption Failure").endswith("Trainium Ecosystem Adoption Failure")
    # An attribute asked before is what the follow-up replaces.
    compete = Turn("What does it compete with?", "What does it compete with?", "How many developers adopted Curo?")
    assert focus_query(compete, vocabulary, "Developer Adoption") == "What does it compete with? Curo"


def test_a_figure_from_another_column_does_not_answer_the_asked_period():
    from amzn_qa.answer.grounding import not_the_asked_period

    row = [("Current", "30+ regions"), ("2027 Target", "none given")]
    assert not_the_asked_period("regions planned by 2027", [("Current", "30+ regions")], row)
    assert not not_the_asked_period("regions planned by 2027", [("2027 Target", "40")], row)
    assert not not_the_asked_period("how many regions now", [("Current", "30+ regions")], row)
