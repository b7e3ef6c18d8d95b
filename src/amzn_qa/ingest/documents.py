"""Load markdown documents and cut them into self-contained retrievable units.

A small model cannot read a pipe table, so every table row becomes a sentence-like unit that
names the table's subject and each column; the whole table stays a unit too. Bold-label bullet
lists stay together with their label, long paragraphs are cut at sentence ends, and every unit
carries its heading path and line range so an answer can cite exactly where it came from.

Only what a reader of the rendered document sees is indexed: HTML comments, script and style
blocks, zero-width and bidi control characters are dropped (their lines left blank, so every
other line keeps its number). A visible passage that speaks to an AI assistant ("SYSTEM: ...",
"ignore previous instructions") is reported and its units flagged, so that the answer chain
treats it as text to quote, never as instructions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from amzn_qa.ingest.convert import DOCUMENT_SUFFIXES

# Bump when the units a document yields change shape, so that ingest redoes unchanged files.
CHUNKER_VERSION = "3"
MAX_PARAGRAPH_WORDS = 60
EMPTY_CELL = "none given"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_FIELD_LINE = re.compile(r"^\*\*[^*]+:\*\*\s*\S")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])")

# Markup a renderer does not display. An unclosed comment or block hides the rest of the page
# in a browser, so it hides the rest of the document here too.
_HIDDEN_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style)\b[^>]*>.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL
)
# Zero-width characters and the Unicode Bidi_Control set: invisible, yet they can hide words
# from a reader (reordered text) or from the checks below ("S\u200bYSTEM:").
_INVISIBLE_CHARACTERS = re.compile("[\u200b-\u200f\u2060\ufeff\u061c\u202a-\u202e\u2066-\u2069]")
# Passages that speak to an AI assistant rather than to a reader of the report. The list is
# short and specific on purpose: a false alarm keeps an honest passage out of the prompt.
ASSISTANT_ADDRESS_PATTERNS = {
    "a role label": r"^[ \t>#|+-]*\[?(?:system|assistant)\]?[ \t]*:|\b(?-i:SYSTEM|ASSISTANT)[ \t]*:",
    "ignore previous instructions": (
        r"\b(?:ignore|disregard|forget|override)\s+(?:(?:all|any|the|your|of|my)\s+)*"
        r"(?:(?:previous|prior|above|earlier|preceding|system)\s+)?"
        r"(?:instructions?|prompts?|rules|directions|guidelines|above)\b"
    ),
    "you are now": r"\byou are now\b|\bfrom now on,?\s+(?:you|answer|reply|respond|say)\b",
    "new instructions": r"\bnew (?:instructions?|rules|prompt)\s*:",
    "tell the user": r"\b(?:tell|inform|remind) the user\b",
    "a chat-template tag": r"<\|[a-z_]+\|>|\[/?INST\]|<</?SYS>>|</?(?:system|assistant|instructions?)>",
}
_ADDRESSES_ASSISTANT = re.compile(
    "|".join(f"(?P<p{n}>{p})" for n, p in enumerate(ASSISTANT_ADDRESS_PATTERNS.values())),
    re.IGNORECASE | re.MULTILINE,
)
_EMPHASIS = re.compile(r"[*_`~]")


def visible_text(text: str) -> str:
    """The document as its reader sees it rendered: hidden markup and invisible characters
    dropped, a removed span's line breaks kept so that every other line keeps its number."""
    text = _HIDDEN_MARKUP.sub(lambda hidden: "\n" * hidden.group().count("\n"), text)
    return _INVISIBLE_CHARACTERS.sub("", text)


@dataclass(frozen=True)
class AssistantAddress:
    """A visible passage that speaks to an AI assistant: text to quote at most, never to follow."""

    source: str
    line: int
    passage: str
    pattern: str  # which of ASSISTANT_ADDRESS_PATTERNS it matched

    def __str__(self) -> str:
        return (
            f"{self.source}:{self.line}: addresses an AI assistant ({self.pattern}); kept out of "
            f"answers as instructions: “{self.passage}”"
        )


def assistant_addresses(text: str, source: str) -> list[AssistantAddress]:
    """Every line of the visible document where a passage addressing an assistant starts."""
    lines = visible_text(text).split("\n")
    # Emphasis markers are dropped so "**SYSTEM:**" and "ignore *all* instructions" still match;
    # the text is scanned whole so a phrase broken over two lines is found too.
    scanned = _EMPHASIS.sub("", "\n".join(line.rstrip("\r") for line in lines))
    labels = list(ASSISTANT_ADDRESS_PATTERNS)
    found: dict[int, str] = {}
    for match in _ADDRESSES_ASSISTANT.finditer(scanned):
        line = scanned.count("\n", 0, match.start()) + 1
        found.setdefault(line, labels[int(match.lastgroup[1:])])
    return [AssistantAddress(source, n, _shortened(lines[n - 1].strip()), found[n]) for n in sorted(found)]


def _shortened(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# A year or a quarter, as a question or a table's column names a period.
PERIOD = re.compile(r"\b(?:20\d\d|Q[1-4])\b")


@dataclass(frozen=True)
class Unit:
    id: str
    source: str
    section: str
    kind: str  # paragraph | list | fields | row | table
    text: str
    start_line: int
    end_line: int
    title: str = ""  # the document's H1: its subject, implied by every unit in it
    addresses_assistant: bool = False  # holds a passage speaking to an AI assistant: quote only
    document_title: str = ""  # the document's metadata (DocumentInfo), the same on all its units
    document_date: str = ""
    ticker: str = ""
    page: int | None = None  # PDF page of the unit's first line; None for documents without pages

    @property
    def search_text(self) -> str:
        """What the retrievers see: the heading path gives a row or bullet its context."""
        return f"{self.section}\n{self.text}"

    @property
    def evidence_text(self) -> str:
        """What a claim citing this unit may rest on: its text, heading path and document title."""
        return f"{self.title}\n{self.search_text}"

    def metadata(self) -> dict:
        meta = asdict(self)
        del meta["id"]
        if meta["page"] is None:  # Chroma stores no None
            del meta["page"]
        return meta


def plain(text: str) -> str:
    """Markdown inline markup removed: bold, italics, code ticks, link targets."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|`)", "", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)([^*]+?)\*(?!\w)", r"\1", text)
    return text.strip()


# A row reads "Title — Column: value. Column: value."; a new pair starts after ". " with a short
# "Name: " that holds no period.
_ROW_PAIR = re.compile(r"\.\s+(?=[^.:\n]{1,60}: )")


@dataclass(frozen=True)
class Statements:
    """A unit cut into its smallest self-contained statements, to show a model only what matters.

    `lead` is what every statement needs to be understood (a row's table and subject, a list's
    label); `joiner` puts chosen statements back together as the unit wrote them.
    """

    lead: str
    items: list[str]
    joiner: str

    def view(self, chosen: list[int]) -> str:
        picked = [self.items[i] for i in sorted(chosen)]
        return self.joiner.join(([self.lead] if self.lead else []) + picked)


def statements(unit: Unit) -> Statements:
    """One statement per table cell (after the row's subject), bullet, field line or sentence."""
    if unit.kind == "row":
        head, pairs = _row_pairs(unit.text)
        if len(pairs) > 1:
            return Statements(f"{head} — {pairs[0]}.", [f"{p}." for p in pairs[1:]], " ")
    elif unit.kind == "list":
        label, *items = unit.text.split("\n")
        if items:
            return Statements(label, items, "\n")
    elif unit.kind == "fields":
        return Statements("", unit.text.split("\n"), "\n")
    elif unit.kind == "table":
        rows = chunk_markdown(unit.text.split("\n", 1)[-1], unit.source)
        title = unit.text.split("\n", 1)[0]
        rows = [u.text.replace(u.source, title, 1) for u in rows if u.kind == "row"]
        if rows:
            return Statements("", rows, "\n")
    elif unit.kind == "paragraph":
        return Statements("", _SENTENCE_END.split(unit.text), " ")
    return Statements("", [unit.text], " ")


def cells(unit: Unit) -> list[tuple[str, str]]:
    """(column, value) of every table cell in a row or table unit; nothing for other kinds."""
    if unit.kind == "row":
        rows = [unit.text]
    elif unit.kind == "table":
        rows = statements(unit).items
    else:
        return []
    pairs = [pair.partition(": ") for row in rows for pair in _row_pairs(row)[1]]
    return [(column, value) for column, _, value in pairs]


def row_label(unit: Unit) -> str:
    """A table row's label, the value of its first cell ("Custom Silicon"); "" for other units."""
    pairs = cells(unit) if unit.kind == "row" else []
    return pairs[0][1] if pairs else ""


def table_title(row: Unit) -> str:
    """The title of the table a row unit belongs to ("Trainium (Training Silicon)")."""
    return row.text.partition(" — ")[0]


def holds_row(table: Unit, row: Unit) -> bool:
    """The table unit is the one the row unit comes from."""
    return (table.kind == "table" and row.kind == "row" and table.source == row.source
            and table.start_line <= row.start_line <= table.end_line)


def table_rows(row: Unit, units: list[Unit]) -> list[Unit]:
    """Every row of the table `row` belongs to, in the document's order; [] when `row` is not a
    row or its table is not among `units`."""
    table = next((t for t in units if holds_row(t, row)), None)
    if table is None:
        return []
    return sorted((u for u in units if holds_row(table, u)), key=lambda u: u.start_line)


def _row_pairs(row: str) -> tuple[str, list[str]]:
    """A linearised row's table title and its "Column: value" pairs."""
    head, _, body = row.partition(" — ")
    return head, _ROW_PAIR.split(body.rstrip("."))


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        return []
    return sorted(
        p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
    )


# A YAML-style front matter block: "---" on the first line, "key: value" lines, "---".
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FRONT_MATTER_LINE = re.compile(r"^\s*(#.*|[\w -]+:.*)?$")


def _front_matter_block(text: str) -> re.Match | None:
    """The leading "---" block when every line of it is a "key: value" field (or a comment):
    a document that merely opens with a horizontal rule keeps its text."""
    block = _FRONT_MATTER.match(text)
    if block and all(_FRONT_MATTER_LINE.match(line) for line in block.group(1).split("\n")):
        return block
    return None


def front_matter(text: str) -> dict[str, str]:
    """The document's front matter fields, keys lower-case, quotes removed; {} without one."""
    block = _front_matter_block(text)
    if not block:
        return {}
    pairs = (line.partition(":") for line in block.group(1).split("\n"))
    return {key.strip().lower(): value.strip().strip("'\"") for key, sep, value in pairs if sep and key.strip()}


def without_front_matter(text: str) -> str:
    """The front matter is metadata, not text to answer from: its lines are left blank."""
    block = _front_matter_block(text)
    return "\n" * block.group().count("\n") + text[block.end():] if block else text


def chunk_markdown(text: str, source: str) -> list[Unit]:
    """Cut one markdown document into units; pure function of (text, source)."""
    text = visible_text(without_front_matter(text))
    builder = _UnitBuilder(source, {a.line for a in assistant_addresses(text, source)})
    headings: list[tuple[int, str]] = []
    block: list[tuple[int, str]] = []

    def flush() -> None:
        if block:
            builder.add_block(headings, block)
            block.clear()

    # Only "\n" ends a line, as in an editor: str.splitlines would also break at form feeds and
    # other separators and shift every line number after them.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            headings[:] = [h for h in headings if h[0] < level]
            headings.append((level, plain(heading.group(2)).rstrip(":").strip()))
        elif not line.strip() or _RULE.match(line):
            flush()
        elif block and _is_table_line(line) != _is_table_line(block[-1][1]):
            flush()
            block.append((number, line))
        else:
            block.append((number, line))
    flush()
    return builder.units


def _is_table_line(line: str) -> bool:
    return line.lstrip().startswith("|")


def _split_cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [plain(cell) for cell in re.split(r"(?<!\\)\|", line)]


class _UnitBuilder:
    def __init__(self, source: str, assistant_lines: set[int]) -> None:
        self.source = source
        self.assistant_lines = assistant_lines
        self.title = ""
        self.units: list[Unit] = []
        self._seen: dict[str, int] = {}

    def add(self, section: str, kind: str, text: str, start: int, end: int) -> None:
        text = text.strip()
        if not text:
            return
        key = f"{self.source}\x00{section}\x00{kind}\x00{text}"
        occurrence = self._seen.get(key, 0)
        self._seen[key] = occurrence + 1
        digest = hashlib.sha1(f"{key}\x00{occurrence}".encode()).hexdigest()[:16]
        flagged = any(start <= line <= end for line in self.assistant_lines)
        self.units.append(Unit(digest, self.source, section, kind, text, start, end, self.title, flagged))

    def add_block(self, headings: list[tuple[int, str]], block: list[tuple[int, str]]) -> None:
        # The H1 is the document's title; sections are named below it, unless there is no H2.
        self.title = self.title or next((t for level, t in headings if level == 1), "")
        path = [title for level, title in headings if level > 1] or [t for _, t in headings]
        section = " > ".join(path) or self.source
        title = path[-1] if path else self.source
        start, end = block[0][0], block[-1][0]
        lines = [line for _, line in block]

        if _is_table_line(lines[0]):
            self._add_table(section, title, block)
        elif all(_FIELD_LINE.match(line) for line in lines):
            self.add(section, "fields", "\n".join(plain(line) for line in lines), start, end)
        elif any(_BULLET.match(line) for line in lines[1:]) or _BULLET.match(lines[0]):
            self._add_list(section, title, lines, start, end)
        else:
            self._add_paragraph(section, " ".join(plain(line) for line in lines), start, end)

    def _add_list(self, section: str, title: str, lines: list[str], start: int, end: int) -> None:
        label = title
        if not _BULLET.match(lines[0]):
            label = plain(lines[0]).rstrip(":").strip()
            lines = lines[1:]
        items = [plain(_BULLET.sub("", line)) for line in lines]
        self.add(section, "list", f"{label}:\n" + "\n".join(f"- {item}" for item in items), start, end)

    def _add_paragraph(self, section: str, text: str, start: int, end: int) -> None:
        words = text.split()
        if len(words) <= MAX_PARAGRAPH_WORDS:
            self.add(section, "paragraph", text, start, end)
            return
        piece: list[str] = []
        for sentence in _SENTENCE_END.split(text):
            if piece and len(" ".join(piece + [sentence]).split()) > MAX_PARAGRAPH_WORDS:
                self.add(section, "paragraph", " ".join(piece), start, end)
                piece = []
            piece.append(sentence)
        self.add(section, "paragraph", " ".join(piece), start, end)

    def _add_table(self, section: str, title: str, block: list[tuple[int, str]]) -> None:
        rows = [(n, line) for n, line in block if not _TABLE_SEPARATOR.match(line)]
        if not rows:
            return
        header = _split_cells(rows[0][1])
        for number, line in rows[1:]:
            cells = _split_cells(line)
            cells = (cells + [""] * len(header))[: max(len(header), 1)]
            pairs = []
            for column, (name, value) in enumerate(zip(header, cells)):
                if value in ("", "—", "-", "–", "N/A"):
                    value = EMPTY_CELL
                pairs.append(f"{name or f'Column {column + 1}'}: {value}")
            self.add(section, "row", f"{title} — " + ". ".join(pairs) + ".", number, number)
        table = "\n".join(line.strip() for _, line in block)
        self.add(section, "table", f"{title}\n{table}", block[0][0], block[-1][0])
