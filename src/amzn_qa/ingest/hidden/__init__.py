"""Text a reader of a document cannot see is not evidence (OWASP LLM01, indirect prompt
injection): each format's module finds it before conversion, leaves it out and says where.

- `pdf.drop_invisible_text(document)`: spans a PDF viewer does not show are redacted in place.
- `html.drop_hidden_elements(soup)`: elements a browser does not show are removed in place.
- `docx.without_hidden_text(raw)`: the DOCX without hidden, invisible or deleted runs.
Each returns the `Hidden` it left out, one per place and reason.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hidden:
    """Text left out of the index because a reader cannot see it."""

    where: str  # "page 2" (PDF), "line 14" (HTML source), "paragraph 7" (DOCX body)
    reason: str  # "white on white", "font size 1pt", "display:none", "deleted revision", ...
    lines: int = 1  # lines (PDF), elements (HTML) or runs (DOCX) left out there for that reason

    def __str__(self) -> str:
        return f"{self.where}: invisible text not indexed: {self.reason}, {self.lines} line{'s' * (self.lines != 1)}"


# Under this WCAG contrast ratio (1 = the same colour, 21 = black on white) text does not stand
# out from what is behind it: white on white, or a shade of grey on nearly the same grey.
MIN_CONTRAST = 1.5
WHITE = (1.0, 1.0, 1.0)  # the page, the paper or the browser's canvas, unless painted over


def contrast(one: tuple[float, ...], other: tuple[float, ...]) -> float:
    """The WCAG 2 contrast ratio of two opaque sRGB colours (channels 0-1)."""
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(rgb: tuple[float, ...]) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
