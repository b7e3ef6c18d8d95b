"""Turn a document file (markdown, text, PDF, DOCX, HTML) into the markdown the chunker reads.

`to_markdown(path)` is the one way in: markdown and text are decoded, other formats converted
by the libraries chosen by measurement (scripts/compare_converters.py, README "Other formats"):
PyMuPDF's pymupdf4llm for PDF (headings from font sizes, ruled tables as pipe tables), mammoth
plus markdownify for DOCX, markdownify for HTML. A PDF also yields the line at which each page
starts, so a unit can cite its page. Conversions are cached by the file's content hash, so an
unchanged file is converted once.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from amzn_qa.ingest.hidden import Hidden
from amzn_qa.ingest.hidden.docx import without_hidden_text
from amzn_qa.ingest.hidden.html import drop_hidden_elements
from amzn_qa.ingest.hidden.pdf import drop_invisible_text


class DocumentError(ValueError):
    """A document that cannot be indexed; the message names the file."""


TEXT_SUFFIXES = (".md", ".markdown", ".txt")
CONVERTED_SUFFIXES = (".pdf", ".docx", ".html", ".htm")
DOCUMENT_SUFFIXES = TEXT_SUFFIXES + CONVERTED_SUFFIXES
# Bump when a converter's output changes, so that cached conversions are redone.
CONVERTER_VERSION = "3"
# A running header or footer: a text block in this top or bottom share of the page that comes
# back on at least half of the pages (digits ignored, so page numbers and dates match).
RUNNING_BAND = 0.08


@dataclass(frozen=True)
class Converted:
    """A document as markdown; `page_starts[i]` is the line on which page i + 1 begins; `hidden`
    is the text a reader of the file cannot see, left out."""

    text: str
    page_starts: tuple[int, ...] = ()
    hidden: tuple[Hidden, ...] = ()
    converted: bool = False  # a converter ran for this call (not a plain read, not the cache)
    key: str = ""  # the cache key (content hash) of a converted format

    def page_of(self, line: int) -> int | None:
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, line))


def to_markdown(path: Path, cache_dir: Path | None = None) -> Converted:
    """The document at `path` as markdown; a DocumentError names the file and the reason."""
    raw = _read_bytes(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return Converted(_decoded(raw, path.name))
    if suffix not in CONVERTERS:
        raise DocumentError(f"{path.name}: unsupported format; use one of {', '.join(DOCUMENT_SUFFIXES)}")
    key = hashlib.sha256(f"{CONVERTER_VERSION}\n{suffix}\n".encode() + raw).hexdigest()
    cached = _cached(cache_dir, key)
    if cached is not None:
        return replace(cached, key=key)
    result = _converted(CONVERTERS[suffix], raw, path.name)
    if not result.text.strip():
        raise DocumentError(f"{path.name}: no text found in the document")
    _store(cache_dir, key, result)
    return replace(result, converted=True, key=key)


def _converted(converter: Callable[[bytes, str], Converted], raw: bytes, name: str) -> Converted:
    try:
        return converter(raw, name)
    except DocumentError:
        raise
    except Exception as err:  # the converters raise many unrelated types on malformed files
        raise DocumentError(f"{name}: cannot be converted ({type(err).__name__}: {err})") from err


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise DocumentError(f"{path.name}: cannot be read ({err.strerror})") from err


def _decoded(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DocumentError(
            f"{name}: not UTF-8 text (byte {err.start}); save it as UTF-8 and ingest again"
        ) from err
    if not text.strip():
        raise DocumentError(f"{name}: the document is empty")
    return text


def _cached(cache_dir: Path | None, key: str) -> Converted | None:
    if cache_dir is None:
        return None
    try:
        text = (cache_dir / f"{key}.md").read_text(encoding="utf-8")
        meta = json.loads((cache_dir / f"{key}.pages.json").read_text(encoding="utf-8"))
        return Converted(text, tuple(meta["pages"]), tuple(Hidden(**h) for h in meta["hidden"]))
    except (OSError, ValueError, KeyError, TypeError):  # absent or half-written: convert again
        return None


def _store(cache_dir: Path | None, key: str, result: Converted) -> None:
    if cache_dir is None:
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    # The page map is written last: a crash in between leaves an entry _cached ignores.
    (cache_dir / f"{key}.md").write_text(result.text, encoding="utf-8")
    meta = {"pages": list(result.page_starts), "hidden": [asdict(h) for h in result.hidden]}
    (cache_dir / f"{key}.pages.json").write_text(json.dumps(meta), encoding="utf-8")


def prune_cache(cache_dir: Path, keep: set[str]) -> None:
    """Drop the conversions of files that have since changed or left the corpus."""
    for entry in cache_dir.glob("*.md") if cache_dir.is_dir() else []:
        if entry.stem not in keep:
            entry.unlink(missing_ok=True)
            entry.with_suffix(".pages.json").unlink(missing_ok=True)


# --- PDF ----------------------------------------------------------------------------------

# A line broken after a hyphen or a dash: the words are one ("run-rate", "advanced—Rufus").
_BREAK_AFTER_HYPHEN = re.compile(r"(?<=\w-)(?:<br>|\n)(?=[a-z0-9])|(?<=\w—)(?:<br>|\n)(?=\w)")
_CELL_BREAK = re.compile(r"<br>")
_BLANK_RUN = re.compile(r"\n{3,}")
_EMPHASIS = re.compile(r"[*_`]")
# A bold line on its own ("**Risks:**"), a blank line, then a list: one labelled list, as in the
# markdown the document was written in.
_LABEL = r"\*\*[^*\n]+\*\*[ \t]*"
_LABEL_BEFORE_LIST = re.compile(rf"^({_LABEL})\n\n(?=[-*+] )", re.MULTILINE)
# pymupdf4llm writes italics as _text_, closed at every line end; the chunker drops emphasis, but
# knows only the asterisk form, which a line break does not split here.
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^\n_]+?)(?<=\S)_(?![\w_])")
BULLET_SIZE = 8  # points: the largest drawn shape taken for a list bullet


def pdf_to_markdown(raw: bytes, name: str) -> Converted:
    """Markdown of every page of a PDF, running headers and footers left out."""
    import pymupdf4llm

    # The classic mode (a process-wide switch of pymupdf4llm): the layout model merged words
    # ("usingGraviton") and bullet items on the fixtures (scripts/compare_converters.py).
    pymupdf4llm.use_layout(False)
    with _open_pdf(raw, name) as document:
        _drop_running_text(document)
        hidden = drop_invisible_text(document)
        pages = pymupdf4llm.to_markdown(document, page_chunks=True, show_progress=False)
        joined = _joined_pages([
            _cleaned(_with_bullets(chunk["text"], _bulleted_lines(page))) for chunk, page in zip(pages, document)
        ])
        return replace(joined, hidden=tuple(hidden))


def _open_pdf(raw: bytes, name: str):
    import pymupdf

    try:
        document = pymupdf.open(stream=raw, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError, ValueError) as err:
        raise DocumentError(f"{name}: not a readable PDF ({err})") from err
    if document.needs_pass:
        raise DocumentError(f"{name}: the PDF is password-protected; save an unprotected copy and ingest again")
    if document.page_count == 0:
        raise DocumentError(f"{name}: not a readable PDF (no pages; the file may be truncated)")
    if not any(page.get_text().strip() for page in document):
        raise DocumentError(f"{name}: the PDF has no text layer (a scanned image?); run OCR on it and ingest again")
    return document


def _drop_running_text(document) -> None:
    """Redact running headers and footers (page numbers, dates, file names) from every page, so
    that neither the text nor a table below them picks them up."""
    blocks = [(page, rect, _running_key(page, rect, text))
              for page in document for *rect, text, _, kind in page.get_text("blocks") if kind == 0]
    counts = Counter(key for _, _, key in blocks if key)
    for page, rect, key in blocks:
        if key and counts[key] >= max(2, document.page_count / 2):
            page.add_redact_annot(rect, fill=False)
    for page in document:
        # Text only: the table rules and images stay, so tables are still found.
        page.apply_redactions(images=0, graphics=0, text=0)


def _running_key(page, rect: list[float], text: str) -> tuple[str, str] | None:
    """(band, text with digits masked) of a block in the top or bottom band of its page."""
    height = page.rect.height
    band = "top" if rect[3] < height * RUNNING_BAND else "bottom" if rect[1] > height * (1 - RUNNING_BAND) else ""
    if not band or not text.strip():
        return None
    return band, re.sub(r"\d+", "#", " ".join(text.split()))


def _bulleted_lines(page) -> list[str]:
    """The text of every line that starts right after a drawn list bullet (a small round shape:
    browsers and word processors often draw bullets instead of writing a character)."""
    dots = [d["rect"] for d in page.get_drawings()
            if d["rect"].width < BULLET_SIZE and d["rect"].height < BULLET_SIZE
            and d["items"] and all(item[0] == "c" for item in d["items"])]
    starts = []
    for block in page.get_text("dict")["blocks"] if dots else []:
        for line in block.get("lines", []):
            x0, y0, _, y1 = line["bbox"]
            if any(0 < x0 - dot.x1 < 3 * BULLET_SIZE and y0 <= (dot.y0 + dot.y1) / 2 <= y1 for dot in dots):
                starts.append(_comparable("".join(span["text"] for span in line["spans"])))
    return starts


def _comparable(text: str) -> str:
    return " ".join(_EMPHASIS.sub("", text).split())[:40]


def _with_bullets(markdown: str, bulleted: list[str]) -> str:
    """Markdown list items for the lines that follow a drawn bullet; an item's wrapped lines are
    joined to it, as its reader sees one item."""
    remaining = Counter(bulleted)
    lines: list[str] = []
    in_item = False
    for line in markdown.split("\n"):
        key = _comparable(line)
        if key and remaining[key] > 0:
            remaining[key] -= 1
            lines.append(f"- {line.strip()}")
            in_item = True
        elif in_item and line.strip() and not line.lstrip().startswith(("|", "#")):
            lines[-1] += f" {line.strip()}"
        else:
            lines.append(line)
            in_item = False
    return "\n".join(lines)


def _cleaned(markdown: str) -> str:
    """Words broken over lines or cell lines joined, italics marks dropped, labels kept with
    their lists."""
    markdown = _BREAK_AFTER_HYPHEN.sub("", markdown)
    markdown = _ITALIC.sub(r"\1", _CELL_BREAK.sub(" ", markdown))
    return labelled_lists(_BLANK_RUN.sub("\n\n", markdown).strip())


def labelled_lists(markdown: str) -> str:
    return _LABEL_BEFORE_LIST.sub(r"\1\n", markdown)


def _joined_pages(pages: list[str]) -> Converted:
    """One document, a blank line between pages, so that no unit runs over a page break and
    every unit is printed on the page it cites; but a list's label that ends a page goes with
    the items that start the next (a list without its label loses its subject: "Trainium 3")."""
    starts, lines = [], []
    for text in pages:
        if len(lines) > 1 and re.fullmatch(_LABEL, lines[-2]) and text.startswith("- "):
            text = f"{lines[-2]}\n{text}"
            del lines[-2:]
        starts.append(len(lines) + 1)
        lines += text.split("\n") + [""]
    return Converted("\n".join(lines).rstrip() + "\n", tuple(starts))


# --- DOCX and HTML ------------------------------------------------------------------------

def _markdown_of_html(html: str) -> Converted:
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(html, "html.parser")
    hidden = drop_hidden_elements(soup)  # reads the <style> rules, so before they are dropped
    for element in soup(["script", "style", "noscript", "template", "iframe", "head"]):
        element.decompose()
    body = soup.body or soup
    # No backslash escapes: the chunker reads the text as it is, "snake_case" not "snake\\_case".
    converter = MarkdownConverter(heading_style="ATX", bullets="-", table_infer_header=True,
                                  escape_asterisks=False, escape_underscores=False, escape_misc=False)
    text = labelled_lists(_BLANK_RUN.sub("\n\n", converter.convert_soup(body)).strip()) + "\n"
    return Converted(text, hidden=tuple(hidden))


def html_to_markdown(raw: bytes, name: str) -> Converted:
    from bs4 import UnicodeDammit

    html = UnicodeDammit(raw, ["utf-8"]).unicode_markup
    if html is None:
        raise DocumentError(f"{name}: not readable HTML (unknown text encoding)")
    return _markdown_of_html(html)


def docx_to_markdown(raw: bytes, name: str) -> Converted:
    import mammoth

    try:
        visible, hidden = without_hidden_text(raw)
        html = mammoth.convert_to_html(io.BytesIO(visible)).value
    except zipfile.BadZipFile as err:
        raise DocumentError(f"{name}: not a readable DOCX (not a zip archive; the file may be damaged)") from err
    converted = _markdown_of_html(html)
    return replace(converted, hidden=tuple(hidden) + converted.hidden)


CONVERTERS: dict[str, Callable[[bytes, str], Converted]] = {
    ".pdf": pdf_to_markdown, ".docx": docx_to_markdown, ".html": html_to_markdown, ".htm": html_to_markdown,
}
