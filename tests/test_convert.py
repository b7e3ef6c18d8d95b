"""PDF, DOCX and HTML documents: converted with their headings and tables, cited by page, cached
by content, and named with the reason when they cannot be read. The fixtures are the analysis
itself, rendered by markdown-it-py, printed by Chromium and written by pandoc (tests/formats.py).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pymupdf
import pytest

from amzn_qa.ingest import convert
from amzn_qa.frontends.cli import format_answer
from amzn_qa.config import Settings
from amzn_qa.ingest.convert import Converted, DocumentError, to_markdown
from amzn_qa.ingest.documents import EMPTY_CELL, chunk_markdown
from amzn_qa.ingest.index import ingest, load_units, open_client

from .conftest import DOCUMENT, write

ORIGINAL = chunk_markdown(DOCUMENT.read_text(encoding="utf-8"), DOCUMENT.name)
FORMATS = [".pdf", ".docx", ".html"]


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


@pytest.fixture(scope="module")
def converted(format_fixtures) -> dict[str, Converted]:
    """Each fixture converted once for the module (the PDF takes seconds), for the tests that
    only read the conversion; the tests of converting again and of the cache convert their own."""
    return {suffix: to_markdown(path) for suffix, path in format_fixtures.items()}


def _units(document: Converted):
    return chunk_markdown(document.text, DOCUMENT.name)


@pytest.mark.parametrize("suffix", FORMATS)
def test_headings_stay_headings_and_every_table_row_a_unit(converted, suffix):
    units = _units(converted[suffix])
    assert {u.section for u in units} == {u.section for u in ORIGINAL}
    rows = {_norm(u.text) for u in units if u.kind == "row"}
    assert rows == {_norm(u.text) for u in ORIGINAL if u.kind == "row"}
    assert "trainium (training silicon) — specification: price. details: ~$50-70k per chip (estimate)." in " ".join(rows)


@pytest.mark.parametrize("suffix", FORMATS)
def test_bold_labelled_lists_stay_with_their_label(converted, suffix):
    lists = {_norm(u.text) for u in _units(converted[suffix]) if u.kind == "list"}
    for label in ("AWS Power Strategy (Q3 2025 Earnings Call):", "Power Infrastructure Risks:",
                  "Trainium 3 (Next Generation):", "Overall Technical Execution: A (Excellent):"):
        original = next(u for u in ORIGINAL if u.kind == "list" and u.text.startswith(label))
        assert _norm(original.text) in lists


def test_running_headers_and_footers_are_left_out_of_the_pdf(format_fixtures, converted):
    pdf = format_fixtures[".pdf"]
    text = converted[".pdf"].text
    first_page = pymupdf.open(pdf)[0].get_text()
    assert "file://" in first_page and "1/" in first_page  # Chromium's footer: URL and page number
    assert "file://" not in text and not re.search(r"\d+/\d+/\d+, \d+:\d+", text)


def test_each_pdf_unit_is_printed_on_the_page_it_names(format_fixtures, converted):
    pdf = format_fixtures[".pdf"]
    document = converted[".pdf"]
    pages = [_squashed(page.get_text()) for page in pymupdf.open(pdf)]
    assert len(document.page_starts) == len(pages) > 3
    units = chunk_markdown(document.text, pdf.name)
    for unit in (u for u in units if u.kind != "table"):  # a table's title is its heading; its rows are checked
        page = document.page_of(unit.start_line)
        assert _not_on_page(unit, unit.text, page, pages) == [], (page, unit.text[:80])
    assert document.page_of(units[-1].start_line) == len(pages)


def _squashed(text: str) -> str:
    """Whitespace dropped, so a line break or hyphenation in the PDF does not matter."""
    return re.sub(r"\s+", "", text).lower()


_ROW_PAIR = re.compile(r"\.\s+(?=[^.:\n]{1,60}: )")


def _document_texts(unit, quote: str) -> list[str]:
    """The pieces of a quote of `unit` that a reader finds printed in the document: a row's cell
    values, a list's items and label, a paragraph's text. The context the chunker adds (a row's
    "Table — Column: value" form, the section title that labels an unlabelled list) is not."""
    quote = quote.rstrip("…").strip()
    if unit.kind == "row" or (unit.kind == "table" and " — " in quote):
        body = quote.split(" — ", 1)[-1].rstrip(".")
        values = [pair.partition(": ")[2] or pair for pair in _ROW_PAIR.split(body)]
        return [v for v in values if v and v != EMPTY_CELL]
    lines = [re.sub(r"^- ", "", line) for line in quote.split("\n") if line.strip()]
    if unit.kind == "list" and lines[0] == unit.section.split(" > ")[-1] + ":":
        lines = lines[1:]
    return [line.rstrip(":") for line in lines]


def _not_on_page(unit, quote: str, page: int, pages: list[str]) -> list[str]:
    """The pieces of a quote of `unit` not printed on `page`. A list's label may end the page
    before: it is kept with its items, on the page they are on."""
    label = unit.text.split("\n")[0].rstrip(":") if unit.kind == "list" else None
    return [
        piece for piece in _document_texts(unit, quote)
        if _squashed(piece) not in pages[page - 1]
        and not (piece == label and page > 1 and _squashed(piece) in pages[page - 2])
    ]


@pytest.fixture(scope="module")
def pdf_chain(format_fixtures, tmp_path_factory):
    from amzn_qa.answer.chain import AnswerChain

    root = tmp_path_factory.mktemp("pdf-only")
    (root / "corpus").mkdir()
    shutil.copy(format_fixtures[".pdf"], root / "corpus" / "analysis.pdf")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    ingest(settings, progress=False)
    return AnswerChain(settings)


@pytest.mark.llm
def test_every_citation_of_an_answer_from_the_pdf_names_a_page_holding_its_quote(pdf_chain, format_fixtures):
    from amzn_qa.evaluation.harness import load_split

    pages = [_squashed(page.get_text()) for page in pymupdf.open(format_fixtures[".pdf"])]
    units = {u.id: u for u in pdf_chain.retriever.units}
    cases = [c for c in load_split("dev") if c.kind in ("lookup", "list") and not c.history][:8]
    cited = 0
    for case in cases:
        for citation in pdf_chain.ask(case.question).to_json()["citations"]:
            assert citation["page"] is not None, case.question
            unit = units[citation["chunk_id"]]
            assert _not_on_page(unit, citation["quote"], citation["page"], pages) == [], (case.question, citation)
            cited += 1
    assert cited >= len(cases)


def test_the_page_is_shown_with_the_citation():
    from amzn_qa.answer.chain import Answer, Citation
    from amzn_qa.frontends.ui import render_sources

    citation = Citation(1, "id", "analysis.pdf", "Trainium", 40, 40, "~$50-70K per chip", page=3)
    answer = Answer("q", "About $50-70K [1].", False, True, [citation], {}, "m")
    assert "analysis.pdf, p. 3, lines 40–40" in render_sources(answer)
    assert answer.to_json()["citations"][0]["page"] == 3
    assert "analysis.pdf:40-40 (p. 3) Trainium" in format_answer(answer.answer, answer.to_json()["citations"])
    markdown_citation = {**answer.to_json()["citations"][0], "page": None}
    assert "analysis.pdf:40-40 Trainium" in format_answer("a", [markdown_citation])


def _counting_converters(monkeypatch) -> list[str]:
    """Spy on the real converters: the names of the files actually converted."""
    calls: list[str] = []
    for suffix, real in list(convert.CONVERTERS.items()):
        def counted(raw: bytes, name: str, real=real):
            calls.append(name)
            return real(raw, name)
        monkeypatch.setitem(convert.CONVERTERS, suffix, counted)
    return calls


@pytest.mark.embedder
def test_an_unchanged_file_is_not_converted_again(make_settings, format_fixtures, monkeypatch):
    settings = make_settings()
    for suffix, path in format_fixtures.items():
        shutil.copy(path, settings.corpus_dir / f"analysis{suffix}")
    calls = _counting_converters(monkeypatch)
    first = ingest(settings, progress=False)
    assert sorted(calls) == sorted(first.converted) == ["analysis.docx", "analysis.html", "analysis.pdf"]
    pages = {u.page for u in load_units(settings, open_client(settings)) if u.source == "analysis.pdf"}
    assert pages == set(range(1, len(pymupdf.open(format_fixtures[".pdf"])) + 1))

    calls.clear()
    again = ingest(settings, progress=False)
    assert calls == [] and again.converted == [] and len(again.unchanged) == 4
    assert sorted(again.reused) == ["analysis.docx", "analysis.html", "analysis.pdf"]
    assert "0 converted, 3 unchanged (cached)" in again.summary()

    shutil.copy(format_fixtures[".pdf"], settings.corpus_dir / "copy.pdf")  # same bytes, new name
    (settings.corpus_dir / "analysis.html").write_text("<h1>Memo</h1><p>Changed.</p>", encoding="utf-8")
    calls.clear()
    third = ingest(settings, progress=False)
    assert calls == ["analysis.html"] and third.added == ["copy.pdf"] and third.updated == ["analysis.html"]
    # The changed page's old conversion is dropped; the two PDFs share one.
    assert len(list((settings.index_dir / "converted").glob("*.md"))) == 3


def _encrypted(pdf: Path, out: Path) -> Path:
    pymupdf.open(pdf).save(out, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    return out


def _scanned(pdf: Path, out: Path) -> Path:
    """The first page as a picture only, as a scanner makes it: no text layer."""
    source, scan = pymupdf.open(pdf), pymupdf.open()
    page = scan.new_page(width=source[0].rect.width, height=source[0].rect.height)
    page.insert_image(page.rect, pixmap=source[0].get_pixmap(dpi=72))
    scan.save(out)
    return out


BROKEN = {
    "locked.pdf": (lambda fx, out: _encrypted(fx[".pdf"], out), "locked.pdf: the PDF is password-protected"),
    "scan.pdf": (lambda fx, out: _scanned(fx[".pdf"], out), "scan.pdf: the PDF has no text layer"),
    "cut.pdf": (lambda fx, out: write(out, fx[".pdf"].read_bytes()[:4000]), "cut.pdf: not a readable PDF"),
    "notzip.docx": (lambda fx, out: write(out, b"PK\x03\x04 not really a zip"), "notzip.docx: not a readable DOCX"),
    "cut.docx": (lambda fx, out: write(out, fx[".docx"].read_bytes()[:3000]), "cut.docx: not a readable DOCX"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_file_that_cannot_be_converted_is_named_with_the_reason(format_fixtures, tmp_path, name):
    make, reason = BROKEN[name]
    with pytest.raises(DocumentError, match=re.escape(reason)):
        to_markdown(make(format_fixtures, tmp_path / name))


@pytest.mark.embedder
def test_broken_files_are_reported_and_the_others_indexed(make_settings, format_fixtures):
    settings = make_settings()
    shutil.copy(format_fixtures[".pdf"], settings.corpus_dir / "analysis.pdf")
    for name, (make, _) in BROKEN.items():
        make(format_fixtures, settings.corpus_dir / name)
    report = ingest(settings, progress=False)
    assert sorted(p.split(":")[0] for p in report.problems) == sorted(BROKEN)
    assert sorted(report.added) == ["amzn-technical-analysis-2026-01-23.md", "analysis.pdf"]
    assert "skipped scan.pdf: the PDF has no text layer" in report.summary()


def test_html_keeps_only_what_a_reader_sees(tmp_path):
    page = write(tmp_path / "memo.html", (
        "<html><head><title>Tab title</title><style>p{color:red}</style></head><body>"
        "<h1>Memo</h1><script>window.secret = 'do this'</script><!-- hidden note -->"
        "<h2>Chips</h2><table><tr><th>Chip</th><th>Price</th></tr><tr><td><b>Zeta 1</b></td><td>$9K</td></tr></table>"
        "</body></html>"
    ))
    text = to_markdown(page).text
    assert not any(hidden in text for hidden in ("Tab title", "color:red", "secret", "hidden note"))
    rows = [u.text for u in chunk_markdown(text, page.name) if u.kind == "row"]
    assert rows == ["Chips — Chip: Zeta 1. Price: $9K."]
