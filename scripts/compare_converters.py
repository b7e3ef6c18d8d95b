"""Which converter keeps the analysis's structure? Measured on the analysis itself.

The corpus document is rendered to HTML (markdown-it-py), printed to PDF (Chromium, with its
running header and footer) and written as DOCX (pandoc); every candidate converts each file back
to markdown, `chunk_markdown` cuts it, and the units are compared with those of the original:
headings kept (sections of the original found again), table rows kept (row units whose text,
whitespace and case aside, equals an original row unit), units other than whole tables kept
(rows, lists with their label, paragraphs), a handful of known rows, and time.

    .venv/bin/python scripts/compare_converters.py [--out DIR]

Candidates that are not installed are reported as such; the ones not chosen are not project
dependencies, install them aside to measure them, e.g.
    .venv/bin/pip install --target /tmp/candidates 'markitdown[pdf,docx]==0.1.9' readability-lxml==0.9
    COMPARE_EXTRA_PATH=/tmp/candidates .venv/bin/python scripts/compare_converters.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
sys.path += [p for p in os.environ.get("COMPARE_EXTRA_PATH", "").split(os.pathsep) if p]

from amzn_qa.ingest.documents import chunk_markdown  # noqa: E402
from tests.formats import DOCUMENT, build_fixtures  # noqa: E402

# Rows a reader asks about, as the original document's units spell them (prefixes).
KNOWN_ROWS = [
    "Trainium (Training Silicon) — Specification: Price. Details: ~$50-70K per chip (estimate).",
    "Data Center & Power Infrastructure — Metric: Power Capacity (GW). Current: 12-14GW.",
    "Graviton (General-Purpose Compute) — Chip: Graviton 2. Purpose: General-purpose ARM-based.",
    "Rufus AI Shopping Assistant — Metric:",
    "Amazon Bedrock (Inference Engine) — Capability: Pricing Model. Details: Pay-per-token or provisioned throughput.",
]


def _pymupdf4llm(layout: bool):
    def convert(path: Path) -> str:
        import pymupdf4llm

        pymupdf4llm.use_layout(layout)
        return pymupdf4llm.to_markdown(str(path), header=False, footer=False) if layout else pymupdf4llm.to_markdown(str(path))
    return convert


def _amzn_qa(path: Path) -> str:
    from amzn_qa.ingest.convert import to_markdown

    return to_markdown(path).text


def _markitdown(path: Path) -> str:
    from markitdown import MarkItDown

    return MarkItDown(enable_plugins=False).convert(str(path)).text_content


def _pandoc(path: Path) -> str:
    import pypandoc

    return pypandoc.convert_file(str(path), "gfm", extra_args=["--wrap=none"])


def _mammoth_markdownify(path: Path) -> str:
    import mammoth
    from markdownify import markdownify

    with path.open("rb") as docx:
        html = mammoth.convert_to_html(docx).value
    return markdownify(html, heading_style="ATX")


def _markdownify(path: Path) -> str:
    from markdownify import markdownify

    return markdownify(path.read_text(encoding="utf-8"), heading_style="ATX", strip=["title", "style"])


def _readability(path: Path) -> str:
    from markdownify import markdownify
    from readability import Document

    return markdownify(Document(path.read_text(encoding="utf-8")).summary(), heading_style="ATX")


CANDIDATES = {
    ".pdf": {"amzn-qa (pymupdf4llm classic + running text redacted)": _amzn_qa,
             "pymupdf4llm classic": _pymupdf4llm(False), "pymupdf4llm layout": _pymupdf4llm(True),
             "markitdown (pdfminer)": _markitdown},
    ".docx": {"amzn-qa (mammoth + markdownify)": _amzn_qa, "mammoth + markdownify (defaults)": _mammoth_markdownify,
              "markitdown": _markitdown, "pandoc": _pandoc},
    ".html": {"amzn-qa (markdownify)": _amzn_qa, "markdownify (defaults)": _markdownify,
              "markitdown": _markitdown, "readability + markdownify": _readability, "pandoc": _pandoc},
}


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def measure(markdown: str, reference: list) -> dict:
    units = chunk_markdown(markdown, DOCUMENT.name)
    rows = {_norm(u.text) for u in units if u.kind == "row"}
    texts = {_norm(u.text) for u in units}
    ref_rows = [_norm(u.text) for u in reference if u.kind == "row"]
    ref_sections = {u.section for u in reference}
    prose = [u for u in reference if u.kind != "table"]  # a whole table's unit keeps its markup
    return {
        "units": len(units),
        "row units": len(rows),
        "sections kept": f"{len(ref_sections & {u.section for u in units})}/{len(ref_sections)}",
        "rows kept": f"{sum(r in rows for r in ref_rows)}/{len(ref_rows)}",
        "units kept": f"{sum(_norm(u.text) in texts for u in prose)}/{len(prose)}",
        "known rows": f"{sum(any(r.startswith(_norm(k)) for r in rows) for k in KNOWN_ROWS)}/{len(KNOWN_ROWS)}",
    }


def compare(folder: Path) -> list[str]:
    reference = chunk_markdown(DOCUMENT.read_text(encoding="utf-8"), DOCUMENT.name)
    fixtures = build_fixtures(folder)
    header = ["format", "converter", "units", "row units", "sections kept", "rows kept", "units kept", "known rows", "seconds"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.append(f"| .md | (the original) | {' | '.join(str(v) for v in measure(DOCUMENT.read_text(), reference).values())} | |")
    for suffix, candidates in CANDIDATES.items():
        for name, convert in candidates.items():
            started = time.perf_counter()
            try:
                scores = measure(convert(fixtures[suffix]), reference)
            except ImportError as err:
                lines.append(f"| {suffix} | {name} | not installed ({err.name}) |")
                continue
            seconds = time.perf_counter() - started
            lines.append(f"| {suffix} | {name} | {' | '.join(str(v) for v in scores.values())} | {seconds:.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="folder for the fixtures (default: a temporary one)")
    args = parser.parse_args()
    folder = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="amzn-qa-formats-"))
    print("\n".join(compare(folder)))


if __name__ == "__main__":
    main()
