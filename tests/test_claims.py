"""Answers are checked claim by claim, and lists, explanations and comparisons are answered
as cited points taken from the document (real index and embedder; a scripted model where the
test is about what happens to the model's claims)."""

import re

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from amzn_qa.answer import generation
from amzn_qa.answer.points import with_whole_tables
from amzn_qa.answer.checks import claims
from amzn_qa.ingest.documents import statements, table_rows
from amzn_qa.answer.markers import CITATION


def test_an_answer_is_cut_into_its_sentences_and_bullets():
    assert claims("1M+ robots [1]. They sort parcels [2].") == ["1M+ robots [1].", "They sort parcels [2]."]
    assert claims("- Ericsson [1]\n- Cox Automotive [2]") == ["Ericsson [1]", "Cox Automotive [2]"]


@pytest.mark.embedder
def test_a_failing_claim_is_dropped_and_the_rest_is_shown(chain, monkeypatch):
    scripted = FakeListChatModel(responses=["1M+ robots are deployed [1]. The fleet cost $9 billion [1]."])
    monkeypatch.setattr(generation, "chat_model", lambda settings: scripted)
    answer = chain.ask("How many robots has Amazon deployed?")
    assert "1M+" in answer.answer and "$9 billion" not in answer.answer
    assert answer.mode == "answer" and not answer.refused and answer.citations


@pytest.mark.embedder
def test_when_no_claim_survives_the_closest_passage_is_shown(chain, monkeypatch):
    scripted = FakeListChatModel(responses=["About 7 robots [1]. The CEO is John Doe [1]."])
    monkeypatch.setattr(generation, "chat_model", lambda settings: scripted)
    answer = chain.ask("How many robots has Amazon deployed?")
    assert answer.refused and answer.mode == "evidence"
    assert "John Doe" not in answer.answer and answer.answer.startswith("The closest passage in the document:")


@pytest.mark.parametrize(
    "question, items",
    [
        ("which companies have rolled out agentcore", ["Ericsson", "Sony", "Cohere Health"]),
        ("which markets have grid limits", ["Northern Virginia", "Ireland"]),
    ],
)
@pytest.mark.embedder
def test_a_list_question_gets_every_item_as_cited_points(chain, question, items):
    answer = chain.ask(question)
    assert answer.mode == "quote" and not answer.refused
    for item in items:
        assert item in answer.answer
    points = [line for line in answer.answer.split("\n") if line.startswith("- ")]
    # A row, or a bulleted list after its last item, ends with its source's marker: 1, 2, ...
    markers = [int(n) for n in re.findall(r"\[(\d+)\]$", answer.answer, re.MULTILINE)]
    assert 1 <= len(points) <= 5 and markers == [c.n for c in answer.citations] == list(range(1, len(markers) + 1))


@pytest.mark.embedder
def test_a_point_never_repeats_a_whole_table_next_to_its_row(chain):
    answer = chain.ask("why does the ai audio stuff matter for amazon")
    kinds = [next(u.kind for u in answer.sources if u.id == c.chunk_id) for c in answer.citations]
    assert kinds.count("table") == 0 or kinds.count("row") == 0


@pytest.mark.embedder
def test_points_follow_retrieval_order_and_keep_whole_rows(chain):
    question = "walk me through the risks of the custom chips"
    answer = chain.ask(question)
    assert answer.mode == "quote"
    order = [h.unit for h in chain.retriever.retrieve(answer.standalone_question, chain.settings.points_k)]
    units = {u.id: u for u in chain.retriever.units}
    cited = [units[c.chunk_id] for c in sorted(answer.citations, key=lambda c: c.n)]

    def rank(unit):  # a row given with its whole table ranks where its table's best row does
        return min(order.index(u) for u in [unit, *table_rows(unit, chain.retriever.units)] if u in order)

    assert [rank(u) for u in cited] == sorted(rank(u) for u in cited)
    for citation in answer.citations:
        unit = next(u for u in answer.sources if u.id == citation.chunk_id)
        if unit.kind == "row":
            assert citation.quote.count(": ") >= min(len(statements(unit).items), chain.settings.points_statements_per_unit)


@pytest.mark.embedder
def test_points_from_two_rows_of_a_table_give_the_whole_table_under_its_title(chain):
    answer = chain.ask("which aws services are in the compute/network table")
    table = next(u for u in chain.retriever.units if u.kind == "table" and u.text.startswith("Compute & Network"))
    rows = table_rows(next(u for u in chain.retriever.units if u.kind == "row" and table.start_line <= u.start_line <= table.end_line),
                      chain.retriever.units)
    cited = {c.chunk_id for c in answer.citations}
    assert len(rows) >= 3 and {r.id for r in rows} <= cited
    # Each row as its label and the asked cell, under the table's title and that column.
    assert "- Compute & Network Infrastructure (" in answer.answer and "\n  - EC2 (Compute): " in answer.answer


def test_neighbouring_rows_of_one_table_are_one_point():
    from amzn_qa.answer.points import point_lines
    from amzn_qa.answer.retrieval import Focused
    from amzn_qa.ingest.documents import Unit

    def focused(uid, kind, text):
        return Focused(Unit(uid, "d.md", "S", kind, text, 1, 1), text, 1.0, text)

    chosen = [focused("1", "row", "Chips — Chip: A1. Price: $1."), focused("2", "row", "Chips — Chip: B2. Price: $2."),
              focused("3", "paragraph", "Prose."), focused("4", "row", "Other — Chip: C3. Price: $3.")]
    assert point_lines(chosen) == [
        "- Chips:", "  - Chip: A1. Price: $1. [1]", "  - Chip: B2. Price: $2. [2]",
        "- Prose. [3]", "- Other — Chip: C3. Price: $3. [4]",
    ]


@pytest.mark.embedder
def test_an_answer_that_says_nothing_new_quotes_the_best_source_as_a_point_shows_it(chain, monkeypatch):
    scripted = FakeListChatModel(responses=["Trainium 3 [1]."])
    monkeypatch.setattr(generation, "chat_model", lambda settings: scripted)
    answer = chain.ask("who is asking for Trainium 3")
    assert answer.mode == "quote" and answer.answer.startswith("The document says:")
    quoted = answer.citations[0].quote
    assert "large and mid-size customers" in quoted
    assert quoted.count("\n- ") > chain.settings.statements_per_unit  # more than a fact's prompt showed


def _focused(unit):
    from amzn_qa.answer.retrieval import Focused

    return Focused(unit, unit.text, 1.0, unit.text)


def test_rows_of_one_table_count_as_one_point_when_points_are_chosen():
    from amzn_qa.answer.points import up_to_points
    from amzn_qa.ingest.documents import Unit

    def unit(uid, kind, text):
        return _focused(Unit(uid, "d.md", "S", kind, text, 1, 1))

    ranked = [unit("1", "row", "Chips — Chip: A1."), unit("2", "paragraph", "Prose."), unit("3", "row", "Chips — Chip: B2."),
              unit("4", "list", "Risks: - one"), unit("5", "row", "Other — Chip: C3."), unit("6", "row", "Chips — Chip: D4.")]
    assert [f.unit.id for f in up_to_points(ranked, 3)] == ["1", "2", "3", "4", "6"]
    assert [f.unit.id for f in up_to_points(ranked, 1)] == ["1", "3", "6"]


@pytest.mark.embedder
def test_rows_already_chosen_out_of_order_come_together_in_table_order(chain, monkeypatch):
    units = chain.retriever.units
    table = next(u for u in units if u.kind == "table" and u.text.startswith("Compute & Network"))
    rows = [u for u in units if u.kind == "row" and table.start_line <= u.start_line <= table.end_line]
    rows.sort(key=lambda u: u.start_line)
    prose = next(u for u in units if u.kind == "paragraph")
    scattered = [_focused(rows[-1]), _focused(prose), *(_focused(r) for r in rows[:-1])]
    whole = with_whole_tables(chain, "compute and network services", scattered, units)
    assert [f.unit.id for f in whole] == [r.id for r in rows] + [prose.id]
    # A table too long to give whole keeps only its chosen rows, still together and in order.
    monkeypatch.setattr("amzn_qa.answer.points.MAX_WHOLE_TABLE_ROWS", 1)
    some = [_focused(rows[2]), _focused(prose), _focused(rows[0])]
    assert [f.unit.id for f in with_whole_tables(chain, "compute", some, units)] == [rows[0].id, rows[2].id, prose.id]


@pytest.mark.embedder
def test_an_explanation_drawn_from_a_table_still_gets_other_sources_as_points(chain):
    answer = chain.ask("walk me through the risks of the custom chips")
    lines = answer.answer.split("\n")
    points = [line for line in lines if line.startswith("- ")]
    assert answer.mode == "quote" and 2 <= len(points) <= chain.settings.max_points
    titles = [line for line in points if line.endswith(":")]
    assert len(titles) == len(set(titles))  # a table is one point, never split across two
