"""PDF text a viewer does not show, read from MuPDF's own traces of the page rather than guessed:
the text trace (render mode, opacity, colour, size, layer and drawing order of every span), the
drawings and the paint log (what is painted under a span before it), and the extracted text
with and without clipping (what a clip path cuts away).

A span is invisible when it is in an optional-content layer that is off, drawn in the invisible
render mode (except an OCR layer over a picture), fully transparent, under MIN_FONT_SIZE, or too
close in colour to what is painted under it (WCAG contrast under MIN_CONTRAST); a character is
invisible when it lies outside the page's visible box or a clip path cuts it away; text used only
as a clip path is invisible when nothing is painted across it. Each is redacted in place by its
own box, so the visible text around it, and so pages and lines, stay as they are.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from dataclasses import dataclass, field

from amzn_qa.ingest.hidden import MIN_CONTRAST, WHITE, Hidden, contrast

MIN_FONT_SIZE = 4.0  # points: smaller print is a speck on the page, not text a reader reads
# WCAG contrast ratio (1 = the same colour, 21 = black on white; body text should have 4.5):
# under this the text does not stand out from what it is painted on.
INVISIBLE_MODE = 3  # text render mode 3: the glyphs are neither filled nor stroked
CLIPPED_CHARS = 64  # FZ_STEXT_CLIPPED: the characters were (also) used as a clip path
# MuPDF's redaction options for text: remove every glyph the box touches, or only invisible ones
# (an invisible span over visible text takes nothing visible with it).
REMOVE_TEXT, REMOVE_INVISIBLE_TEXT = 0, 2
PICTURE_PAINTS = ("fill-image", "fill-imgmask", "fill-shade")  # colours not known from the log


@dataclass(frozen=True)
class _Piece:
    """Invisible text to redact: why, its box, the baseline it sits on (to count lines)."""

    reason: str
    rect: tuple[float, float, float, float]
    line: int
    invisible_mode: bool = False


@dataclass
class _Page:
    """What lies around the text of one page: its visible box, every paint in drawing order (the
    index is the sequence number the text trace shares), and the characters clipping removes."""

    box: tuple[float, float, float, float]
    paints: list[tuple[str, tuple, dict | None]] = field(default_factory=list)
    extracted: list[dict] = field(default_factory=list)  # the spans MuPDF extracts, unclipped
    clipped: set[tuple[float, float]] = field(default_factory=set)


def drop_invisible_text(document) -> list[Hidden]:
    """Redact, page by page, the text a PDF viewer does not show; one Hidden per page and reason."""
    off = _layers_off(document)
    shown = _with_every_layer_on(document) if off else None
    hidden: list[Hidden] = []
    for page in document:
        with _unrotated(page):
            pieces = _invisible_pieces(page)
            if shown is not None:
                with _unrotated(shown[page.number]) as same_page:
                    pieces += _pieces_in_layers(same_page, off, page)
            _redact(page, pieces)
        hidden += _reports(page.number + 1, pieces)
    return hidden


@contextmanager
def _unrotated(page):
    """MuPDF's traces are in the unrotated page's space: read and redact in that one space."""
    rotation = page.rotation
    if rotation:
        page.set_rotation(0)
    try:
        yield page
    finally:
        if rotation:
            page.set_rotation(rotation)


# --- optional content -----------------------------------------------------------------------

def _layers_off(document) -> set[str]:
    return {ocg["name"] for ocg in document.get_ocgs().values() if not ocg["on"]}


def _with_every_layer_on(document):
    """A copy with every layer shown: MuPDF does not even trace the text of a layer that is off
    (nor extract it), so its lines can only be counted, and its boxes found, in such a copy."""
    import pymupdf

    copy = pymupdf.open("pdf", document.tobytes())
    copy.set_layer(-1, basestate="ON", on=list(copy.get_ocgs()), off=[])
    return pymupdf.open("pdf", copy.tobytes())  # layer states are read when a file is opened


def _pieces_in_layers(page, off: set[str], original) -> list[_Piece]:
    """The spans of the layers that are off, unless the original shows them all the same (a
    span can belong to several layers, and be shown when any of them is on)."""
    shown = {_point(char[2]) for span in original.get_texttrace() for char in span["chars"]}
    return [_piece(f"layer '{span['layer']}' is off", span["chars"]) for span in page.get_texttrace()
            if span["layer"] in off and _has_text(span["chars"])
            and not any(_point(char[2]) in shown for char in span["chars"])]


# --- one page -------------------------------------------------------------------------------

def _invisible_pieces(page) -> list[_Piece]:
    spans = [span for span in page.get_texttrace() if _has_text(span["chars"])]
    context = _read_page(page)
    pieces: list[_Piece] = []
    for span, reason in zip(spans, _span_reasons(spans, context)):
        if reason:
            pieces.append(_piece(reason, span["chars"], span["type"] == INVISIBLE_MODE))
        else:
            pieces += _pieces_cut_off(span["chars"], context)
    return pieces + _clip_only_pieces(spans, context)


def _read_page(page) -> _Page:
    import pymupdf

    context = _Page(tuple(page.rect))
    fills = {d["seqno"]: d for d in page.get_drawings() if d.get("fill") is not None}
    context.paints = [(kind, bbox, fills.get(seqno)) for seqno, (kind, bbox) in enumerate(page.get_bboxlog())]
    # Glyph by glyph as the trace has them (no ligature split, no ActualText put in their place).
    exact = pymupdf.TEXT_PRESERVE_LIGATURES | pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_IGNORE_ACTUALTEXT
    context.extracted = _spans_of(page.get_text("rawdict", flags=exact))
    clipped = _spans_of(page.get_text("rawdict", flags=exact | pymupdf.TEXT_CLIP))
    # MuPDF's extraction drops a character a clip path (or the page edge) cuts away entirely:
    # what the unclipped extraction has and the clipped one lacks is cut away.
    if sum(len(s["chars"]) for s in clipped) != sum(len(s["chars"]) for s in context.extracted):
        context.clipped = _origins(context.extracted) - _origins(clipped)
    return context


def _span_reasons(spans: list[dict], context: _Page) -> list[str | None]:
    """Why each span is invisible, or None. Text both filled and stroked is traced twice (fill,
    then outline): it is invisible only when every way it is painted is."""
    reasons = [_span_reason(span, context) for span in spans]
    seen: dict[tuple, list[int]] = {}
    for index, span in enumerate(spans):
        seen.setdefault(_same_text_key(span), []).append(index)
    for indexes in seen.values():
        if len(indexes) > 1 and not all(reasons[i] for i in indexes):
            for i in indexes:
                reasons[i] = None
    return reasons


def _span_reason(span: dict, context: _Page) -> str | None:
    backdrop = _backdrop(_centre(span["bbox"]), span["seqno"], context.paints)
    if span["type"] == INVISIBLE_MODE:
        # OCR (ocrmypdf and the like) lays invisible text over the scanned picture it reads: that
        # text is what a reader sees in the picture.
        return None if backdrop is None else "invisible render mode"
    if span["opacity"] <= 0:
        return "transparent"
    if span["size"] < MIN_FONT_SIZE:
        return f"font size {int(span['size'] * 10) / 10:g}pt"
    return _colour_reason(span, backdrop)


def _pieces_cut_off(chars: list[tuple], context: _Page) -> list[_Piece]:
    """The runs of characters of a visible span that the page edge or a clip path cut away
    (a space goes with the run it is in)."""
    states, state = [], None
    for char in chars:
        if not _is_space(char[0]):
            state = _cut_off(char, context)
        states.append(state)
    pieces = []
    for reason, run in itertools.groupby(zip(states, chars), key=lambda pair: pair[0]):
        if reason:
            pieces.append(_piece(reason, [char for _, char in run]))
    return pieces


def _cut_off(char: tuple, context: _Page) -> str | None:
    if _beyond(char[3], context.box):
        return "outside the page"
    return "clipped" if _point(char[2]) in context.clipped else None


def _clip_only_pieces(spans: list[dict], context: _Page) -> list[_Piece]:
    """Text in render mode 7 only sets a clip path: MuPDF extracts it (with no opacity), but does
    not trace it as painted. It shows only where something is painted through it (a gradient, a
    picture), so it is taken as invisible when nothing but text is painted across it."""
    candidates = [span for span in context.extracted
                  if span["char_flags"] & CLIPPED_CHARS and not span["alpha"] and span["text_chars"]]
    traced = {_point(char[2]) for span in spans for char in span["chars"]} if candidates else set()
    pieces = []
    for span in candidates:
        chars = span["text_chars"]
        if any(_point(c["origin"]) in traced for c in chars):
            continue  # also filled or stroked (render modes 4 to 6): judged as traced
        if not any(_overlaps(bbox, span["bbox"]) for kind, bbox, _ in context.paints if not kind.endswith("text")):
            pieces.append(_piece("clip-only render mode", [(ord(c["c"]), 0, c["origin"], c["bbox"]) for c in chars]))
    return pieces


def _spans_of(text: dict) -> list[dict]:
    spans = [span for block in text["blocks"] for line in block.get("lines", []) for span in line["spans"]]
    for span in spans:
        span["text_chars"] = [char for char in span["chars"] if not char["c"].isspace()]
    return spans


# --- colour ---------------------------------------------------------------------------------

def _backdrop(point: tuple[float, float], seqno: int, paints: list) -> tuple[float, ...] | None:
    """The colour under `point` when paint `seqno` is made: white paper, then every filled shape
    painted over that point before it, in order, blended by its opacity; None when a picture or
    shading is under it, whose colour is not known here."""
    colour: tuple[float, ...] | None = WHITE
    for kind, bbox, drawing in paints[:seqno]:
        if not _contains(bbox, point):
            continue
        if kind in PICTURE_PAINTS or (kind == "fill-path" and drawing is None):
            colour = None
        elif kind == "fill-path" and _inside_path(drawing, point):
            opacity = drawing.get("fill_opacity")
            opacity = 1.0 if opacity is None else opacity
            colour = drawing["fill"] if opacity >= 1 else _blend(drawing["fill"], colour, opacity)
    return colour


def _colour_reason(span: dict, backdrop: tuple[float, ...] | None) -> str | None:
    if backdrop is None or len(span["color"] or ()) != 3:
        return None  # a picture under it, or a pattern for a colour: nothing to compare
    seen = _blend(span["color"], backdrop, span["opacity"])
    if contrast(seen, backdrop) >= MIN_CONTRAST:
        return None
    if contrast(span["color"], backdrop) >= MIN_CONTRAST:
        return "nearly transparent"
    if min(span["color"]) >= 0.9 and min(backdrop) >= 0.9:
        return "white on white"
    return "text colour matches its background"


def _blend(top, below, opacity: float) -> tuple[float, ...] | None:
    if below is None:
        return None
    return tuple(t * opacity + b * (1 - opacity) for t, b in zip(top, below))








# --- geometry -------------------------------------------------------------------------------

def _inside_path(drawing: dict, point: tuple[float, float]) -> bool:
    """Even-odd test of a point against a filled path: its bounding box would put text beside a
    round or slanted shape (a pie slice, a chart's area) on that shape's colour."""
    x, y = point
    crossings = 0
    for (x0, y0), (x1, y1) in _edges(drawing["items"]):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            crossings += 1
    return crossings % 2 == 1


def _edges(items: list[tuple]):
    """The straight edges of a path, each subpath closed as filling closes it; a curve by its
    control polygon, which is close enough to say on which side of it a glyph lies."""
    start = end = None
    for kind, *rest in items:
        if kind in ("re", "qu"):  # a closed subpath of its own
            quad = rest[0].quad if kind == "re" else rest[0]
            corners = [tuple(quad.ul), tuple(quad.ur), tuple(quad.lr), tuple(quad.ll)]
            yield from zip(corners, corners[1:] + corners[:1])
            continue
        points = [tuple(point) for point in rest]
        if points[0] != end:  # a new subpath: close the one before
            if start is not None and start != end:
                yield end, start
            start = points[0]
        yield from zip(points, points[1:])
        end = points[-1]
    if start is not None and start != end:
        yield end, start


def _piece(reason: str, chars: list[tuple], invisible_mode: bool = False) -> _Piece:
    """The box to redact: the middle half of each glyph's box, so that a neighbour whose box
    touches it (a tight line above, a kerned letter) is not removed with it."""
    boxes = [_middle_half(char[3]) for char in chars]
    rect = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return _Piece(reason, rect, round(chars[0][2][1]), invisible_mode)


def _middle_half(bbox) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = bbox
    dx, dy = (x1 - x0) / 4, (y1 - y0) / 4
    return x0 + dx, y0 + dy, x1 - dx, y1 - dy


def _redact(page, pieces: list[_Piece]) -> None:
    for option, chosen in ((REMOVE_INVISIBLE_TEXT, [p for p in pieces if p.invisible_mode]),
                           (REMOVE_TEXT, [p for p in pieces if not p.invisible_mode])):
        for piece in chosen:
            page.add_redact_annot(_at_least_a_point(piece.rect), fill=False)
        if chosen:
            page.apply_redactions(images=0, graphics=0, text=option)


def _at_least_a_point(rect):
    """A glyph of (nearly) no size still has a place: a redaction needs a box with an area."""
    x0, y0, x1, y1 = rect
    if x1 - x0 >= 0.1 and y1 - y0 >= 0.1:
        return rect
    return (x0 - 0.05, y0 - 0.05, max(x1, x0) + 0.05, max(y1, y0) + 0.05)


def _reports(page_number: int, pieces: list[_Piece]) -> list[Hidden]:
    """One Hidden per reason, in the order met, with the number of lines it took text from."""
    lines: dict[str, set[int]] = {}
    for piece in pieces:
        lines.setdefault(piece.reason, set()).add(piece.line)
    return [Hidden(f"page {page_number}", reason, len(on)) for reason, on in lines.items()]


def _has_text(chars) -> bool:
    return any(not _is_space(char[0]) for char in chars)


def _is_space(code: int) -> bool:
    return 0 <= code < 0x110000 and chr(code).isspace()  # a glyph without Unicode is not a space


def _same_text_key(span: dict) -> tuple:
    chars = span["chars"]
    return len(chars), _point(chars[0][2]), _point(chars[-1][2])


def _origins(spans: list[dict]) -> set[tuple[float, float]]:
    return {_point(char["origin"]) for span in spans for char in span["chars"]}


def _point(xy) -> tuple[float, float]:
    return round(xy[0], 2), round(xy[1], 2)


def _centre(bbox) -> tuple[float, float]:
    return (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2


def _contains(bbox, point) -> bool:
    return bbox[0] <= point[0] <= bbox[2] and bbox[1] <= point[1] <= bbox[3]


def _beyond(bbox, box) -> bool:
    """Wholly outside `box` (a glyph box may have no width: the second letter of a ligature)."""
    return bbox[2] < box[0] or bbox[0] > box[2] or bbox[3] < box[1] or bbox[1] > box[3]


def _overlaps(one, other) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]
