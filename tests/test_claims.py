"""Answers are checked claim by claim, and lists, explanations and comparisons are answered
as cited points taken from the document (real index and embedder; a scripted model where the
test is about what happens to the model's claims)."""

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from amzn_qa.answer import chain as chain_module
from amzn_qa.answer.chain import claims
from amzn_qa.ingest.documents import statements
from amzn_qa.answer.grounding import CITATION


def test_an_answer_is_cut_into_its_sentences_and_bullets():
    assert claims("1M+ robots [1]. They sort parcels [2].") == ["1M+ robots [1].", "They sort parcels [2]."]
    assert claims("- Ericsson [1]\n- Cox Automotive [2]") == ["Ericsson [1]", "Cox Automotive [2]"]


def test_a_failing_claim_is_dropped_and_the_rest_is_shown(chain, monkeypatch):
    scripted = FakeListChatModel(responses=["1M+ robots are deployed [1]. The fleet cost $9 billion [1]."])
    monkeypatch.setattr(chain_module, "chat_model", lambda settings: scripted)
    answer = chain.ask("How many robots has Amazon deployed?")
    assert "1M+" in answer.answer and "$9 billion" not in answer.answer
    assert answer.mode == "answer" and not answer.refused and answer.citations


def test_when_no_claim_survives_the_closest_passage_is_shown(chain, monkeypatch):
    scripted = FakeListChatModel(responses=["About 7 robots [1]. The CEO is John Doe [1]."])
    monkeypatch.setattr(chain_module, "chat_model", lambda settings: scripted)
    answer = chain.ask("How many robots has Amazon deployed?")
    assert answer.refused and answer.mode == "evidence"
    assert "John Doe" not in answer.answer and answer.answer.startswith("The closest passage in the document:")


@pytest.mark.parametrize(
    "question, items",
    [
        ("which companies have rolled out agentcore", ["Ericsson", "Sony", "Cohere Health"]),
        ("curo competitors", ["GitHub Copilot", "JetBrains AI"]),
    ],
)
def test_a_list_question_gets_every_item_as_cited_points(chain, question, items):
    answer = chain.ask(question)
    assert answer.mode == "quote" and not answer.refused
    for item in items:
        assert item in answer.answer
    lines = answer.answer.split("\n")
    assert 1 <= len(lines) <= 5 and all(line.startswith("- ") and CITATION.search(line) for line in lines)
    assert [c.n for c in answer.citations] == list(range(1, len(lines) + 1))


def test_a_point_never_repeats_a_whole_table_next_to_its_row(chain):
    answer = chain.ask("why does the ai audio stuff matter for amazon")
    kinds = [next(u.kind for u in answer.sources if u.id == c.chunk_id) for c in answer.citations]
    assert kinds.count("table") == 0 or kinds.count("row") == 0


def test_points_follow_retrieval_order_and_keep_whole_rows(chain):
    question = "walk me through the risks of the custom chips"
    answer = chain.ask(question)
    assert answer.mode == "quote"
    order = [h.unit.id for h in chain.retriever.retrieve(answer.standalone_question, chain.settings.points_k)]
    cited = [c.chunk_id for c in sorted(answer.citations, key=lambda c: c.n)]
    assert cited == sorted(cited, key=order.index)
    for citation in answer.citations:
        unit = next(u for u in answer.sources if u.id == citation.chunk_id)
        if unit.kind == "row":
            assert citation.quote.count(": ") >= min(len(statements(unit).items), chain.settings.points_statements_per_unit)
