"""DOCX runs a reader does not see: hidden (w:vanish, w:specVanish), coloured like what is behind
them, too small to read, or deleted in a tracked revision (w:del, w:delText, w:moveFrom).

mammoth, which converts the DOCX, already leaves out deleted and moved-away revisions, but
converts hidden, invisible and tiny runs like any other; so the main document part is rewritten
without them before it is converted. Tracked insertions (w:ins, w:moveTo) are what Word shows,
and stay. Run properties are resolved as Word does for the ones that matter here: the run's own,
then its character style, its paragraph style, its table style (each with the styles it is
based on), then the document defaults; the nearest setting wins. w:vanish is a toggle, though:
a style's "off" does not undo another style's "on", and two styles' "on" cancel out in Word;
here any style's "on" hides the run (unless the run itself says off), which can only leave out
more.

The XML is read and written with xml.dom.minidom (the parser mammoth itself uses): it keeps
every prefix and namespace declaration as written, where xml.etree would rename them.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from xml.dom import minidom
from xml.dom.minidom import Element

from amzn_qa.ingest.hidden import MIN_CONTRAST, Hidden, contrast

# Transitional and strict OOXML: mammoth reads both as "w:", so both are checked, even mixed.
W_NAMESPACES = frozenset({
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
})
MIN_HALF_POINTS = 8  # w:sz and w:szCs are in half-points: under 4 pt nobody reads it
PAGE = "FFFFFF"  # white paper, unless a shading or highlight says otherwise
HIGHLIGHTS = {  # w:highlight names its colour ("none": no highlight)
    "black": "000000", "blue": "0000FF", "cyan": "00FFFF", "green": "00FF00", "magenta": "FF00FF",
    "red": "FF0000", "yellow": "FFFF00", "white": "FFFFFF", "darkBlue": "000080", "darkCyan": "008080",
    "darkGreen": "008000", "darkMagenta": "800080", "darkRed": "800000", "darkYellow": "808000",
    "darkGray": "808080", "lightGray": "C0C0C0",
}
_HEX = re.compile(r"[0-9A-Fa-f]{6}")
_OFF = ("0", "false", "off")


def without_hidden_text(raw: bytes) -> tuple[bytes, list[Hidden]]:
    """The DOCX without the runs a reader does not see, and where they were. Only the main
    document part changes; a file that is not a zip raises zipfile.BadZipFile."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        document_path, styles_path = _part_paths(raw)
        document = minidom.parseString(archive.read(document_path))
        styles = _Styles(_read_xml(archive, styles_path))
        hidden = _drop_hidden_runs(document, styles)
        if not hidden:
            return raw, []
        xml = document.toxml(encoding="UTF-8", standalone=document.standalone)
        return _with_member(archive, document_path, xml), hidden


def _part_paths(raw: bytes) -> tuple[str, str]:
    """The main document and styles parts, found as mammoth finds them (through the package's
    relationships), so that a part under an unusual name is not converted unchecked."""
    from mammoth.docx import _find_part_paths  # private, but mammoth is pinned; the tests use it
    from mammoth.zips import open_zip

    with open_zip(io.BytesIO(raw), "r") as archive:
        paths = _find_part_paths(archive)
    return paths.main_document, paths.styles


def _read_xml(archive: zipfile.ZipFile, path: str) -> Element | None:
    if path not in archive.namelist():
        return None
    return minidom.parseString(archive.read(path)).documentElement


def _with_member(archive: zipfile.ZipFile, path: str, data: bytes) -> bytes:
    """A copy of the archive with `path` replaced; every other member byte for byte as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for info in archive.infolist():
            # Read before writing: writestr updates the ZipInfo it is given.
            content = data if info.filename == path else archive.read(info)
            copy.writestr(info, content)
    return out.getvalue()


# --- Which runs, and where ----------------------------------------------------------------

def _drop_hidden_runs(document: minidom.Document, styles: _Styles) -> list[Hidden]:
    """Remove deleted revisions, then every run of text a reader does not see; one Hidden per
    paragraph and reason, in document order."""
    numbers = {p: n for n, p in enumerate(_elements(document, "p"), start=1)}
    counts: Counter[tuple[int, str]] = Counter()
    for element, reason in _deleted(document):
        counts[_paragraph_number(element, numbers), reason] += _runs_with_text(element)
        element.parentNode.removeChild(element)
    for run in _elements(document, "r"):
        # A run of spaces alone hides nothing, and dropping it would join the words around it.
        reason = _why_unseen(run, styles) if _text(run, "t").strip() else None
        if reason:
            counts[_paragraph_number(run, numbers), reason] += 1
            run.parentNode.removeChild(run)
    places = sorted(counts.items(), key=lambda item: item[0][0])  # stable: reasons in found order
    return [Hidden(f"paragraph {n}", reason, lines) for (n, reason), lines in places if lines]


def _deleted(document: minidom.Document) -> list[tuple[Element, str]]:
    """Deleted and moved-away revisions, and deleted text outside them; the outermost only, so
    that nothing is counted twice. A w:del inside properties (w:rPr, w:trPr) marks a deleted
    paragraph mark or table row instead (as w:moveFrom there a moved one): no text of its own."""
    found = {e: "deleted revision" for e in _elements(document, "delText")}
    found |= {e: "deleted revision" for e in _elements(document, "del") if not _in_properties(e)}
    found |= {e: "moved-away revision" for e in _elements(document, "moveFrom") if not _in_properties(e)}
    return [(e, reason) for e, reason in found.items() if not any(a in found for a in _ancestors(e))]


def _in_properties(element: Element) -> bool:
    return element.parentNode.localName.endswith("Pr")


def _runs_with_text(element: Element) -> int:
    """The runs with text in a deleted element (one for a w:delText with text)."""
    if _is_w(element, "delText"):
        return int(bool(_inner_text(element).strip()))
    return sum(1 for run in _elements(element, "r") if (_text(run, "t") + _text(run, "delText")).strip())


def _paragraph_number(element: Element, numbers: dict[Element, int]) -> int:
    return numbers.get(_ancestor(element, "p"), 0)


# --- Why a run is not seen ----------------------------------------------------------------

def _why_unseen(run: Element, styles: _Styles) -> str | None:
    """The reason a reader does not see the run, or None when they do."""
    sources = _run_properties(run, styles)
    for name in ("vanish", "specVanish"):
        if _toggled_on(_child(run, "rPr"), sources, name):
            return f"marked hidden (w:{name})"
    sizes = [s for s in (_half_points(_first(sources, n)) for n in ("sz", "szCs")) if s is not None]
    if sizes and min(sizes) < MIN_HALF_POINTS:
        return f"font size {min(sizes) / 2:g}pt"
    colour = _hex(_attr(_first(sources, "color"), "val"))  # "auto" is never invisible: None
    background = _background(run, sources, styles) if colour else PAGE
    if colour and contrast(_rgb(colour), _rgb(background)) < MIN_CONTRAST:
        return f"text colour {colour} on {background}"
    return None


def _toggled_on(own: Element | None, sources: list[Element], name: str) -> bool:
    """A toggle property (w:vanish): the run's own setting decides; else it is on when any
    style turns it on (a style's "off" changes nothing in Word)."""
    direct = _child(own, name)
    if direct is not None:
        return _is_on(direct)
    return any(_is_on(setting) for source in sources for setting in _children(source, name))


def _run_properties(run: Element, styles: _Styles) -> list[Element]:
    """The w:rPr elements that set the run's properties, nearest first: its own, its character
    style's, its paragraph style's, its table style's, the document defaults."""
    own = _child(run, "rPr")
    paragraph = _child(_ancestor(run, "p"), "pPr")
    table = _child(_ancestor(run, "tbl"), "tblPr")
    # Outside a table no table style applies, not even the default one.
    table_style = [] if table is None else styles.chain("table", _style_id(table, "tblStyle"), "rPr")
    return [e for e in (
        own,
        *styles.chain("character", _style_id(own, "rStyle"), "rPr"),
        *styles.chain("paragraph", _style_id(paragraph, "pStyle"), "rPr"),
        *table_style,
        styles.default_run,
    ) if e is not None]


def _background(run: Element, sources: list[Element], styles: _Styles) -> str:
    """The colour behind a run: its highlight, else the first shading that fills something around
    it (the run, its paragraph, table cell, table, outward); the white page without any."""
    highlight = HIGHLIGHTS.get(_attr(_first(sources, "highlight"), "val") or "none")
    if highlight:
        return highlight
    for shading in (_first(sources, "shd"), *_shadings_around(run, styles)):
        fill = _fill(shading)
        if fill:
            return fill
    return PAGE


def _shadings_around(run: Element, styles: _Styles):
    """The w:shd of each paragraph, table cell and table the run is in, innermost first (None
    where one has none)."""
    for node in _ancestors(run):
        if _is_w(node, "p"):
            properties = _child(node, "pPr")
            yield _first([properties, *styles.chain("paragraph", _style_id(properties, "pStyle"), "pPr")], "shd")
        elif _is_w(node, "tc"):
            yield _first([_child(node, "tcPr")], "shd")
        elif _is_w(node, "tbl"):
            properties = _child(node, "tblPr")
            style_id = _style_id(properties, "tblStyle")
            yield _first([properties, *styles.chain("table", style_id, "tblPr"),
                          *styles.chain("table", style_id, "tcPr")], "shd")


def _fill(shading: Element | None) -> str | None:
    """The colour a w:shd paints: the pattern colour when solid, else the fill; None for none
    or "auto" (nothing painted: what is behind shows)."""
    pattern = _attr(shading, "val")
    if shading is None or pattern == "nil":
        return None
    return _hex(_attr(shading, "color" if pattern == "solid" else "fill"))








def _half_points(size: Element | None) -> float | None:
    """A w:sz or w:szCs value in half-points ("7"), or in points as strict OOXML allows ("3.5pt")."""
    value = _attr(size, "val") or ""
    try:
        return float(value[:-2]) * 2 if value.endswith("pt") else int(value)
    except ValueError:
        return None


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _hex(value: str | None) -> str | None:
    return value.upper() if value and _HEX.fullmatch(value) else None


def _is_on(element: Element | None) -> bool:
    """An on/off property: on when present, unless its w:val turns it off."""
    return element is not None and (_attr(element, "val") or "").lower() not in _OFF


# --- styles.xml ---------------------------------------------------------------------------

class _Styles:
    """What each style of styles.xml sets, with the styles it is based on, and the defaults."""

    def __init__(self, root: Element | None):
        self._by_key: dict[tuple[str, str], Element] = {}
        self._default_ids: dict[str, str] = {}
        self._chains: dict[tuple[str, str | None, str], list[Element]] = {}
        for style in _children(root, "style"):
            kind, style_id = _attr(style, "type") or "paragraph", _attr(style, "styleId") or ""
            self._by_key[kind, style_id] = style
            if _is_on_attr(_attr(style, "default")):
                self._default_ids[kind] = style_id
        defaults = _child(root, "docDefaults")
        self.default_run = _child(_child(defaults, "rPrDefault"), "rPr")

    def chain(self, kind: str, style_id: str | None, name: str) -> list[Element]:
        """The `name` element (w:rPr, w:pPr, ...) of the style, then of each style it is based
        on; the type's default style when the style is absent or unknown. Cached: asked per run."""
        key = (kind, style_id, name)
        if key not in self._chains:
            self._chains[key] = self._chain(kind, style_id, name)
        return self._chains[key]

    def _chain(self, kind: str, style_id: str | None, name: str) -> list[Element]:
        if (kind, style_id) not in self._by_key:
            style_id = self._default_ids.get(kind)
        found: list[Element] = []
        seen: set[str] = set()
        while style_id and style_id not in seen and (kind, style_id) in self._by_key:
            seen.add(style_id)  # a basedOn loop (a hostile file) ends here
            style = self._by_key[kind, style_id]
            found += [e for e in [_child(style, name)] if e is not None]
            style_id = _attr(_child(style, "basedOn"), "val")
        return found


def _is_on_attr(value: str | None) -> bool:
    return value is not None and value.lower() not in _OFF


def _style_id(properties: Element | None, name: str) -> str | None:
    return _attr(_child(properties, name), "val")


# --- WordprocessingML through minidom -----------------------------------------------------

def _is_w(node, name: str) -> bool:
    return isinstance(node, Element) and node.namespaceURI in W_NAMESPACES and node.localName == name


def _elements(node, name: str) -> list[Element]:
    """Every w:`name` below `node`, in document order."""
    return [e for e in node.getElementsByTagNameNS("*", name) if e.namespaceURI in W_NAMESPACES]


def _children(node: Element | None, name: str) -> Iterator[Element]:
    return (c for c in node.childNodes if _is_w(c, name)) if node is not None else iter(())


def _child(node: Element | None, name: str) -> Element | None:
    return next(_children(node, name), None)


def _first(sources: list[Element | None], name: str) -> Element | None:
    """The w:`name` of the nearest source that sets it."""
    return next((c for source in sources for c in _children(source, name)), None)


def _ancestors(node: Element):
    node = node.parentNode
    while isinstance(node, Element):
        yield node
        node = node.parentNode


def _ancestor(node: Element, name: str) -> Element | None:
    return next((a for a in _ancestors(node) if _is_w(a, name)), None)


def _attr(element: Element | None, name: str) -> str | None:
    """A w:-qualified attribute (either namespace, as mammoth reads them), None when absent."""
    for namespace in W_NAMESPACES if element is not None else ():
        if element.hasAttributeNS(namespace, name):
            return element.getAttributeNS(namespace, name)
    return None


def _text(run: Element, name: str) -> str:
    """The text of the run's own w:t (or w:delText): not of runs nested in a text box in it."""
    return "".join(_inner_text(c) for c in _children(run, name))


def _inner_text(node) -> str:
    return "".join(c.data if c.nodeType == c.TEXT_NODE else _inner_text(c) for c in node.childNodes)
