"""The [n] citation markers of an answer: the sources they point at, renumbered, kept to the
sources there are."""

from __future__ import annotations

import re
from collections.abc import Collection

CITATION = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")


def markers_of(text: str) -> str:
    """The text's [n] markers, run together ("[1][3]")."""
    return "".join(f"[{m}]" for m in CITATION.findall(text))


def renumber_citations(answer: str, mapping: dict[int, int]) -> str:
    """[n] markers mapped to new numbers; a marker with no new number is dropped."""
    def renumber(match: re.Match) -> str:
        parts = [mapping[int(p)] for p in re.split(r"\s*[,;]\s*", match.group(1)) if int(p) in mapping]
        return "[" + ", ".join(map(str, parts)) + "]" if parts else ""

    return re.sub(r"\s+([.,;:])", r"\1", CITATION.sub(renumber, answer)).strip()


def keep_citations(answer: str, allowed: Collection[int]) -> str:
    """Remove the [n] markers whose n is not allowed: ones that point at no source (the model
    sometimes cites [3] of two), or sources dropped from the citation list, grouped or not."""
    return renumber_citations(answer, {n: n for n in allowed})


def cited_numbers(answer: str, n_sources: int) -> list[int]:
    """The [n] markers in an answer that point at a real source, in order of first use."""
    found = []
    for group in CITATION.findall(answer):
        for part in re.split(r"[,;]", group):
            n = int(part)
            if 1 <= n <= n_sources and n not in found:
                found.append(n)
    return found
