"""The analysis in the formats people send: HTML (markdown-it-py), PDF (Chromium prints the HTML,
with its running header and footer) and DOCX (pandoc, from pypandoc-binary). Made from the real
corpus document, never hand-written; used by the tests, scripts/compare_converters.py and
scripts/bench_ingest.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from amzn_qa.config import PROJECT_ROOT

DOCUMENT = PROJECT_ROOT / "corpus" / "amzn-technical-analysis-2026-01-23.md"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGE_STYLE = "table{border-collapse:collapse}th,td{border:1px solid #888;padding:2px 4px;vertical-align:top}"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def write_html(markdown: Path, out: Path) -> Path:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(markdown.read_text(encoding="utf-8"))
    out.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{markdown.stem}</title>"
        f"<style>{PAGE_STYLE}</style></head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return out


def write_pdf(html: Path, out: Path) -> Path:
    """Chromium's print of the page, its default header (date, title) and footer (URL, page
    numbers) included: a converter has to leave those out."""
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--print-to-pdf={out}", html.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    return out


def write_docx(markdown: Path, out: Path) -> Path:
    import pypandoc

    pypandoc.convert_file(str(markdown), "docx", format="gfm", outputfile=str(out))
    return out


def build_fixtures(folder: Path, markdown: Path = DOCUMENT) -> dict[str, Path]:
    """The document as .html, .pdf and .docx in `folder`, made once (kept when already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / markdown.stem
    html = stem.with_suffix(".html")
    if not html.exists():
        write_html(markdown, html)
    pdf, docx = stem.with_suffix(".pdf"), stem.with_suffix(".docx")
    if not pdf.exists():
        write_pdf(html, pdf)
    if not docx.exists():
        write_docx(markdown, docx)
    return {".html": html, ".pdf": pdf, ".docx": docx}
