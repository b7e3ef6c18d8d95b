"""`amzn-qa eval --ablate NAME` and the report's count of answers by the rule that decided them
(the answer chain is faked: these tests are about the harness)."""

import pytest

from amzn_qa.answer.answers import NOT_COVERED
from amzn_qa.config import ConfigError, Settings
from amzn_qa.evaluation import harness

CEO = harness.Case("ceo", "Who is the CEO of Amazon?", False, [], [], "", kind="unanswerable")
ROBOTS = harness.Case("robots", "How many robots has Amazon deployed?", True, [["1M+"]], [], "", kind="lookup")


class FakeChain:
    """Refuses the CEO question by absent_specifics unless that rule is switched off."""

    def __init__(self, settings, retriever, retrieval_only):
        self.model, self.settings = "fake", settings

    def ask(self, case):
        refused = case is CEO and "absent_specifics" not in self.settings.disable
        decided = ("refuse", "absent_specifics") if refused else ("check", "passed_checks")
        result = {"answer": NOT_COVERED if refused else "1M+ robots [1].", "refused": refused, "citations": [],
                  "timings": {"total_ms": 1.0}, "mode": "refusal" if refused else "answer",
                  "trace": [{"stage": "guard", "ms": 0.1}, {"stage": decided[0], "ms": 1.0, "rule": decided[1]}]}
        return result, [], []


@pytest.fixture
def fake_chain(monkeypatch):
    monkeypatch.setattr(harness, "_AmznQa", FakeChain)
    monkeypatch.setattr("amzn_qa.answer.retrieval.HybridRetriever", lambda settings: None)


def test_an_answer_is_counted_under_the_stage_and_rule_that_decided_it(fake_chain, tmp_path):
    assert harness.decided_by([{"stage": "guard", "ms": 0.1}, {"stage": "points", "ms": 2.0, "rule": "points"}]) == "points: points"
    assert harness.decided_by([{"stage": "check", "rule": "passed_checks", "part": 1},
                               {"stage": "check", "rule": "grounding", "part": 2}]) == "check: passed_checks + check: grounding"
    report = harness.run(Settings(), [CEO, ROBOTS], progress=False)
    assert list(report["by_decision"]) == ["check: passed_checks", "refuse: absent_specifics"]
    harness.write_report(report, tmp_path)
    lines = (tmp_path / "report.md").read_text().splitlines()
    table = lines[lines.index("## By deciding stage and rule (the answer's trace)") + 4:]
    assert table[:2] == ["| check: passed_checks | 1 | 1 | 1.000 | 1.000 |",
                         "| refuse: absent_specifics | 1 | 0 | — | — |"]


def test_ablate_runs_the_cases_with_and_without_a_rule_and_shows_what_flipped(fake_chain, tmp_path):
    printed = harness.ablate(Settings(), [CEO, ROBOTS], "absent_specifics", tmp_path, progress=False)
    assert printed.startswith("A: as set · B: absent_specifics switched off")
    assert "| refusal_recall | 1.000 | 0.000 | -1.000 |" in printed
    assert "Cases that flipped: 1\n- ceo: broken · Who is the CEO of Amazon?" in printed
    assert (tmp_path / "as-set" / "report.md").exists() and (tmp_path / "without-absent_specifics" / "report.md").exists()


def test_ablating_an_unknown_name_fails_before_any_run(fake_chain, tmp_path):
    with pytest.raises(ConfigError, match="absent_specfics.*Known:"):
        harness.ablate(Settings(), [CEO], "absent_specfics", tmp_path, progress=False)
    assert not (tmp_path / "as-set").exists()
