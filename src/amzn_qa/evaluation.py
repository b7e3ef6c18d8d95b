"""Evaluation harness: run the real pipeline over known Q&A pairs, score it, gate on thresholds.

Metrics are defined in evals/README.md. The harness judges what a user sees: it recomputes
groundedness from the shown answer and the text of the units it cites, never trusting the
chain's own `grounded` flag, and it scores refusals separately from answer accuracy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from .config import PROJECT_ROOT, Settings
from .grounding import figures, grounding_problems, is_refusal

EVALS_DIR = PROJECT_ROOT / "evals"
DEFAULT_QA = EVALS_DIR / "qa.jsonl"
DEFAULT_THRESHOLDS = EVALS_DIR / "thresholds.json"
RETRIEVAL_METRICS = ("hit@1", "hit@3", "hit@5", "mrr")
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


def sample(cases: list[Case], n: int) -> list[Case]:
    """A fixed, evenly spread sample: the same cases every run, every kind represented."""
    if n >= len(cases):
        return cases
    return [cases[i * len(cases) // n] for i in range(n)]


# --- matching -------------------------------------------------------------------------------

def _norm(text: str) -> str:
    return " ".join(text.lower().replace("–", "-").replace("—", "-").replace("’", "'").split())


def fact_present(fact: str, answer: str) -> bool:
    """A required fact is in the answer: as text, or figure by figure by value.

    Each figure of the fact must appear in the answer at its full value: `$50-70K` matches
    `$50K–$70K` and `$50,000 to $70,000`, `1M+` matches `1 million`, `3.8GW` matches `3.8 GW`.
    """
    if _norm(fact) in _norm(answer):
        return True
    fact_figures = figures(fact)
    if not fact_figures:
        return False
    answer_values = {v for f in figures(answer) for v in f.values}
    return all(max(f.values) in answer_values for f in fact_figures)


def facts_present(facts: list[list[str]], answer: str) -> bool:
    return all(any(fact_present(alt, answer) for alt in group) for group in facts)


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
        "id": case.id, "kind": case.kind, "question": case.question,
        "answerable": case.answerable, "rank": rank,
        "expected_sections": case.sections, "facts": case.facts, "reference": case.reference,
    }
    if result is None:
        return row
    answer, refused = result["answer"], result["refused"] or is_refusal(result["answer"])
    cited_sections = [c["section"] for c in result["citations"]]
    missing = grounding_problems(answer, "\n".join(cited_texts)) if not refused else []
    row.update({
        "answer": answer,
        "refused": refused,
        "correct": case.answerable and not refused and facts_present(case.facts, answer),
        "cited_expected": bool(set(cited_sections) & set(case.sections)),
        "grounded": not missing,
        "unsupported": missing,
        "citations": result["citations"],
        "timings": result["timings"],
    })
    return row


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def aggregate(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    ranked = [r for r in answerable if r["expected_sections"]]
    metrics: dict[str, float | int | None] = {"cases": len(rows)}
    for k in (1, 3, 5):
        metrics[f"hit@{k}"] = _ratio(sum(1 for r in ranked if r["rank"] and r["rank"] <= k), len(ranked))
    metrics["mrr"] = round(sum(1 / r["rank"] for r in ranked if r["rank"]) / len(ranked), 4) if ranked else None
    answered_rows = [r for r in rows if "answer" in r]
    if not answered_rows:
        return metrics
    unanswerable = [r for r in answered_rows if not r["answerable"]]
    scored = [r for r in answered_rows if r["answerable"]]
    shown_as_fact = [r for r in answered_rows if not r["refused"]]
    refused = [r for r in answered_rows if r["refused"]]
    answered = [r for r in scored if not r["refused"]]
    metrics.update({
        "answer_accuracy": _ratio(sum(r["correct"] for r in scored), len(scored)),
        "citation_accuracy": _ratio(sum(r["cited_expected"] for r in answered), len(answered)),
        "groundedness": _ratio(sum(r["grounded"] for r in shown_as_fact), len(shown_as_fact)),
        "refusal_precision": _ratio(sum(not r["answerable"] for r in refused), len(refused)),
        "refusal_recall": _ratio(sum(r["refused"] for r in unanswerable), len(unanswerable)),
        "wrong_refusal_rate": _ratio(sum(r["refused"] for r in scored), len(scored)),
    })
    for name in ("ttft_ms", "total_ms"):
        values = [r["timings"][name] for r in answered_rows if name in r["timings"]]
        metrics[f"{name}_p50"] = percentile(values, 50)
        metrics[f"{name}_p95"] = percentile(values, 95)
    return metrics


def run(
    settings: Settings, cases: list[Case], retrieval_only: bool = False, progress: bool = True,
    pipeline: str = "amzn-qa",
) -> dict:
    from .chain import AnswerChain
    from .retrieval import HybridRetriever

    retriever = HybridRetriever(settings)
    by_id = {u.id: u for u in retriever.units}
    baseline = None
    if pipeline == "baseline":
        from .baseline import BaselineRAG

        baseline = BaselineRAG(settings)
    chain = AnswerChain(settings, retriever) if not retrieval_only and baseline is None else None
    rows = []
    started = time.perf_counter()
    for case in tqdm(cases, desc=f"eval {pipeline}", unit="case", disable=not progress):
        if baseline is not None:
            result, ranked, cited_texts = baseline.ask(case.question, case.history or [])
        else:
            query = retrieval_query(case)
            result, cited_texts = None, []
            if chain is not None:
                answer = chain.ask(case.question, case.history or [])
                result = answer.to_json()
                query = answer.standalone_question or query
                if query != case.question:
                    query = f"{query} {case.question}"
                cited_texts = [
                    by_id[c["chunk_id"]].evidence_text for c in result["citations"] if c["chunk_id"] in by_id
                ]
            ranked = [h.unit.section for h in retriever.retrieve(query, 5)]
        rows.append(score_case(case, result, ranked, cited_texts))
    return {
        "pipeline": pipeline,
        "mode": "retrieval-only" if retrieval_only else "full",
        "model": None if retrieval_only else (baseline.model if baseline else chain.model),
        "settings": {"k": settings.k, "llm": settings.llm, "prompt_token_budget": settings.prompt_token_budget},
        "seconds": round(time.perf_counter() - started, 1),
        "metrics": aggregate(rows),
        "cases": rows,
    }


# --- gate, reports, comparison --------------------------------------------------------------

def gate(metrics: dict, thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Failures: every threshold the metrics do not meet (metrics absent from a run are skipped)."""
    failures = []
    for name, bound in thresholds.items():
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


def write_report(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    reports = [report]
    names = [f"{r['pipeline']} ({r['mode']})" for r in reports]
    metric_names = [m for m in report["metrics"] if m != "cases"]
    lines = [
        f"# Evaluation report: {report['pipeline']}, {report['mode']}",
        "",
        f"Model: `{report['model']}` · cases: {report['metrics']['cases']} · wall time: {report['seconds']} s",
        "",
        "| metric | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(reports),
    ]
    for m in metric_names:
        lines.append(f"| {m} | " + " | ".join(_fmt(r["metrics"].get(m)) for r in reports) + " |")
    failures = [r for r in report["cases"] if "answer" in r and (
        (r["answerable"] and not r["correct"]) or (not r["answerable"] and not r["refused"])
        or not r["grounded"])]
    missed = [r for r in report["cases"] if r["answerable"] and r["expected_sections"] and (r["rank"] or 99) > 3]
    lines += ["", f"## Failures ({len(failures)})", ""]
    for r in failures:
        cites = "; ".join(f"[{c['n']}] {c['section']} (lines {c['start_line']}-{c['end_line']})" for c in r["citations"])
        lines += [
            f"### {r['id']} ({r['kind']})",
            f"- question: {r['question']}",
            f"- answer: {r['answer']}",
            f"- expected facts: {r['facts'] or 'refusal'} · reference: {r['reference']}",
            f"- citations: {cites or 'none'} · expected: {'; '.join(r['expected_sections'])}",
            f"- refused: {r['refused']} · grounded: {r['grounded']}"
            + (f" (unsupported: {', '.join(r['unsupported'])})" if r["unsupported"] else ""),
            "",
        ]
    lines += [f"## Retrieval misses at 3 ({len(missed)})", ""]
    lines += [f"- {r['id']}: rank {r['rank']} · {r['question']}" for r in missed]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    _charts(reports, names, out)


def _charts(reports: list[dict], names: list[str], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [m for m in reports[0]["metrics"] if m not in ("cases",) and not m.endswith(("_p50", "_p95"))]
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / len(reports)
    for i, (report, name) in enumerate(zip(reports, names)):
        values = [report["metrics"].get(m) or 0 for m in shown]
        ax.bar([x + i * width for x in range(len(shown))], values, width, label=name)
    ax.set_xticks([x + width * (len(reports) - 1) / 2 for x in range(len(shown))], shown, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.legend()
    ax.set_title("amzn-qa evaluation metrics")
    fig.tight_layout()
    fig.savefig(out / "metrics.png", dpi=100)
    plt.close(fig)

    totals = [r["timings"]["total_ms"] / 1000 for r in reports[0]["cases"] if "timings" in r]
    if totals:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(totals, bins=20)
        ax.set_xlabel("seconds per answer")
        ax.set_ylabel("cases")
        ax.set_title(f"answer latency, p50 {statistics.median(totals):.1f} s")
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
            ok_a = old["correct"] if old["answerable"] else old["refused"]
            ok_b = r["correct"] if r["answerable"] else r["refused"]
            if ok_a != ok_b:
                flips.append(f"- {r['id']}: {'fixed' if ok_b else 'broken'} · {r['question']}")
    lines += ["", f"Cases that flipped: {len(flips)}"] + flips
    return "\n".join(lines)


def run_cli(args: argparse.Namespace, settings: Settings) -> int:
    if args.compare:
        print(compare(Path(args.compare[0]), Path(args.compare[1])))
        return 0
    cases = load_cases(Path(args.qa) if args.qa else DEFAULT_QA)
    thresholds_file = Path(args.thresholds) if args.thresholds else DEFAULT_THRESHOLDS
    try:
        thresholds = json.loads(thresholds_file.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise EvalError(f"{thresholds_file}: cannot be read ({err})") from err
    if args.limit:
        cases = cases[: args.limit]
    if args.sample:
        cases = sample(cases, args.sample)
    out = Path(args.out) if args.out else EVALS_DIR / "reports" / "latest"
    pipeline = "baseline" if args.baseline else "amzn-qa"
    report = run(settings, cases, retrieval_only=args.retrieval_only, pipeline=pipeline)
    write_report(report, out)
    for name, value in report["metrics"].items():
        print(f"{name:>20}: {_fmt(value)}")
    print(f"report: {out}/report.md")
    failures = [] if args.no_gate else gate(report["metrics"], thresholds)
    for failure in failures:
        print(f"GATE FAILED: {failure}")
    return 1 if failures else 0
