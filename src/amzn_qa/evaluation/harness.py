"""Evaluation harness: run the real pipeline over known Q&A pairs, score it, gate on thresholds.

Metrics are defined in evals/README.md. The harness judges what a user sees: it checks
groundedness with its own test of the shown answer against the text of the units it cites (not
the chain's grounding check, and never the chain's `grounded` flag), reading figures and refusals
with its own parser (reading.py, not the chain's), and it scores refusals separately from answer
accuracy. Cases come in two splits: dev (tune on it) and test (report it).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from amzn_qa.config import PROJECT_ROOT, Settings
from amzn_qa.evaluation.reading import says_not_answered, stated_figures, stated_values

EVALS_DIR = PROJECT_ROOT / "evals"
DEV_QA = EVALS_DIR / "dev.jsonl"
TEST_QA = EVALS_DIR / "test.jsonl"
SPLITS = {"dev": (DEV_QA,), "test": (TEST_QA,), "all": (DEV_QA, TEST_QA)}
DEFAULT_THRESHOLDS = EVALS_DIR / "thresholds.json"
RETRIEVAL_METRICS = ("hit@1", "hit@3", "hit@5", "mrr")
LATENCY_METRICS = ("ttft_ms_p50", "ttft_ms_p95", "total_ms_p50", "total_ms_p95")
METRICS = ("cases", *RETRIEVAL_METRICS, "focused_accuracy", "answer_accuracy", "citation_accuracy",
           "citation_precision", "groundedness",
           "refusal_precision", "refusal_recall", "refusal_recall_near_miss", "near_miss_gives_instead",
           "premise_refused", "wrong_refusal_rate", "innocent_refused", *LATENCY_METRICS)
KINDS = ("lookup", "list", "explain", "compare", "derived", "multi-turn", "unanswerable")
# What a good answer needs, about doubled (evals/README.md "Focus"), when a case gives no max_words.
WORD_BUDGETS = {"list": 25, "explain": 170, "compare": 110, "derived": 90}
LIST_WORDS_PER_ITEM = 15
DEFAULT_WORD_BUDGET = 50
REQUIRED_KEYS = {"id", "question", "answerable", "facts", "sections", "reference"}


class EvalError(ValueError):
    """A Q&A file or report that cannot be used; the message names the line or file."""


@dataclass
class Case:
    id: str
    question: str
    answerable: bool
    facts: list[list[str]]
    sections: list[str]
    reference: str
    kind: str = "lookup"
    history: list[dict] | None = None
    style: str = "plain"
    origin: str = ""
    lines: list[int] | None = None
    max_words: int | None = None
    must_not: list[str] | None = None
    premise: str = ""  # the false premise an unanswerable question is built on

    @property
    def word_budget(self) -> int:
        if self.max_words:
            return self.max_words
        if self.kind == "list":
            return WORD_BUDGETS["list"] + LIST_WORDS_PER_ITEM * max(1, len(self.facts))
        return WORD_BUDGETS.get(self.kind, DEFAULT_WORD_BUDGET)


def load_cases(path: Path) -> list[Case]:
    cases = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise EvalError(f"{path}: cannot be read ({err})") from err
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalError(f"{path}:{number}: not JSON ({err.msg})") from err
        missing = REQUIRED_KEYS - set(data)
        if missing:
            raise EvalError(f"{path}:{number}: missing {', '.join(sorted(missing))}")
        cases.append(Case(**{k: v for k, v in data.items() if k in Case.__dataclass_fields__}))
    if not cases:
        raise EvalError(f"{path}: no cases")
    return cases


def load_split(split: str) -> list[Case]:
    """The cases of a split: `dev` (tune on it), `test` (report it) or `all` (both)."""
    if split not in SPLITS:
        raise EvalError(f"unknown split {split!r}: use {', '.join(SPLITS)}")
    return [case for path in SPLITS[split] for case in load_cases(path)]


def of_kind(cases: list[Case], kind: str) -> list[Case]:
    if kind not in KINDS:
        raise EvalError(f"unknown kind {kind!r}: use {', '.join(KINDS)}")
    return [case for case in cases if case.kind == kind]


def sample(cases: list[Case], n: int) -> list[Case]:
    """A fixed sample: every kind gets its share of n (at least one case), taken evenly spread
    through that kind's cases, so the same cases come back every run."""
    if n >= len(cases):
        return cases
    by_kind: dict[str, list[Case]] = {}
    for case in cases:
        by_kind.setdefault(case.kind, []).append(case)
    if n < len(by_kind):
        raise EvalError(f"a sample of {n} cannot hold one case of each of the {len(by_kind)} kinds")
    quotas = _quotas({kind: len(group) for kind, group in by_kind.items()}, n)
    chosen = {id(group[i * len(group) // quotas[kind]]) for kind, group in by_kind.items() for i in range(quotas[kind])}
    return [case for case in cases if id(case) in chosen]


def _quotas(sizes: dict[str, int], n: int) -> dict[str, int]:
    """n split over the groups in proportion to their sizes, at least one each."""
    total = sum(sizes.values())
    quotas = {kind: max(1, round(n * size / total)) for kind, size in sizes.items()}
    largest_first = sorted(sizes, key=sizes.get, reverse=True)
    step = 0
    while (surplus := sum(quotas.values()) - n) != 0:
        kind = largest_first[step % len(largest_first)]
        change = -1 if surplus > 0 else 1
        if 1 <= quotas[kind] + change <= sizes[kind]:
            quotas[kind] += change
        step += 1
    return quotas


# --- matching -------------------------------------------------------------------------------

# [1], [2, 3]: citation markers are not part of what an answer says.
_MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")


def _plain(text: str) -> str:
    """Lower case, one kind of dash and apostrophe, single spaces, no citation markers."""
    text = _MARKER.sub(" ", text).lower().replace("–", "-").replace("—", "-").replace("’", "'")
    return " ".join(text.split())


def _has_phrase(text: str, phrase: str) -> bool:
    """`phrase` occurs as whole words and numbers: "8" is not in "18" or "8.5", "low" not in "below"."""
    return bool(re.search(rf"(?<!\w)(?<!\d[.,]){re.escape(phrase)}(?!\w)(?![.,]\d)", text))


def fact_present(fact: str, answer: str) -> bool:
    """A required fact is in the answer: as whole words, or figure by figure by value.

    Each figure of the fact must appear in the answer at its full value, and the fact's other
    words as whole words: `$50-70K` matches `$50K–$70K` and `$50,000 to $70,000`, `1M+` matches
    `1 million`, `3.8GW` matches `3.8 GW`.
    """
    text, wanted = _plain(answer), _plain(fact)
    if _has_phrase(text, wanted):
        return True
    fact_figures = stated_figures(wanted)
    if not fact_figures:
        return False
    rest = wanted
    for figure in fact_figures:
        rest = rest.replace(figure.written, " ", 1)
    answer_values = stated_values(text)
    words_present = set(re.findall(r"[a-z]+", rest)) <= set(re.findall(r"[a-z]+", text))
    return words_present and all(figure.claimed in answer_values for figure in fact_figures)


def facts_present(facts: list[list[str]], answer: str) -> bool:
    return all(any(fact_present(alt, answer) for alt in group) for group in facts)


def word_count(answer: str) -> int:
    """Words a reader reads: citation markers and Markdown table rules do not count."""
    return len(re.findall(r"[\w$%~+.,/'’-]*\w[\w$%~+.,/'’-]*", _MARKER.sub(" ", answer)))


# --- groundedness, checked independently of grounding.grounding_problems ---------------------

_CAPITALISED = re.compile(r"(?<![A-Za-z0-9&])[A-Z][A-Za-z0-9&]*")
_TOKEN = re.compile(r"[A-Za-z0-9&]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n])[\s\"'“‘(*•-]*$")
# Function words and the usual openers of an answer ("Based on the context, ..."): capitalised
# only because they open a sentence, even when the cited text never uses them.
_FUNCTION_WORDS = frozenset(
    "a an the this that these those it its their there they we i he she in on at of for to and or "
    "but if as by from with about around roughly approximately some each all both one no not yes "
    "what which who when where why how per based according however also currently overall here "
    "note answer sure so thus".split()
)


def one_step_from(values: set[float]) -> set[float]:
    """Every value one arithmetic step from two of `values`: a difference, sum, ratio, mean or
    percentage difference, and a share's difference in basis points."""
    derived = set()
    for x in values:
        for y in values:
            derived |= {x - y, x + y, (x + y) / 2, (x - y) * 100}
            if y:
                derived |= {x / y, (x - y) / y * 100}
    return {round(v, 1) for v in derived}


def unsupported_claims(answer: str, cited_text: str, calculated: bool = False) -> list[str]:
    """Numbers and names of the answer that its cited text does not contain.

    Numbers compare by value (`$50K–$70K` is backed by `$50-70K`); in a calculated answer, a
    number one arithmetic step from the cited ones is backed too. A name is a capitalised word,
    matched as written (a plural "SKUs" by "SKU"); a word that opens a sentence is an ordinary
    word, not a name, when the cited text uses it in lower case or it is a function word ("The").
    """
    body = _MARKER.sub(" ", answer)
    cited_values = stated_values(cited_text)
    if calculated:
        cited_values |= one_step_from(cited_values)
    missing = [figure.written for figure in stated_figures(body)
               if figure.claimed not in cited_values and round(figure.claimed, 1) not in cited_values]
    cited_tokens = set(_TOKEN.findall(cited_text))
    for match in _CAPITALISED.finditer(body):
        word = match.group()
        if _SENTENCE_START.search(body[: match.start()]) and (
            word.lower() in cited_tokens or word.lower() in _FUNCTION_WORDS
        ):
            continue
        if word not in cited_tokens and not (word.endswith("s") and word[:-1] in cited_tokens):
            missing.append(word)
    return list(dict.fromkeys(missing))


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- running --------------------------------------------------------------------------------

def retrieval_query(case: Case) -> str:
    previous = [t["content"] for t in case.history or [] if t.get("role") == "user"]
    return f"{previous[-1]} {case.question}" if previous else case.question


def section_ranks(sections: list[str], expected: list[str]) -> int | None:
    for rank, section in enumerate(sections, 1):
        if section in expected:
            return rank
    return None


def score_case(case: Case, result: dict, ranked_sections: list[str], cited_texts: list[str]) -> dict:
    """Per-case scores from what the user saw (the --json shape) and the retrieval ranking."""
    rank = section_ranks(ranked_sections, case.sections) if case.sections else None
    row = {
        "id": case.id, "kind": case.kind, "style": case.style, "question": case.question,
        "answerable": case.answerable, "premise": bool(case.premise), "rank": rank,
        "expected_sections": case.sections, "facts": case.facts, "reference": case.reference,
    }
    if result is None:
        return row
    answer, refused = result["answer"], result["refused"] or says_not_answered(result["answer"])
    cited_sections = [c["section"] for c in result["citations"]]
    calculated = bool(result.get("calculation"))
    missing = unsupported_claims(answer, "\n".join(cited_texts), calculated) if not refused else []
    correct = case.answerable and not refused and facts_present(case.facts, answer)
    neighbour = not refused and any(fact_present(wrong, answer) for wrong in case.must_not or [])
    words = word_count(answer)
    row.update({
        "answer": answer,
        "refused": refused,
        "mode": result.get("mode") or ("refusal" if refused else "answer"),
        "correct": correct,
        "words": words,
        "word_budget": case.word_budget,
        "neighbour_figure": neighbour,
        "focused": correct and words <= case.word_budget and not neighbour,
        "cited_expected": bool(set(cited_sections) & set(case.sections)),
        "cited_in_expected": _ratio(sum(s in case.sections for s in cited_sections), len(cited_sections)),
        "grounded": not missing,
        "unsupported": missing,
        "citations": result["citations"],
        "timings": result["timings"],
    })
    if "trace" in result:  # the baseline's answers have none
        row["trace"] = result["trace"]
        row["decided_by"] = decided_by(result["trace"])
    return row


def decided_by(trace: list[dict]) -> str:
    """"stage: rule" of the stage that decided the answer (of each part's, for a compound
    question), from its trace."""
    return " + ".join(f"{entry['stage']}: {entry['rule']}" for entry in trace if "rule" in entry) or "—"


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _retrieval_metrics(rows: list[dict]) -> dict:
    ranked = [r for r in rows if r["answerable"] and r["expected_sections"]]
    metrics = {f"hit@{k}": _ratio(sum(1 for r in ranked if r["rank"] and r["rank"] <= k), len(ranked)) for k in (1, 3, 5)}
    metrics["mrr"] = round(sum(1 / r["rank"] for r in ranked if r["rank"]) / len(ranked), 4) if ranked else None
    return metrics


def _refused_share(rows: list[dict]) -> float | None:
    return _ratio(sum(r["refused"] for r in rows), len(rows))


def _percentiles(rows: list[dict], name: str) -> dict[str, float | None]:
    values = [r["timings"][name] for r in rows if name in r.get("timings", {})]
    return {f"{name}_p50": percentile(values, 50), f"{name}_p95": percentile(values, 95)}


def aggregate(rows: list[dict]) -> dict:
    metrics: dict[str, float | int | None] = {"cases": len(rows), **_retrieval_metrics(rows)}
    answered_rows = [r for r in rows if "answer" in r]
    if not answered_rows:
        return metrics
    unanswerable = [r for r in answered_rows if not r["answerable"]]
    scored = [r for r in answered_rows if r["answerable"]]
    refused = [r for r in answered_rows if r["refused"]]
    answered = [r for r in scored if not r["refused"]]
    shown_as_fact = [r for r in answered_rows if not r["refused"]]
    near_misses = [r for r in unanswerable if r["style"] == "near-miss"]
    refused_near_misses = [r for r in near_misses if r["refused"]]
    precisions = [r["cited_in_expected"] for r in answered if r["expected_sections"] and r["cited_in_expected"] is not None]
    metrics.update({
        "focused_accuracy": _ratio(sum(r["focused"] for r in scored), len(scored)),
        "answer_accuracy": _ratio(sum(r["correct"] for r in scored), len(scored)),
        "citation_accuracy": _ratio(sum(r["cited_expected"] for r in answered), len(answered)),
        "citation_precision": round(statistics.mean(precisions), 4) if precisions else None,
        "groundedness": _ratio(sum(r["grounded"] for r in shown_as_fact), len(shown_as_fact)),
        "refusal_precision": _ratio(sum(not r["answerable"] for r in refused), len(refused)),
        "refusal_recall": _refused_share(unanswerable),
        "refusal_recall_near_miss": _refused_share(near_misses),
        "near_miss_gives_instead": _ratio(sum(bool(r["citations"]) for r in refused_near_misses), len(refused_near_misses)),
        "premise_refused": _refused_share([r for r in unanswerable if r.get("premise")]),
        "wrong_refusal_rate": _refused_share(scored),
        "innocent_refused": _refused_share([r for r in scored if r["style"] == "innocent-trigger"]),
        **_percentiles(answered_rows, "ttft_ms"),
        **_percentiles(answered_rows, "total_ms"),
    })
    return metrics


def group_scores(rows: list[dict]) -> dict:
    """Accuracy, refusals, hit@3 and answer time of one group of cases (a kind, a mode)."""
    answered = [r for r in rows if "answer" in r]
    answerable = [r for r in answered if r["answerable"]]
    return {
        "cases": len(rows),
        "answerable": sum(r["answerable"] for r in rows),
        "hit@3": _retrieval_metrics(rows)["hit@3"],
        "focused_accuracy": _ratio(sum(r["focused"] for r in answerable), len(answerable)),
        "answer_accuracy": _ratio(sum(r["correct"] for r in answerable), len(answerable)),
        "words_p50": percentile([r["words"] for r in answered if not r["refused"]], 50),
        "words_p95": percentile([r["words"] for r in answered if not r["refused"]], 95),
        "refusal_recall": _refused_share([r for r in answered if not r["answerable"]]),
        "wrong_refusal_rate": _refused_share(answerable),
        **_percentiles(answered, "total_ms"),
    }


def breakdown(rows: list[dict], key: str, order: tuple[str, ...] = ()) -> dict[str, dict]:
    """group_scores per value of `key` ("kind" or "mode"), known values in `order` first."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        if key in row:
            groups.setdefault(row[key], []).append(row)
    names = [n for n in order if n in groups] + sorted(n for n in groups if n not in order)
    return {name: group_scores(groups[name]) for name in names}


class _AmznQa:
    """The project's pipeline, as the evaluation runs it."""

    def __init__(self, settings: Settings, retriever, retrieval_only: bool) -> None:
        from amzn_qa.answer.chain import AnswerChain

        self.retriever = retriever
        self.by_id = {u.id: u for u in retriever.units}
        self.chain = None if retrieval_only else AnswerChain(settings, retriever)
        self.model = self.chain.model if self.chain else None

    def ask(self, case: Case) -> tuple[dict | None, list[str], list[str]]:
        """The --json result (None for retrieval-only), the ranked sections, the cited texts."""
        query, result, cited_texts = retrieval_query(case), None, []
        if self.chain is not None:
            answer = self.chain.ask(case.question, case.history or [])
            result = answer.to_json()
            query = answer.standalone_question or query
            if query != case.question:
                query = f"{query} {case.question}"
            cited_texts = [self.by_id[c["chunk_id"]].evidence_text for c in result["citations"] if c["chunk_id"] in self.by_id]
        return result, [h.unit.section for h in self.retriever.retrieve(query, 5)], cited_texts


class _Baseline:
    """The plain LangChain baseline, given the same cases (and their history)."""

    def __init__(self, settings: Settings, retrieval_only: bool) -> None:
        from amzn_qa.evaluation.baseline import BaselineRAG

        self.rag, self.retrieval_only = BaselineRAG(settings), retrieval_only
        self.model = None if retrieval_only else self.rag.model

    def ask(self, case: Case) -> tuple[dict | None, list[str], list[str]]:
        if self.retrieval_only:
            return None, [d.metadata["section"] for d in self.rag.retrieve(case.question, case.history or [])], []
        return self.rag.ask(case.question, case.history or [])


def run(
    settings: Settings, cases: list[Case], retrieval_only: bool = False, progress: bool = True,
    pipeline: str = "amzn-qa",
) -> dict:
    from amzn_qa.answer.retrieval import HybridRetriever

    if pipeline == "baseline":
        system = _Baseline(settings, retrieval_only)
    else:
        system = _AmznQa(settings, HybridRetriever(settings), retrieval_only)
    rows = []
    started = time.perf_counter()
    for case in tqdm(cases, desc=f"eval {pipeline}", unit="case", disable=not progress):
        rows.append(score_case(case, *system.ask(case)))
    return {
        "pipeline": pipeline,
        "mode": "retrieval-only" if retrieval_only else "full",
        "model": system.model,
        "settings": {"k": settings.k, "llm": settings.llm, "prompt_token_budget": settings.prompt_token_budget},
        "seconds": round(time.perf_counter() - started, 1),
        "metrics": aggregate(rows),
        "by_kind": breakdown(rows, "kind", KINDS),
        "by_mode": breakdown(rows, "mode", ("answer", "quote", "evidence", "refusal", "error")),
        "by_decision": breakdown(rows, "decided_by"),
        "cases": rows,
    }


# --- gate, reports, comparison --------------------------------------------------------------

def gate(metrics: dict, thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Failures: every threshold the metrics do not meet, and every threshold that is malformed
    (a name that is no metric, a bound other than min/max): a typo must not pass silently.
    Metrics a run does not compute (answer metrics in a retrieval-only run) are skipped."""
    failures = []
    for name, bound in thresholds.items():
        if name not in METRICS:
            failures.append(f"threshold {name!r} names no metric (metrics: {', '.join(METRICS)})")
            continue
        if not isinstance(bound, dict) or not bound or set(bound) - {"min", "max"}:
            failures.append(f"threshold {name!r} must be {{\"min\": x}} and/or {{\"max\": y}}, not {bound!r}")
            continue
        value = metrics.get(name)
        if value is None:
            continue
        if "min" in bound and value < bound["min"]:
            failures.append(f"{name} = {value} is below the minimum {bound['min']}")
        if "max" in bound and value > bound["max"]:
            failures.append(f"{name} = {value} is above the maximum {bound['max']}")
    return failures


def _fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if isinstance(value, float) and value <= 1 else f"{value}"


def _seconds(ms: float | None) -> str:
    return "—" if ms is None else f"{ms / 1000:.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def _pipelines(report: dict) -> list[dict]:
    """The report's runs: amzn-qa, and the baseline beside it when it was run too."""
    return [report] + ([report["baseline"]] if "baseline" in report else [])


def kind_table(report: dict) -> list[str]:
    """Per kind: accuracy, refusals, hit@3 and latency; with a baseline, its accuracy beside."""
    runs = _pipelines(report)
    header = ["kind", "cases"] + [f"focused ({r['pipeline']})" for r in runs] + [
        f"facts ({r['pipeline']})" for r in runs] + [
        "words p50", "words p95", "refusal recall", "wrong refusals", "hit@3", "p50 s", "p95 s"]
    rows = []
    for kind, s in report["by_kind"].items():
        focused = [_fmt(r["by_kind"].get(kind, {}).get("focused_accuracy")) for r in runs]
        accuracy = [_fmt(r["by_kind"].get(kind, {}).get("answer_accuracy")) for r in runs]
        rows.append([kind, str(s["cases"]), *focused, *accuracy, _fmt(s["words_p50"]), _fmt(s["words_p95"]),
                     _fmt(s["refusal_recall"]), _fmt(s["wrong_refusal_rate"]),
                     _fmt(s["hit@3"]), _seconds(s["total_ms_p50"]), _seconds(s["total_ms_p95"])])
    shown = [i for i in range(len(header)) if any(row[i] != "—" for row in rows)]  # a retrieval-only run has no answers
    return _table([header[i] for i in shown], [[row[i] for i in shown] for row in rows])


def mode_table(report: dict) -> list[str]:
    rows = [[mode, str(s["cases"]), str(s["answerable"]), _fmt(s["answer_accuracy"])] for mode, s in report["by_mode"].items()]
    return _table(["mode", "cases", "answerable", "accuracy"], rows)


def decision_table(report: dict) -> list[str]:
    rows = [[decision, str(s["cases"]), str(s["answerable"]), _fmt(s["focused_accuracy"]), _fmt(s["answer_accuracy"])]
            for decision, s in sorted(report["by_decision"].items(), key=lambda item: -item[1]["cases"])]
    return _table(["decided by (stage: rule)", "cases", "answerable", "focused", "facts"], rows)


def _failure_lines(report: dict) -> list[str]:
    failures = [r for r in report["cases"] if "answer" in r and (
        (r["answerable"] and not r["focused"]) or (not r["answerable"] and not r["refused"]) or not r["grounded"])]
    lines = [f"## Failures of {report['pipeline']} ({len(failures)})", ""]
    for r in failures:
        cites = "; ".join(f"[{c['n']}] {c['section']} (lines {c['start_line']}-{c['end_line']})" for c in r["citations"])
        lines += [
            f"### {r['id']} ({r['kind']}, {r['style']}, mode {r['mode']})",
            f"- question: {r['question']}",
            f"- answer: {r['answer']}",
            f"- expected facts: {r['facts'] or 'refusal'} · reference: {r['reference']}",
            f"- citations: {cites or 'none'} · expected: {'; '.join(r['expected_sections'])}",
            f"- refused: {r['refused']} · grounded: {r['grounded']} · words {r['words']} of {r['word_budget']}"
            + (" · gives the neighbouring figure" if r["neighbour_figure"] else "")
            + (f" (unsupported: {', '.join(r['unsupported'])})" if r["unsupported"] else ""),
            "",
        ]
    return lines


def write_report(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    runs = _pipelines(report)
    names = [f"{r['pipeline']} ({r['mode']})" for r in runs]
    lines = [
        f"# Evaluation report: {' vs '.join(r['pipeline'] for r in runs)}, {report['mode']}",
        "",
        *[f"- {r['pipeline']}: model `{r['model']}` · cases: {r['metrics']['cases']} · wall time: {r['seconds']} s" for r in runs],
        "",
        *_table(["metric", *names], [[m, *(_fmt(r["metrics"].get(m)) for r in runs)] for m in METRICS if m in report["metrics"]]),
        "", "## By kind", "", *kind_table(report), "",
    ]
    if report["by_mode"]:
        lines += ["## By mode (how the answer came about)", "", *mode_table(report), ""]
    if report.get("by_decision"):  # reports from before the trace have none
        lines += ["## By deciding stage and rule (the answer's trace)", "", *decision_table(report), ""]
    for run_report in runs:
        if report["mode"] == "full":
            lines += _failure_lines(run_report)
    missed = [r for r in report["cases"] if r["answerable"] and r["expected_sections"] and (r["rank"] or 99) > 3]
    lines += [f"## Retrieval misses at 3 ({len(missed)})", ""]
    lines += [f"- {r['id']}: rank {r['rank']} · {r['question']}" for r in missed]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    _charts(runs, names, out)


def _bars(ax, runs: list[dict], names: list[str], labels: list[str], value, title: str, ylim=(0, 1.05)) -> None:
    """Grouped bars: one group per label, one bar per run; value(run, label) gives the height."""
    width = 0.8 / len(runs)
    for i, (run_report, name) in enumerate(zip(runs, names)):
        ax.bar([x + i * width for x in range(len(labels))], [value(run_report, lab) or 0 for lab in labels], width, label=name)
    ax.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(labels))], labels, rotation=30, ha="right")
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_title(title)
    ax.legend(fontsize="small")


def _charts(runs: list[dict], names: list[str], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(runs[0]["by_kind"])
    headline = [m for m in METRICS if m != "cases" and m not in LATENCY_METRICS and m in runs[0]["metrics"]]
    fig, axes = plt.subplots(2, 3, figsize=(16, 8))
    _bars(axes[0, 0], runs, names, headline, lambda r, m: r["metrics"].get(m), "metrics")
    _bars(axes[0, 1], runs, names, kinds, lambda r, k: r["by_kind"].get(k, {}).get("focused_accuracy"), "focused accuracy by kind")
    _bars(axes[0, 2], runs, names, ["all", "near-miss"],
          lambda r, s: r["metrics"].get("refusal_recall" if s == "all" else "refusal_recall_near_miss"),
          "refusal recall (unanswerable cases)")
    _bars(axes[1, 0], runs, names, kinds, lambda r, k: r["by_kind"].get(k, {}).get("wrong_refusal_rate"),
          "wrong refusals by kind (answerable cases refused)")
    _bars(axes[1, 1], runs, names, kinds, lambda r, k: (r["by_kind"].get(k, {}).get("total_ms_p50") or 0) / 1000,
          "answer latency by kind: p50 bars, p95 marks (s)", ylim=None)
    width = 0.8 / len(runs)
    for i, run_report in enumerate(runs):
        p95 = [(run_report["by_kind"].get(k, {}).get("total_ms_p95") or 0) / 1000 for k in kinds]
        axes[1, 1].scatter([x + i * width for x in range(len(kinds))], p95, marker="_", s=300, color="black")
    _bars(axes[1, 2], runs, names, list(runs[0]["by_mode"]) or ["—"],
          lambda r, mode: r["by_mode"].get(mode, {}).get("cases"), "cases by mode", ylim=None)
    fig.tight_layout()
    fig.savefig(out / "metrics.png", dpi=90)
    plt.close(fig)
    _latency_histogram(runs, names, out, plt)


def _latency_histogram(runs: list[dict], names: list[str], out: Path, plt) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for run_report, name in zip(runs, names):
        totals = [r["timings"]["total_ms"] / 1000 for r in run_report["cases"] if "timings" in r]
        if totals:
            ax.hist(totals, bins=20, alpha=0.6, label=f"{name}, p50 {statistics.median(totals):.1f} s")
    if ax.has_data():
        ax.set_xlabel("seconds per answer")
        ax.set_ylabel("cases")
        ax.set_title("answer latency")
        ax.legend(fontsize="small")
        fig.tight_layout()
        fig.savefig(out / "latency.png", dpi=100)
    plt.close(fig)


def compare(path_a: Path, path_b: Path) -> str:
    def load(path: Path) -> dict:
        path = path / "report.json" if path.is_dir() else path
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise EvalError(f"{path}: not a report ({err})") from err

    a, b = load(path_a), load(path_b)
    lines = ["| metric | A | B | B − A |", "|---|---|---|---|"]
    for m in a["metrics"]:
        va, vb = a["metrics"].get(m), b["metrics"].get(m)
        delta = f"{vb - va:+.3f}" if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else "—"
        lines.append(f"| {m} | {_fmt(va)} | {_fmt(vb)} | {delta} |")
    rows_a = {r["id"]: r for r in a["cases"]}
    flips = []
    for r in b["cases"]:
        old = rows_a.get(r["id"])
        if old and "answer" in r and "answer" in old:
            # Reports from before focus was scored have only "correct".
            ok_a = old.get("focused", old["correct"]) if old["answerable"] else old["refused"]
            ok_b = r.get("focused", r["correct"]) if r["answerable"] else r["refused"]
            if ok_a != ok_b:
                flips.append(f"- {r['id']}: {'fixed' if ok_b else 'broken'} · {r['question']}")
    lines += ["", f"Cases that flipped: {len(flips)}"] + flips
    return "\n".join(lines)


def read_thresholds(path: Path) -> dict:
    try:
        thresholds = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise EvalError(f"{path}: cannot be read ({err})") from err
    if not isinstance(thresholds, dict):
        raise EvalError(f"{path}: must be an object of metric names")
    return thresholds


def ablate(settings: Settings, cases: list[Case], name: str, out: Path, progress: bool = True) -> str:
    """The cases run as set (A) and with `name`, a stage or rule of the answer chain, switched
    off (B): both reports written under `out`, and their comparison (metric deltas, the cases
    that flipped)."""
    from amzn_qa.answer.pipeline import check_disabled

    ablated = settings.model_copy(update={"disable": [*settings.disable, name]})
    check_disabled(ablated.disable)  # before the first run: a misspelt name costs no run
    runs = {out / "as-set": settings, out / f"without-{name}": ablated}
    for path, run_settings in runs.items():
        write_report(run(run_settings, cases, progress=progress), path)
    return f"A: as set · B: {name} switched off (reports: {', '.join(map(str, runs))})\n\n" + compare(*runs)


def run_cli(args: argparse.Namespace, settings: Settings) -> int:
    if args.compare:
        print(compare(Path(args.compare[0]), Path(args.compare[1])))
        return 0
    cases = load_cases(Path(args.qa)) if args.qa else load_split(args.split)
    thresholds = read_thresholds(Path(args.thresholds) if args.thresholds else DEFAULT_THRESHOLDS)
    if args.kind:
        cases = of_kind(cases, args.kind)
    if args.limit:
        cases = cases[: args.limit]
    if args.sample:
        cases = sample(cases, args.sample)
    out = Path(args.out) if args.out else EVALS_DIR / "reports" / "latest"
    progress = sys.stderr.isatty()
    if args.ablate:
        print(ablate(settings, cases, args.ablate, out, progress))
        return 0
    report = run(settings, cases, retrieval_only=args.retrieval_only, progress=progress)
    if args.baseline:
        report["baseline"] = run(settings, cases, retrieval_only=args.retrieval_only, progress=progress, pipeline="baseline")
    write_report(report, out)
    for name, value in report["metrics"].items():
        print(f"{name:>24}: {_fmt(value)}")
    print("\n".join(["", *kind_table(report), "", f"report: {out}/report.md"]))
    failures = [] if args.no_gate else gate(report["metrics"], thresholds)
    for failure in failures:
        print(f"GATE FAILED: {failure}")
    return 1 if failures else 0
