"""Ingest at corpus scale: 50 documents the size of the analysis, markdown, PDF and DOCX mixed.

Each document is a copy of the analysis with a small edit of its own (a figure and a closing
note), so none shares its conversion or its units with another; the PDFs are printed by Chromium
and the DOCX files written by pandoc, as in the tests (tests/formats.py). Measured in a fresh
process each time: the first ingest (conversion, chunking, embedding, writing) with its peak
memory, then a second ingest with nothing changed (nothing converted, nothing embedded). The
embedding cache is off: the copies share most of their units, which the cache would embed once,
and the figure is what distinct documents cost.

    .venv/bin/python scripts/bench_ingest.py [--documents 50] [--pdf 10] [--docx 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


def edited_copy(i: int, folder: Path) -> Path:
    from tests.formats import DOCUMENT

    text = DOCUMENT.read_text(encoding="utf-8").replace("3.8GW", f"{3.8 + i / 100:.2f}GW")
    path = folder / f"analysis-{i:02d}.md"
    path.write_text(f"{text}\n\nRevision note {i}: copy {i} of the analysis for the ingest benchmark.\n", encoding="utf-8")
    return path


def make_corpus(corpus: Path, documents: int, pdfs: int, docxs: int) -> dict[str, int]:
    from tests.formats import write_docx, write_html, write_pdf

    corpus.mkdir(parents=True)
    sources = corpus.parent / "sources"
    sources.mkdir()
    for i in range(documents):
        markdown = edited_copy(i, sources)
        if i < pdfs:
            write_pdf(write_html(markdown, markdown.with_suffix(".html")), corpus / f"{markdown.stem}.pdf")
        elif i < pdfs + docxs:
            write_docx(markdown, corpus / f"{markdown.stem}.docx")
        else:
            markdown.rename(corpus / markdown.name)
    return {suffix: len(list(corpus.glob(f"*{suffix}"))) for suffix in (".md", ".pdf", ".docx")}


def child(corpus: str, index: str) -> None:
    """One ingest in this process: its figures as one JSON line."""
    from amzn_qa.config import Settings
    from amzn_qa.ingest.index import ingest

    report = ingest(Settings(corpus_dir=Path(corpus), index_dir=Path(index)), progress=False)
    print(json.dumps({
        "ingest_s": round(report.seconds, 1),
        "units": report.units, "added": len(report.added), "unchanged": len(report.unchanged),
        "converted": len(report.converted), "problems": report.problems,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


def measured_ingest(corpus: Path, index: Path) -> dict:
    """One ingest in a fresh process: its figures, and the wall time with the process start-up
    (imports, embedder load)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", str(corpus), str(index)],
                         check=True, capture_output=True, text=True,
                         env={**os.environ, "TQDM_DISABLE": "1", "AMZN_QA_EMBEDDING_CACHE": "false"})
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "wall_s": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--pdf", type=int, default=10)
    parser.add_argument("--docx", type=int, default=10)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    work = Path(tempfile.mkdtemp(prefix="amzn-qa-bench-ingest-"))
    mix = make_corpus(work / "corpus", args.documents, args.pdf, args.docx)
    first = measured_ingest(work / "corpus", work / "index")
    again = measured_ingest(work / "corpus", work / "index")
    rows = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "documents": ", ".join(f"{n} {suffix}" for suffix, n in mix.items()),
        "units": first["units"], "first ingest (s, in-process / with start-up)": f"{first['ingest_s']} / {first['wall_s']}",
        "files converted": first["converted"], "peak_rss_mb (first ingest)": first["peak_rss_mb"],
        "re-ingest, nothing changed (s, in-process / with start-up)": f"{again['ingest_s']} / {again['wall_s']}",
        "re-ingest: converted / unchanged": f"{again['converted']} / {again['unchanged']}",
    }
    print("| figure | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows.items()))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
