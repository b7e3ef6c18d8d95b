import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from amzn_qa.config import PROJECT_ROOT
from amzn_qa.evaluation.harness import (
    EVALS_DIR, KINDS, METRICS, Case, EvalError, aggregate, breakdown, fact_present, facts_present, gate,
    load_cases, load_split, of_kind, read_thresholds, run, sample, score_case, unsupported_claims, word_count,
    write_report,
)


@pytest.mark.parametrize(
    "fact, answer, expected",
    [
        ("$50-70K", "about $50–70K per chip", True),
        ("$50-70K", "between $50,000 and $70,000", True),
        ("$50-70K", "$50K-$70K", True),
        ("$50-70K", "$50K–$70K [1]", True),
        ("$50-70K", "50% to 70% cheaper", False),
        ("1M+", "more than 1 million robots", True),
        ("1M+", "1,000,000 robots", True),
        ("3.8GW", "3.8 GW in a year", True),
        ("3.8GW", "38 GW", False),
        ("2,300", "2300 cities", True),
        ("Northern Virginia", "grid limits in northern virginia", True),
        ("Ireland", "Iceland", False),
        # whole numbers: a severity of 8 is not 18, 8.5 or the citation marker [8]
        ("8", "Severity 8 of 10 [1].", True),
        ("8", "Severity 18 [1].", False),
        ("8", "Severity 8.5 [1].", False),
        ("8", "Severity high [8].", False),
        # whole words: "low" is not in "below"
        ("Low", "Likelihood: Low (20-30%) [2]", True),
        ("low", "well below the target [2]", False),
        # a fact with a figure and words needs both
        ("30+ regions", "30+ AWS regions [1]", True),
        ("30+ regions", "30+ countries [1]", False),
    ],
)
def test_fact_matching_is_by_whole_word_and_by_value(fact, answer, expected):
    assert fact_present(fact, answer) is expected


def test_alternatives_and_required_groups():
    facts = [["4-day", "4 days"], ["YoY", "year over year"]]
    assert facts_present(facts, "Lead time fell 4 days year over year")
    assert not facts_present(facts, "Lead time fell 4 days")


CITED = ("Amazon (AMZN) Technical Analysis\nCustom Silicon & AI Chip Strategy > Trainium (Training Silicon)\n"
         "Trainium (Training Silicon) — Specification: Price. Details: ~$50-70K per chip (estimate).")


@pytest.mark.parametrize(
    "answer, unsupported",
    [
        ("About $50K–$70K per chip [1].", []),  # a figure by value; "About" opens the sentence
        ("Details: ~$50-70K per chip (estimate) [1].", []),  # a capitalised word the source has
        ("The chip costs $85K [1].", ["$85K"]),
        ("Trainium costs $50-70K, like the H100 [1].", ["H100"]),
        ("It sells for $50-70K [8].", []),  # the marker [8] is no figure
        ("Based on the source, it costs $50-70K [1].", []),  # an opener, not a name
        ("Per chip: $50-70K, says Jensen [1].", ["Jensen"]),
    ],
)
def test_groundedness_check_finds_numbers_and_names_missing_from_the_cited_text(answer, unsupported):
    assert unsupported_claims(answer, CITED) == unsupported


def _case(answerable=True, facts=(("$50-70K",),), sections=("S",), kind="lookup", style="plain", **focus):
    return Case("c", "q?", answerable, [list(f) for f in facts], list(sections), "ref", kind=kind, style=style, **focus)


def _result(answer, refused=False, section="S", mode="answer", total_ms=100.0):
    return {"answer": answer, "refused": refused, "grounded": True, "mode": mode,
            "timings": {"ttft_ms": 10.0, "total_ms": total_ms},
            "citations": [{"n": 1, "section": section, "chunk_id": "x", "source": "d.md", "start_line": 1, "end_line": 1, "quote": ""}]}


def test_groundedness_is_scored_from_the_shown_answer_and_its_cited_text():
    """The harness's own check, on constructed answers: a name the cited text lacks makes an
    answer ungrounded even where it opens the sentence; wording the cited text does not use
    does not (figures and names are checked, not style); a refusal is not shown as fact, so it
    counts for no groundedness."""
    rows = [
        score_case(_case(), _result("Nvidia sells it for $50-70K [1]."), ["S"], [CITED]),
        score_case(_case(), _result("The chips are wonderful, amazing and fantastic [1]."), ["S"], [CITED]),
        score_case(_case(), _result("It costs $85K [1]."), ["S"], [CITED]),
        score_case(_case(), _result("The document does not say who sells it."), ["S"], [CITED]),
    ]
    assert [(r["grounded"], r["unsupported"]) for r in rows] == [
        (False, ["Nvidia"]), (True, []), (False, ["$85K"]), (True, [])]
    assert [r["refused"] for r in rows] == [False, False, False, True]
    assert aggregate(rows)["groundedness"] == round(1 / 3, 4)


def test_refusal_is_detected_from_the_text_even_when_not_flagged():
    row = score_case(_case(answerable=False, facts=()), _result("The document does not say."), ["S"], [])
    assert row["refused"] is True


NOT = "The document does not say."


def _hand_made_rows() -> list[dict]:
    return [
        score_case(_case(), _result("About $50-70K [1]."), ["S", "T"], ["price ~$50-70K"]),        # correct, grounded
        score_case(_case(), _result("About $90K [1]."), ["T", "S"], ["price ~$50-70K"]),           # wrong, ungrounded
        score_case(_case(kind="list", style="innocent-trigger"), _result(NOT, refused=True, mode="refusal", total_ms=300.0),
                   ["T", "U", "V", "S"], []),
        score_case(_case(answerable=False, facts=(), sections=(), kind="unanswerable", style="near-miss"),
                   _result(NOT, refused=True, mode="refusal"), [], []),
        score_case(_case(answerable=False, facts=(), sections=(), kind="unanswerable", style="off-topic"),
                   _result("It is $5 [1].", section="Z"), [], ["$5"]),
    ]


def test_metric_arithmetic_on_a_hand_made_report():
    m = aggregate(_hand_made_rows())
    assert m["hit@1"] == round(1 / 3, 4) and m["hit@3"] == round(2 / 3, 4) and m["hit@5"] == 1.0
    assert m["mrr"] == round((1 + 1 / 2 + 1 / 4) / 3, 4)
    assert m["answer_accuracy"] == round(1 / 3, 4)
    assert m["citation_accuracy"] == 1.0  # both answered cases cite S
    assert m["groundedness"] == round(2 / 3, 4)  # of the 3 shown as fact, the $90K one fails
    assert m["refusal_precision"] == 0.5 and m["refusal_recall"] == 0.5
    assert m["refusal_recall_near_miss"] == 1.0  # the near miss was refused, the off-topic one not
    assert m["wrong_refusal_rate"] == round(1 / 3, 4)
    assert m["innocent_refused"] == 1.0
    assert m["total_ms_p50"] == 100.0
    assert set(m) <= set(METRICS)
    assert gate(m, {"hit@3": {"min": 0.95}, "wrong_refusal_rate": {"max": 0.1}}) == [
        "hit@3 = 0.6667 is below the minimum 0.95",
        "wrong_refusal_rate = 0.3333 is above the maximum 0.1",
    ]


def test_near_miss_refusals_are_counted_by_whether_they_cite_what_the_document_gives_instead():
    def near_miss(answer, refused, cites, premise=""):
        result = _result(answer, refused=refused, mode="refusal" if refused else "answer")
        result["citations"] = result["citations"] if cites else []
        case = _case(answerable=False, facts=(), sections=(), kind="unanswerable", style="near-miss", premise=premise)
        return score_case(case, result, [], [])

    rows = [
        near_miss("The document does not give this for X 4; the closest it gives is: “X 3 ...” [1]", True, True),
        near_miss(NOT, True, False, premise="X was halted"),
        near_miss("It is $5 [1].", False, True, premise="X grew"),  # not refused: counts for neither
    ]
    m = aggregate(rows)
    assert m["refusal_recall_near_miss"] == round(2 / 3, 4)
    assert m["near_miss_gives_instead"] == 0.5  # of the two refusals, one cites the closest figure
    assert m["premise_refused"] == 0.5


def test_focused_accuracy_needs_the_facts_within_the_word_budget_and_no_neighbouring_figure():
    paste = "Trainium — Price: ~$50-70K per chip (estimate). " + "More rows of the table follow here. " * 10
    rows = [
        score_case(_case(), _result("About $50-70K [1]."), ["S"], ["price ~$50-70K"]),
        score_case(_case(), _result(paste + "[1]"), ["S"], ["price ~$50-70K"]),
        score_case(_case(must_not=["$150K+"]), _result("About $50-70K, against $150K+ [1]."), ["S"], ["$50-70K $150K+"]),
    ]
    assert [r["correct"] for r in rows] == [True, True, True]
    assert [r["focused"] for r in rows] == [True, False, False]
    assert rows[1]["words"] > rows[1]["word_budget"] == 50 and rows[2]["neighbour_figure"]
    assert aggregate(rows)["focused_accuracy"] == round(1 / 3, 4)
    assert aggregate(rows)["answer_accuracy"] == 1.0


def test_word_budgets_follow_the_kind_when_a_case_gives_none():
    assert _case(kind="list", facts=(("a",), ("b",), ("c",))).word_budget == 25 + 3 * 15
    assert _case(kind="compare").word_budget == 110 and _case(kind="derived").word_budget == 90
    assert _case(kind="explain", max_words=40).word_budget == 40
    assert word_count("About $50-70K per chip [1], [2, 3].") == 4
    assert word_count("| Chip | Price |\n|---|---|\n| A | $5K |") == 4


def test_citation_precision_is_the_share_of_cited_sources_in_the_expected_sections():
    rows = [score_case(_case(), _result("About $50-70K [1]."), ["S"], ["x"]),
            score_case(_case(), _result("About $50-70K [1].", section="Z"), ["S"], ["x"])]
    assert aggregate(rows)["citation_precision"] == 0.5


def test_breakdown_by_kind_and_by_mode():
    rows = _hand_made_rows()
    by_kind = breakdown(rows, "kind", KINDS)
    assert list(by_kind) == ["lookup", "list", "unanswerable"]
    assert by_kind["lookup"]["answer_accuracy"] == 0.5 and by_kind["lookup"]["wrong_refusal_rate"] == 0.0
    assert by_kind["list"]["wrong_refusal_rate"] == 1.0 and by_kind["list"]["total_ms_p50"] == 300.0
    assert by_kind["unanswerable"]["answer_accuracy"] is None and by_kind["unanswerable"]["refusal_recall"] == 0.5
    by_mode = breakdown(rows, "mode")
    assert {mode: s["cases"] for mode, s in by_mode.items()} == {"answer": 3, "refusal": 2}
    assert by_mode["answer"]["answer_accuracy"] == 0.5 and by_mode["refusal"]["answer_accuracy"] == 0.0


def _report(pipeline: str, rows: list[dict]) -> dict:
    return {"pipeline": pipeline, "mode": "full", "model": "m", "seconds": 1.0, "metrics": aggregate(rows),
            "by_kind": breakdown(rows, "kind", KINDS), "by_mode": breakdown(rows, "mode"), "cases": rows}


def test_report_shows_kinds_modes_and_the_baseline_side_by_side(tmp_path):
    report = _report("amzn-qa", _hand_made_rows())
    baseline_rows = [score_case(_case(), _result("About $50-70K [1]."), ["S"], ["price ~$50-70K"])]
    report["baseline"] = _report("baseline", baseline_rows)
    write_report(report, tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "| metric | amzn-qa (full) | baseline (full) |" in text
    assert "| answer_accuracy | 0.333 | 1.000 |" in text
    assert "| kind | cases | focused (amzn-qa) | focused (baseline) | facts (amzn-qa) | facts (baseline) | words p50 |" in text
    assert "| lookup | 2 | 0.500 | 1.000 | 0.500 | 1.000 | 2 |" in text
    assert "| refusal | 2 | 1 | 0.000 |" in text  # mode, cases, answerable, accuracy
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["by_kind"]["list"]["wrong_refusal_rate"] == 1.0
    assert saved["baseline"]["metrics"]["answer_accuracy"] == 1.0
    assert (tmp_path / "metrics.png").stat().st_size > 10_000 and (tmp_path / "latency.png").exists()


def test_gate_fails_on_a_threshold_that_names_no_metric():
    metrics = {"answer_accuracy": 0.9}
    assert gate(metrics, {"answer_accuracy": {"min": 0.5}}) == []
    failures = gate(metrics, {"answer_acuracy": {"min": 0.5}})
    assert len(failures) == 1 and failures[0].startswith("threshold 'answer_acuracy' names no metric")
    assert gate(metrics, {"answer_accuracy": {"minimum": 0.5}})[0].startswith("threshold 'answer_accuracy' must be")


@pytest.mark.parametrize("name", ["thresholds.json", "thresholds-sample.json"])
def test_threshold_files_name_only_metrics(name):
    thresholds = read_thresholds(EVALS_DIR / name)
    assert thresholds and gate({}, thresholds) == []  # nothing malformed; no metric computed, none fails


def test_splits_are_well_formed():
    dev, test = load_split("dev"), load_split("test")
    assert len(load_split("all")) == len(dev) + len(test)
    for cases in (dev, test):
        assert set(KINDS) - {"derived"} <= {c.kind for c in cases} <= set(KINDS)
        assert sum(not c.answerable for c in cases) >= 12
        assert sum(bool(c.history) for c in cases) >= 8
        assert all(c.facts for c in cases if c.answerable)
    with pytest.raises(EvalError, match="unknown split 'train'"):
        load_split("train")


def test_sample_is_fixed_and_holds_every_kind():
    cases = load_split("test")
    chosen = sample(cases, 30)
    assert len(chosen) == 30 and chosen == sample(cases, 30)
    assert {c.kind for c in chosen} == {c.kind for c in cases}
    assert len({c.id for c in chosen}) == 30
    with pytest.raises(EvalError, match="one case of each"):
        sample(cases, 3)


def test_bad_qa_file_names_the_line(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "q"}) + "\n{oops\n")
    with pytest.raises(EvalError, match=r"cases.jsonl:1: missing answerable"):
        load_cases(path)


@pytest.mark.embedder
def test_eval_command_reads_the_split_it_is_given(shared_settings, retriever, monkeypatch, tmp_path):
    """`--split dev` scores dev cases, the default is the test split, `--qa` overrides both."""
    from amzn_qa.frontends.cli import main

    monkeypatch.setenv("AMZN_QA_CORPUS_DIR", str(shared_settings.corpus_dir))
    monkeypatch.setenv("AMZN_QA_INDEX_DIR", str(shared_settings.index_dir))
    dev_ids = [c.id for c in load_split("dev")[:3]]
    test_ids = [c.id for c in load_split("test")[:3]]
    own = tmp_path / "own.jsonl"
    own.write_text((EVALS_DIR / "dev.jsonl").read_text().splitlines()[-1] + "\n")
    for flags, ids in ([["--split", "dev"], dev_ids], [[], test_ids], [["--split", "dev", "--qa", str(own)], None]):
        out = tmp_path / "-".join(flags[:2] or ["default"])
        assert main(["eval", "--retrieval-only", "--limit", "3", "--no-gate", "--out", str(out), *flags]) == 0
        scored = [r["id"] for r in json.loads((out / "report.json").read_text())["cases"]]
        assert scored == (ids or [load_cases(own)[0].id])


@pytest.mark.embedder
def test_gate_fails_when_the_retriever_is_broken(shared_settings, retriever, monkeypatch):
    """Retrieval-only run over a fixed sample of the test split (every kind): passes as is, fails
    with a retriever that ranks badly."""
    cases = sample(load_split("test"), 60)
    thresholds = read_thresholds(EVALS_DIR / "thresholds.json")
    assert gate(run(shared_settings, cases, retrieval_only=True, progress=False)["metrics"], thresholds) == []

    from amzn_qa.answer import retrieval

    real = retrieval.HybridRetriever.retrieve
    monkeypatch.setattr(retrieval.HybridRetriever, "retrieve", lambda self, q, k=None: real(self, q, 40)[-(k or 5):])
    failures = gate(run(shared_settings, cases, retrieval_only=True, progress=False)["metrics"], thresholds)
    assert any(f.startswith("hit@3") for f in failures)


# Dev look-ups the real 0.5B model answers (6 of 6 when this was written); the control run
# shows the gate passes on them.
# Look-ups the model itself answers (a list question would be answered from the sources alone).
HANDFUL = ("trn-price", "power-current", "power-2026", "kiva-year", "cdn-edge", "trn-power")


@pytest.mark.llm
def test_answer_accuracy_gate_fails_when_the_model_answers_nonsense(shared_settings, retriever, monkeypatch):
    """The real chain over the real index, with the local model and then with a LangChain fake
    chat model that answers nonsense: only the second fails the sample's answer_accuracy gate."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from amzn_qa.answer import generation

    cases = [c for c in load_split("dev") if c.id in HANDFUL]
    thresholds = read_thresholds(EVALS_DIR / "thresholds-sample.json")
    assert len(cases) == len(HANDFUL) and "answer_accuracy" in thresholds
    real = run(shared_settings, cases, progress=False)["metrics"]
    assert not [f for f in gate(real, thresholds) if f.startswith("answer_accuracy")], real

    nonsense = FakeListChatModel(responses=["Purple elephants juggle moonbeams on Tuesdays [1]."])
    monkeypatch.setattr(generation, "chat_model", lambda settings: nonsense)
    faked = run(shared_settings, cases, progress=False)["metrics"]
    assert faked["answer_accuracy"] == 0.0
    assert f"answer_accuracy = 0.0 is below the minimum {thresholds['answer_accuracy']['min']}" in gate(faked, thresholds)


@pytest.mark.embedder
def test_baseline_is_given_the_history_of_a_follow_up(shared_settings, monkeypatch):
    from langchain_core.runnables import RunnableLambda

    from amzn_qa.evaluation import baseline

    prompts = []
    monkeypatch.setattr(baseline, "chat_model", lambda s: RunnableLambda(lambda p: prompts.append(p) or "GitHub Copilot."))
    history = [{"role": "user", "content": "How many developers adopted Curo in its first days?"},
               {"role": "assistant", "content": "100K+ developers [1]."}]
    result, sections, context = baseline.BaselineRAG(shared_settings).ask("What does it compete with?", history)
    messages = prompts[0].to_messages()
    assert [(m.type, m.content) for m in messages[:2]] == [("human", history[0]["content"]), ("ai", history[1]["content"])]
    assert any("Curo" in s for s in sections)  # the earlier question reached retrieval too
    # The model reads the retrieved chunks and the question; they are what the answer is scored as citing.
    assert len(context) == 4 and all(chunk in messages[2].content for chunk in context)
    assert messages[2].content.endswith("Question: What does it compete with?")
    assert [c["section"] for c in result["citations"]] == sections


def _fake_ci(tmp_path: Path, pytest_output: str, pytest_status: int) -> subprocess.CompletedProcess:
    """.ci/run in a copy of the repository's layout whose `make test` prints `pytest_output` and
    exits with `pytest_status`, and whose amzn-qa records its calls."""
    root = tmp_path / "repo"
    (root / ".ci").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / ".ci" / "run", root / ".ci" / "run")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "amzn-qa").write_text(f'#!/bin/sh\necho "$@" >> "{root}/evals.log"\n')
    (tmp_path / "make").write_text(f"#!/bin/sh\necho '{pytest_output}'\nexit {pytest_status}\n")
    for script in (bin_dir / "amzn-qa", tmp_path / "make"):
        script.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(root / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "output, status",
    [("no tests ran in 0.01s", 5), ("no tests ran in 0.01s", 0), ("12 skipped in 0.50s", 0), ("3 failed, 9 passed", 1)],
)
def test_ci_fails_when_no_test_passed(tmp_path, output, status):
    done = _fake_ci(tmp_path, output, status)
    assert done.returncode != 0
    assert not (tmp_path / "repo" / "evals.log").exists()  # the gate never ran on a suite that did not


def test_ci_runs_the_gate_on_the_test_split_after_the_tests(tmp_path):
    done = _fake_ci(tmp_path, "120 passed, 2 skipped in 900.00s", 0)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "repo" / "evals.log").read_text().splitlines()
    assert len(calls) == 3
    assert calls[0] == "ingest"  # a question never builds the index the gate asks
    assert "--split test --retrieval-only" in calls[1]
    assert "--split test --sample 30" in calls[2] and "--thresholds evals/thresholds-sample.json" in calls[2]


def test_kind_keeps_only_that_kind_and_names_the_kinds_when_unknown():
    cases = load_split("dev")
    lookups = of_kind(cases, "lookup")
    assert lookups and {c.kind for c in lookups} == {"lookup"}
    assert len(lookups) == sum(c.kind == "lookup" for c in cases)
    with pytest.raises(EvalError, match="unknown kind 'lookups': use lookup, list"):
        of_kind(cases, "lookups")
