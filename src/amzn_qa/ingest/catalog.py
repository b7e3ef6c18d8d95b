"""What each document is: its title, company ticker and date, for citations, filters and the chat.

Read from the document itself (front matter, else its first heading, a date in its file name or
a "Date:" field near the top) and overridable per file in the corpus's `documents.toml`:

    examples = ["A question the chat offers", ...]   # optional

    ["report-2026-01-23.md"]
    title = "..."
    ticker = "AMZN"
    date = "2026-01-23"
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from amzn_qa.ingest.convert import DocumentError
from amzn_qa.ingest.documents import Unit, cells, front_matter, plain, table_title, without_front_matter

CATALOG_FILE = "documents.toml"
METADATA_KEYS = ("title", "ticker", "date")
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DATE_FIELD = re.compile(r"^[\W_]*[\w ]*\bdate\b[\W_]*:[*_\s]*(.+?)[*_\s]*$", re.IGNORECASE | re.MULTILINE)
_DATE_FORMATS = ("%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d")
_FIRST_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_TICKER_IN_TITLE = re.compile(r"\((?:[A-Z]+:\s*)?([A-Z]{1,5}(?:\.[A-Z])?)\)")
HEADER_LINE_CHARS = 200  # a date field is short; a long line is not scanned whole
HEADER_LINES = 15  # a document's date field is looked for this near the top


@dataclass(frozen=True)
class DocumentInfo:
    name: str  # the file name, as units cite it
    title: str
    ticker: str = ""
    date: str = ""  # ISO yyyy-mm-dd, or "" when the document does not say

    @property
    def label(self) -> str:
        """How an answer names the document: its title and date."""
        return f"{self.title} ({self.date})" if self.date else self.title


def iso_date(text: str) -> str:
    """A written date ("January 23, 2026", "2026-01-23") as yyyy-mm-dd, or "" when it is not one."""
    cleaned = plain(text).strip(" .*_")
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).date().isoformat()
        except ValueError:
            continue
    return ""


def _date_in_document(name: str, text: str) -> str:
    in_name = _DATE_IN_NAME.search(name)
    if in_name and iso_date(in_name.group()):
        return in_name.group()
    header = "\n".join(line[:HEADER_LINE_CHARS] for line in text.split("\n")[:HEADER_LINES])
    return next(filter(None, (iso_date(m.group(1)) for m in _DATE_FIELD.finditer(header))), "")


def document_info(name: str, text: str, overrides: dict | None = None) -> DocumentInfo:
    """The document's metadata: documents.toml wins over front matter, which wins over what
    the text and the file name show."""
    fields = {**front_matter(text), **{k: str(v) for k, v in (overrides or {}).items() if k in METADATA_KEYS}}
    heading = _FIRST_HEADING.search(without_front_matter(text))  # a YAML "# comment" is no heading
    title = fields.get("title") or (plain(heading.group(1)) if heading else Path(name).stem)
    ticker_match = _TICKER_IN_TITLE.search(title)
    ticker = fields.get("ticker") or (ticker_match.group(1) if ticker_match else "")
    written = fields.get("date", "")
    date = iso_date(written) if written else _date_in_document(name, text)
    return DocumentInfo(name, title, ticker.upper(), date)


def with_info(units: Iterable[Unit], info: DocumentInfo) -> list[Unit]:
    return [replace(u, document_title=info.title, document_date=info.date, ticker=info.ticker) for u in units]


def info_of(unit: Unit) -> DocumentInfo:
    return DocumentInfo(unit.source, unit.document_title or unit.source, unit.ticker, unit.document_date)


def read_catalog(corpus_dir: Path) -> dict:
    """The corpus's documents.toml as a dict ({} when there is none)."""
    path = corpus_dir / CATALOG_FILE
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise DocumentError(f"{CATALOG_FILE}: not valid TOML ({err}); its overrides are ignored") from err


def overrides_for(catalog: dict, name: str) -> dict:
    entry = catalog.get(name, {})
    return entry if isinstance(entry, dict) else {}


def documents_of(units: Iterable[Unit]) -> list[tuple[DocumentInfo, int]]:
    """Each indexed document's metadata and its number of units, newest first, then by name."""
    counts: dict[str, int] = {}
    infos: dict[str, DocumentInfo] = {}
    for unit in units:
        counts[unit.source] = counts.get(unit.source, 0) + 1
        infos.setdefault(unit.source, info_of(unit))
    ordered = sorted(sorted(infos), key=lambda name: infos[name].date, reverse=True)
    return [(infos[name], counts[name]) for name in ordered]


class UnknownDocument(ValueError):
    """A question limited to a document or ticker the index does not have; the message lists
    what it has."""


def selected_documents(
    units: Iterable[Unit], documents: Iterable[str] | None, ticker: str | None
) -> frozenset[str] | None:
    """The file names a question is limited to (None: all of them): the documents named, those
    of a ticker, or those of both."""
    if not documents and not ticker:
        return None
    known = [info for info, _ in documents_of(units)]
    names = {info.name for info in known}
    unknown = sorted(set(documents or ()) - names)
    if unknown:
        raise UnknownDocument(f"No such document: {', '.join(unknown)}. The documents are: {', '.join(sorted(names))}.")
    chosen = set(documents or names)
    if ticker:
        chosen &= {info.name for info in known if info.ticker == ticker.upper()}
    if not chosen:
        tickers = sorted({info.ticker for info in known if info.ticker})
        raise UnknownDocument(f"No document matches ticker {ticker}. The tickers are: {', '.join(tickers) or 'none'}.")
    return frozenset(chosen)


def corpus_title(documents: list[DocumentInfo]) -> str:
    """A heading for the whole corpus, from its documents' metadata."""
    if not documents:
        return "No documents indexed yet"
    if len(documents) == 1:
        return documents[0].label
    tickers = sorted({d.ticker for d in documents if d.ticker})
    dates = sorted(d.date for d in documents if d.date)
    span = f", {dates[0]} to {dates[-1]}" if len(dates) > 1 else ""
    return f"{' · '.join(tickers) or 'Documents'}: {len(documents)} reports{span}"


def example_questions(catalog: dict, units: list[Unit], limit: int = 5) -> list[str]:
    """The catalog's `examples`, else questions about table rows of different sections (a row
    names its subject and columns, whatever the report)."""
    given = catalog.get("examples")
    if isinstance(given, list) and all(isinstance(q, str) for q in given) and given:
        return given[:limit]
    questions, seen = [], set()
    for unit in units:
        if unit.kind != "row" or (unit.source, unit.section) in seen:
            continue
        subject, column = _subject_and_column(unit)
        if subject and column:
            seen.add((unit.source, unit.section))
            questions.append(f"In {table_title(unit)}, what is the {column} for {subject}?")
    return questions[:limit]


def _subject_and_column(unit: Unit) -> tuple[str, str]:
    pairs = cells(unit)
    if len(pairs) < 2 or not pairs[1][0]:
        return "", ""
    return pairs[0][1], pairs[1][0]
