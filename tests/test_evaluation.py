import json

import pytest

from amzn_qa.evaluation import (
    DEFAULT_QA, Case, aggregate, facts_present, fact_present, gate, load_cases, run, sample,
    score_case, EvalError,
)


@pytest.mark.parametrize(
    "fact, answer, expected",
    [
        ("$50-70K", "about $50–70K per chip", True),
        ("$50-70K", "between $50,000 and $70,000", True),
        ("$50-70K", "$50K-$70K", True),
        ("$50-70K", "50% to 70% cheaper", False),
        ("1M+", "more than 1 million robots", True),
        ("1M+", "1,000,000 robots", True),
        ("3.8GW", "3.8 GW in a year", True),
        ("3.8GW", "38 GW", False),
        ("2,300", "2300 cities", True),
        ("Northern Virginia", "grid limits in northern virginia", True),
        ("Ireland", "Iceland", False),
    ],
)
def test_number_aware_fact_matching(fact, answer, expected):
    assert fact_present(fact, answer) is expected


def test_alternatives_and_required_groups():
    facts = [["4-day", "4 days"], ["YoY", "year over year"]]
    assert facts_present(facts, "Lead time fell 4 days year over year")
    assert not facts_present(facts, "Lead time fell 4 days")


def _case(answerable=True, facts=(("$50-70K",),), sections=("S",)):
    return Case("c", "q?", answerable, [list(f) for f in facts], list(sections), "ref")


def _result(answer, refused=False, section="S"):
    return {"answer": answer, "refused": refused, "grounded": True, "timings": {"ttft_ms": 10.0, "total_ms": 100.0},
            "citations": [{"n": 1, "section": section, "chunk_id": "x", "source": "d.md", "start_line": 1, "end_line": 1, "quote": ""}]}


def test_refusal_is_detected_from_the_text_even_when_not_flagged():
    row = score_case(_case(answerable=False, facts=()), _result("The document does not say."), ["S"], [])
    assert row["refused"] is True


def test_metric_arithmetic_on_a_hand_made_report():
    rows = [
        score_case(_case(), _result("About $50-70K [1]."), ["S", "T"], ["price ~$50-70K"]),        # correct, grounded
        score_case(_case(), _result("About $90K [1]."), ["T", "S"], ["price ~$50-70K"]),           # wrong, ungrounded
        score_case(_case(), _result(NOT := "The document does not say.", refused=True), ["T", "U", "V", "S"], []),
        score_case(_case(answerable=False, facts=(), sections=()), _result(NOT, refused=True), [], []),
        score_case(_case(answerable=False, facts=(), sections=()), _result("It is $5 [1].", section="Z"), [], ["$5"]),
    ]
    m = aggregate(rows)
    assert m["hit@1"] == round(1 / 3, 4) and m["hit@3"] == round(2 / 3, 4) and m["hit@5"] == 1.0
    assert m["mrr"] == round((1 + 1 / 2 + 1 / 4) / 3, 4)
    assert m["answer_accuracy"] == round(1 / 3, 4)
    assert m["citation_accuracy"] == 1.0  # both answered cases cite S
    assert m["groundedness"] == round(2 / 3, 4)  # of the 3 shown as fact, the $90K one fails
    assert m["refusal_precision"] == 0.5 and m["refusal_recall"] == 0.5
    assert m["wrong_refusal_rate"] == round(1 / 3, 4)
    assert m["total_ms_p50"] == 100.0
    assert gate(m, {"hit@3": {"min": 0.95}, "wrong_refusal_rate": {"max": 0.1}}) == [
        "hit@3 = 0.6667 is below the minimum 0.95",
        "wrong_refusal_rate = 0.3333 is above the maximum 0.1",
    ]


def test_qa_set_is_well_formed():
    cases = load_cases(DEFAULT_QA)
    assert len(cases) >= 80
    assert sum(not c.answerable for c in cases) >= 12
    assert sum(bool(c.history) for c in cases) >= 8
    assert len({c.id for c in cases}) == len(cases)
    assert all(c.facts for c in cases if c.answerable)
    assert len(sample(cases, 24)) == 24 and sample(cases, 24) == sample(cases, 24)


def test_bad_qa_file_names_the_line(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "q"}) + "\n{oops\n")
    with pytest.raises(EvalError, match=r"qa.jsonl:1: missing answerable"):
        load_cases(path)


def test_gate_fails_when_the_retriever_is_broken(shared_settings, retriever, monkeypatch):
    """Retrieval-only run over the real set: passes as is, fails with a retriever that ranks badly."""
    cases = load_cases(DEFAULT_QA)
    thresholds = json.loads((DEFAULT_QA.parent / "thresholds.json").read_text())
    assert gate(run(shared_settings, cases, retrieval_only=True, progress=False)["metrics"], thresholds) == []

    from amzn_qa import retrieval

    real = retrieval.HybridRetriever.retrieve
    monkeypatch.setattr(retrieval.HybridRetriever, "retrieve", lambda self, q, k=None: real(self, q, 40)[-(k or 5):])
    failures = gate(run(shared_settings, cases, retrieval_only=True, progress=False)["metrics"], thresholds)
    assert any(f.startswith("hit@3") for f in failures)
