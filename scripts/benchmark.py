"""Benchmark: ingest time, retrieval p50/p95, time-to-first-token and answer time p50/p95 (all
questions, then look-ups, explain/list/compare questions and derived figures apart), peak memory, with the
default settings on this machine. Prints numbers; asserts nothing. Questions come from the dev
split (the test split is kept for reporting answer quality: evals/README.md).

    .venv/bin/python scripts/benchmark.py [--questions N] [--cli-questions N]

It also times the command line per question, same questions, same run: the stand-alone
`amzn-qa ask` (loads torch, the embedder and the model itself) next to `amzn-qa ask --server URL`
(asks a running `amzn-qa serve`).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from amzn_qa.answer.chain import Answer, AnswerChain, Token
from amzn_qa.config import Settings
from amzn_qa.evaluation.harness import load_split, percentile, sample
from amzn_qa.ingest.index import ingest
from amzn_qa.answer.retrieval import HybridRetriever


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--cli-questions", type=int, default=3)
    args = parser.parse_args()
    cases = sample([c for c in load_split("dev") if not c.history and c.answerable], args.questions)
    questions = [c.question for c in cases]

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index")
        ingest(settings, progress=False)  # warm: loads the embedder once
        started = time.perf_counter()
        report = ingest(settings, rebuild=True, progress=False)
        ingest_s = time.perf_counter() - started

        retriever = HybridRetriever(settings)
        retriever.retrieve("warm-up question")
        retrieve_ms = []
        for q in questions:
            t = time.perf_counter()
            retriever.retrieve(q)
            retrieve_ms.append((time.perf_counter() - t) * 1000)

        chain = AnswerChain(settings, retriever)
        t = time.perf_counter()
        chain.ask("warm-up: what does Trainium 2 cost?")  # loads the model once
        load_s = time.perf_counter() - t
        ttft, total = [], []
        for q in questions:
            first, answered = stream_timings(chain, q)
            ttft.append(first)
            total.append(answered)

    figures = {
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}",
        "questions": len(questions),
        "ingest_rebuild_s": round(ingest_s, 1),
        "units": report.units,
        "retrieval_ms_p50": round(statistics.median(retrieve_ms), 1),
        "retrieval_ms_p95": round(percentile(retrieve_ms, 95), 1),
        "first_answer_incl_model_load_s": round(load_s, 1),
        "ttft_ms_p50": round(statistics.median(ttft)),
        "ttft_ms_p95": round(percentile(ttft, 95)),
        "answer_ms_p50": round(statistics.median(total)),
        "answer_ms_p95": round(percentile(total, 95)),
        **by_kind(cases, ttft, total),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **cli_wall_times(questions[: args.cli_questions]),
    }
    print(json.dumps(figures, indent=1))


def stream_timings(chain: AnswerChain, question: str) -> tuple[float, float]:
    """Milliseconds to the first piece of the answer's text and to the whole checked answer."""
    started = time.perf_counter()
    first = None
    for event in chain.stream(question):
        if isinstance(event, (Token, Answer)):
            first = first if first is not None else (time.perf_counter() - started) * 1000
        if isinstance(event, Answer):
            return first, (time.perf_counter() - started) * 1000
    raise RuntimeError("the chain ended without an answer")


KIND_GROUPS = {"lookup": ("lookup",), "explain_list_compare": ("explain", "list", "compare"), "derived": ("derived",)}


def by_kind(cases: list, ttft: list[float], total: list[float]) -> dict[str, float]:
    """p50 time to first token and to the answer for look-ups, explain/list/compare questions
    and derived figures apart: the issue's latency targets differ between them."""
    figures = {}
    for group, kinds in KIND_GROUPS.items():
        chosen = [n for n, case in enumerate(cases) if case.kind in kinds]
        if chosen:
            figures[f"{group}_questions"] = len(chosen)
            figures[f"{group}_ttft_ms_p50"] = round(statistics.median(ttft[n] for n in chosen))
            figures[f"{group}_answer_ms_p50"] = round(statistics.median(total[n] for n in chosen))
    return figures


def cli_wall_times(questions: list[str]) -> dict[str, float]:
    """Seconds per `amzn-qa ask` question, stand-alone and through a running server."""
    from loadtest import start_server  # scripts/ is on the path when this runs as a script

    def timed(*args: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "amzn_qa.frontends.cli", "ask", *args], check=True, capture_output=True)
        return time.perf_counter() - started

    proc, url = start_server()
    try:
        timed("--server", url, questions[0])  # the server loads its model on its first question
        alone = [timed(q) for q in questions]
        served = [timed("--server", url, q) for q in questions]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "cli_questions": len(questions),
        "cli_ask_standalone_s_p50": round(statistics.median(alone), 1),
        "cli_ask_server_s_p50": round(statistics.median(served), 1),
    }


if __name__ == "__main__":
    main()
