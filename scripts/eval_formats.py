"""Does a PDF answer as well as the markdown it was printed from? Same cases, same run.

Builds two corpora in a temporary folder, one holding the analysis as markdown, one holding only
its PDF (Chromium's print, running header and footer included: tests/formats.py), indexes each
in its own store, runs the evaluation's cases over both and prints the metrics side by side.

    .venv/bin/python scripts/eval_formats.py [--split test] [--kind lookup] [--out evals/reports]

The same as two `amzn-qa eval` runs with AMZN_QA_CORPUS_DIR and AMZN_QA_INDEX_DIR pointing at
the two corpora.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from amzn_qa.config import Settings  # noqa: E402
from amzn_qa.evaluation.harness import load_split, of_kind, run, write_report  # noqa: E402
from amzn_qa.ingest.index import ingest  # noqa: E402
from tests.formats import DOCUMENT, build_fixtures  # noqa: E402

SHOWN = ("cases", "hit@3", "answer_accuracy", "citation_accuracy", "groundedness", "wrong_refusal_rate", "total_ms_p50")


def corpus_settings(root: Path, document: Path) -> Settings:
    (root / "corpus").mkdir(parents=True)
    shutil.copy(document, root / "corpus" / document.name)
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="test")
    parser.add_argument("--kind", default="lookup")
    parser.add_argument("--out", default=str(ROOT / "evals" / "reports"), help="reports go to OUT/<split>-<kind>-<format>")
    args = parser.parse_args()
    cases = of_kind(load_split(args.split), args.kind)
    work = Path(tempfile.mkdtemp(prefix="amzn-qa-eval-formats-"))
    documents = {"md": DOCUMENT, "pdf": build_fixtures(work / "fixtures")[".pdf"]}
    reports = {}
    for name, document in documents.items():
        settings = corpus_settings(work / name, document)
        print(ingest(settings, progress=False).summary(), flush=True)
        reports[name] = run(settings, cases, progress=False, pipeline=f"amzn-qa ({name})")
        write_report(reports[name], Path(args.out) / f"{args.split}-{args.kind}-{name}")
    print(f"| metric | {' | '.join(documents)} |\n|---|" + "---|" * len(documents))
    for metric in SHOWN:
        print(f"| {metric} | {' | '.join(str(reports[n]['metrics'].get(metric)) for n in documents)} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
