"""Figures as quantities, and one arithmetic step over them: a difference, a sum, a ratio, a
mean or a percentage difference, on ranges as ranges ("$50-70K" is 50,000 to 70,000).

Pure text and numbers, no model: the derived-figure stage (answer/derived.py) decides which
figures and which operation; this module reads and computes and writes them as a report does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DIFFERENCE, SUM, RATIO, MEAN, PERCENT = "difference", "sum", "ratio", "mean", "percent"
OPERATIONS = (DIFFERENCE, SUM, RATIO, MEAN, PERCENT)
LOW, HIGH, MID = "low", "high", "mid"

_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6,
           "b": 1e9, "bn": 1e9, "billion": 1e9, "t": 1e12, "tn": 1e12, "trillion": 1e12}
_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_SCALE = r"(?:thousand|million|billion|trillion|bn|mn|tn|[kmbt])(?![a-z])"
_QUANTITY = re.compile(
    rf"(?<![\w.$])(?P<money>\$)?(?P<low>{_NUMBER})(?:\s?(?P<low_scale>{_SCALE}))?"
    rf"(?:\s?(?:-|–|to)\s?\$?(?P<high>{_NUMBER})(?:\s?(?P<scale>{_SCALE}))?)?"
    r"(?P<percent>%)?(?P<plus>\+)?"
    r"(?:\s?(?P<unit>GW|MW|kW|TW|bps|basis points|pp)\b|(?=\s(?P<noun>[a-z]{3,}s|[A-Z]{2,}s)\b))?",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_MODEL_NUMBER = re.compile(r"\b[A-Z][A-Za-z]+ $")


@dataclass(frozen=True)
class Quantity:
    """A figure as an interval in base units (a single figure has low == high)."""

    low: float
    high: float
    kind: str  # "$", "%", a unit ("GW", "bps") or "count"
    noun: str = ""  # what a count counts ("chips"), when the text says
    at_least: bool = False  # "1M+"
    surface: str = ""  # as the text writes it

    @property
    def is_range(self) -> bool:
        return self.high != self.low

    @property
    def middle(self) -> float:
        """Where a range stands: what sides and rows are ranked by."""
        return (self.low + self.high) / 2

    def bound(self, which: str) -> Quantity:
        """The range's low or high end, or its midpoint (MID); a single figure is itself."""
        if not self.is_range:
            return self
        value = {LOW: self.low, HIGH: self.high, MID: self.middle}[which]
        return Quantity(value, value, self.kind, self.noun, self.at_least and which == HIGH, self.surface)


def quantities(text: str) -> list[Quantity]:
    """Every figure in `text` that measures something: money, a share, a unit, a scaled count
    or a count of a noun. Years and bare numbers (a model number, "Trainium 2") are not."""
    found = []
    for m in _QUANTITY.finditer(text):
        scale_word = (m["scale"] or m["low_scale"] or "").lower()
        kind = "$" if m["money"] else "%" if m["percent"] else (m["unit"] or "").replace("basis points", "bps")
        if not (kind or scale_word or m["noun"]) or (_YEAR.fullmatch(m["low"]) and not kind):
            continue
        if not (kind or scale_word) and _MODEL_NUMBER.search(text[: m.start()]):
            continue  # "Trainium 2 chips": a name's number, not a count
        scale = _SCALES.get(scale_word, 1.0)
        low_scale = _SCALES.get((m["low_scale"] or "").lower(), scale)
        low = float(m["low"].replace(",", "")) * low_scale
        high = float(m["high"].replace(",", "")) * scale if m["high"] else low
        surface = m.group(0).rstrip() if not m["noun"] else m.group(0).strip()
        found.append(Quantity(low, max(low, high), kind or "count", m["noun"] or "",
                              bool(m["plus"]), surface))
    return found


def compatible(a: Quantity, b: Quantity, operation: str) -> bool:
    """Whether one step over a and b means something: like with like, or, for a ratio, a
    money or a unit over a count."""
    if operation == RATIO and b.kind == "count":
        return True
    return a.kind == b.kind


def calculate(operation: str, a: Quantity, b: Quantity | None = None) -> Quantity:
    """One step over a (and b), bound by bound: a range gives a range. A difference and a
    percentage difference are of the larger over the smaller, so the order of the figures in
    the question does not matter; a ratio divides a by b."""
    if operation == MEAN:
        if b is None:
            middle = (a.low + a.high) / 2
            return Quantity(middle, middle, a.kind, a.noun, a.at_least)
        return _bounds(a, b, lambda x, y: (x + y) / 2, a.kind)
    if b is None:
        raise ValueError(f"a {operation} needs two figures")
    if operation == SUM:
        return _bounds(a, b, lambda x, y: x + y, a.kind)
    if operation == RATIO:
        if b.kind == "count" and b.noun:  # "96 AZs" over "30+ regions": AZs per region
            noun = f"{a.noun or ''} per {b.noun.removesuffix('s')}".strip()
            return _bounds(a, b, lambda x, y: x / y, a.kind, noun=noun)
        kind = a.kind if b.kind == "count" and a.kind != "count" else "times"
        return _bounds(a, b, lambda x, y: x / y, kind)
    big, small = larger_first(a, b)
    if operation == PERCENT:
        return _bounds(big, small, lambda x, y: (x - y) / y * 100, "%")
    kind = "pp" if a.kind == "%" else a.kind
    return _bounds(big, small, lambda x, y: x - y, kind, noun=a.noun or b.noun)


def larger_first(a: Quantity, b: Quantity) -> tuple[Quantity, Quantity]:
    """The two figures, the larger first (the first when they stand level)."""
    return (a, b) if a.middle >= b.middle else (b, a)


def _bounds(a: Quantity, b: Quantity, step, kind: str, noun: str = "") -> Quantity:
    values = sorted((step(a.low, b.low), step(a.high, b.high)))
    return Quantity(values[0], values[1], kind, noun)


def _number(value: float) -> str:
    """A value to one decimal at most, without a trailing ".0"."""
    return f"{round(value, 1):,.1f}".removesuffix(".0")


def _scale_of(value: float) -> tuple[str, float]:
    for suffix, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if round(abs(value) / size, 1) >= 1:
            return suffix, size
    return "", 1.0


def _span(low: str, high: str, same: bool) -> str:
    return low if same else f"{low}-{high}"


def written(q: Quantity) -> str:
    """A quantity as a report writes it: "$60K", "$5K-$10K" (each end of a money range whole),
    "8-10GW", "1.5 percentage points (150 bps)", "500K chips"."""
    if q.kind in ("%", "pp", "times"):
        unit = {"%": "%", "pp": " percentage points", "times": "x"}[q.kind]
        text = _span(_number(q.low), _number(q.high), not q.is_range)
        if q.kind == "pp":
            return f"{text}{unit} ({_span(_number(q.low * 100), _number(q.high * 100), not q.is_range)} bps)"
        return f"{text}{unit}"
    suffix, size = _scale_of(max(abs(q.low), abs(q.high)))
    low, high = _number(q.low / size), _number(q.high / size)
    unit = "" if q.kind in ("$", "count") else q.kind
    noun = f" {q.noun}" if q.noun else ""
    if q.kind == "$":
        return f"{_span(f'${low}{suffix}', f'${high}{suffix}', not q.is_range)}{noun}"
    return f"{_span(low, high, not q.is_range)}{suffix}{unit}{noun}"
