"""Benchmark: ingest time, retrieval p50/p95, time-to-first-token and answer time p50/p95, peak
memory, with the default settings on this machine. Prints numbers; asserts nothing. Questions
come from the dev split (the test split is kept for reporting answer quality: evals/README.md).

    .venv/bin/python scripts/benchmark.py [--questions N]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

from amzn_qa.chain import Answer, AnswerChain
from amzn_qa.config import Settings
from amzn_qa.evaluation import load_split, percentile, sample
from amzn_qa.index import ingest
from amzn_qa.retrieval import HybridRetriever


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=24)
    args = parser.parse_args()
    questions = [c.question for c in sample([c for c in load_split("dev") if not c.history], args.questions)]

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
            t = time.perf_counter()
            first = None
            for event in chain.stream(q):
                if first is None:
                    first = time.perf_counter() - t
                if isinstance(event, Answer):
                    total.append((time.perf_counter() - t) * 1000)
                    ttft.append(first * 1000)

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
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
