"""Citations and the grounding check: every figure and name in an answer must be in its sources.

Figures are compared by value, not spelling: `3.8GW` = `3.8 GW`, `$50-70K` = `$50K–$70K` =
`50,000 to 70,000`, `1M+` = `1 million`. Names are capitalised words that do not merely start
a sentence. Small models invent both (a CEO's name, a plausible percentage); this check is what
keeps such an answer from being shown as fact.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from amzn_qa.ingest.documents import PERIOD, Unit, cells, row_label, statements, table_title

CITATION = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
_SCALES = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "mn": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9, "t": 1e12, "tn": 1e12, "trillion": 1e12,
}
_NUMBER = re.compile(
    r"(?<![\w.])\$?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"  # 2,300 | 3.8 | 50
    r"(?:\s?(thousand|million|billion|trillion|bn|mn|mm|[kmbt])(?![a-z]))?%?\+?",
    re.IGNORECASE,
)
# "50-70K", "$50K–$70K", "30 to 40%": the suffix of a range's end applies to its start too.
_RANGE_LINK = re.compile(r"^\s*(?:-|–|—|to)\s*\$?$")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&'’\-]*[A-Za-z0-9]|[A-Za-z]")
# A sentence ends at its stop and any closing quote or bracket ('…Anthropic." What figure').
_SENTENCE_BREAK = re.compile(r"(?:[.!?:;][\"'”’)\]]*\s+|\n+|^\s*[-*•]\s+|\[\d+\]\s*)")
# Words that are capitalised for reasons other than being a name.
_NOT_NAMES = frozenset(
    "i a an the this that these those it its in on at of for to and or but if as by from with "
    "yes no not however also according source sources document answer note "
    # chat shorthand any message may use
    "tl dr tldr fyi pls plz asap imo imho btw thx ty".split()
)
REFUSAL = re.compile(
    r"(does not|doesn't|do not|don't|did not|cannot|can't|could not|unable to)\s+"
    r"(say|state|mention|specify|provide|contain|include|cover|give|find|know|answer|disclose)"
    r"|\bno (information|mention|data|details?)\b|\bnot (mentioned|stated|specified|provided|"
    r"covered|available|disclosed|given)\b|\bis unknown\b|\bnone given\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Figure:
    surface: str
    values: frozenset[float]


def figures(text: str) -> list[Figure]:
    """Every number in text, with the values it may stand for (raw and scaled)."""
    found: list[Figure] = []
    matches = list(_NUMBER.finditer(text))
    for i, match in enumerate(matches):
        raw = float(match.group(1).replace(",", ""))
        values = {raw}
        scale = (match.group(2) or "").lower()
        if scale:  # "1M+" stands for a million, not for 1
            values = {raw * _SCALES[scale]}
        if i + 1 < len(matches) and _RANGE_LINK.match(text[match.end() : matches[i + 1].start()]):
            next_scale = (matches[i + 1].group(2) or "").lower()
            if next_scale and not scale:
                values.add(raw * _SCALES[next_scale])
        found.append(Figure(match.group(0).strip(), frozenset(values)))
    return found


def normalised(text: str) -> str:
    """Lower-case words separated by single spaces: text compared without its punctuation."""
    return " ".join(re.findall(r"\w+", text.lower()))


def _has_words(text: str, words: str) -> bool:
    """`words` occur in `text` as whole words, in order ("Low" is in "Low (20-30%)", not in "Slow")."""
    return bool(normalised(words)) and f" {normalised(words)} " in f" {normalised(text)} "


def _values(text: str) -> set[float]:
    return {v for f in figures(text) for v in f.values}


_NUMBER_AFTER_NAME = re.compile(r"^ (\d+(?:\.\d+)?)(?![\d.,]*\w)")


def names(text: str) -> list[str]:
    """Capitalised words that are not just the first word of a sentence or list item, and
    numbered names such as "Trainium 3" (a "Trainium 2" source does not support them)."""
    found = []
    for segment in _SENTENCE_BREAK.split(text):
        for position, match in enumerate(_WORD.finditer(segment)):
            word = re.sub(r"['’]s$", "", match.group())
            if not word[0].isupper() or word.lower() in _NOT_NAMES:
                continue
            distinctive = any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word)
            numbered = _NUMBER_AFTER_NAME.match(segment[match.end() :])
            if position > 0 or distinctive:
                found.append(word)
            # "Trainium 3 TDP": a first word with a number after it is a numbered name, unless
            # the number is an amount ("Over 1 million").
            if numbered and position == 0 and not distinctive:
                amount = _NUMBER.match(segment, match.end() + 1)
                numbered = numbered if amount and amount.group().strip() == numbered.group(1) else None
            if numbered:
                found.append(f"{word} {numbered.group(1)}")
    return found


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)} | {
        re.sub(r"['’]s$", "", w).lower() for w in _WORD.findall(text)
    }


def _known_word(word: str, known: set[str]) -> bool:
    """Known as written or in the singular: "SKUs" is supported by "SKU"."""
    return word in known or (word.endswith("s") and word[:-1] in known)


_LINK = re.compile(
    r"https?://[^\s)\]>\"']+|www\.[^\s)\]>\"']+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|ai|co|example)\b",
    re.I,
)
_CONTENT_WORD = re.compile(r"[A-Za-z]{4,}")
_COMMON = frozenset(
    "this that with from have been were what which their there about into than then them they "
    "does also only more most such very will would could should over under each other these those "
    "answer question source sources document says said".split()
)


def unsupported(answer: str, evidence: str) -> list[str]:
    """Figures, names and links in the answer that the evidence does not contain."""
    body = CITATION.sub(" ", answer)
    known_values, known_words = _values(evidence), _words(evidence)
    # An answer's figure counts at its full value: "40K+" is not backed by a "40%" elsewhere.
    missing = [f.surface for f in figures(body) if max(f.values) not in known_values]
    flat_evidence = " ".join(evidence.lower().split())
    missing += [
        n for n in names(body)
        if (n.lower() not in flat_evidence if " " in n else not _known_word(n.lower(), known_words))
    ]
    flat_evidence_raw = evidence.lower()
    missing += [link for link in _LINK.findall(body) if link.lower() not in flat_evidence_raw]
    return list(dict.fromkeys(missing))


def unsupported_wording(answer: str, evidence: str, min_share: float = 0.5) -> bool:
    """True when most of the answer's content words are foreign to its evidence: text with no
    figure or name to check (a poem, an opinion) still has to come from the document."""
    words = [w.lower() for w in _CONTENT_WORD.findall(CITATION.sub(" ", answer)) if w.lower() not in _COMMON]
    if len(words) < 3:
        return False
    known = _words(evidence)
    found = sum(1 for w in words if _known_word(w, known) or w.rstrip("s") in known or w + "s" in known)
    return found / len(words) < min_share


def grounding_problems(answer: str, evidence: str) -> list[str]:
    """Everything in the answer that its evidence does not back: figures, names and links, and
    "wording" when most of its content words are not the evidence's."""
    problems = unsupported(answer, evidence)
    if unsupported_wording(answer, evidence):
        problems.append("wording")
    return problems


def off_topic(question: str, evidence: str, context: str = "") -> list[str]:
    """Names the question asks about that the evidence does not mention.

    Figures are left out (a question's "2026" may be implied by a table's column), and a
    numbered name fails only when the evidence names a different number of the same thing: a
    "Graviton 3" row does not answer a Graviton 4 question, a "Trainium" table may well answer a
    Trainium 2 one. A plain name may also come from `context`, the rest of the evidence's
    section: an "A100/H100" row in a table about Nvidia answers a question that says "Nvidia".
    """
    known_words, context_words = _words(evidence), _words(context)
    flat_evidence = " ".join(evidence.lower().split())
    missing = []
    for name in names(question):
        if " " not in name:
            # "AI-generated" is about AI: only its capitalised parts have to be there.
            parts = [p for p in name.split("-") if any(c.isupper() for c in p)] or [name]
            if not all(_known_word(p.lower(), known_words | context_words) for p in parts):
                missing.append(name)
            continue
        stem = name.rsplit(" ", 1)[0].lower()
        if name.lower() not in flat_evidence and re.search(rf"\b{re.escape(stem)} \d", flat_evidence):
            missing.append(name)
    return list(dict.fromkeys(missing))


# Words that make a question ask for an amount of money (or a share of one).
_MONEY_QUESTION = re.compile(
    r"\b(prices?|priced|pricing|costs?|income|revenues?|dividends?|capex|spend|spending|"
    r"investments?|valuation|profits?)\b",
    re.IGNORECASE,
)


# Words that make a question ask for a share: a percentage or basis points.
_SHARE_QUESTION = re.compile(r"%|\b(?:percent(?:age)?s?|pct|margins?|share of|(?:market|mkt) share)\b", re.IGNORECASE)
_SHARE = re.compile(r"%|\bbps\b|\bbasis points?\b|\bpercent", re.IGNORECASE)


def wrong_kind_of_figure(question: str, answer: str, evidence: str) -> bool:
    """True when the answer's figures are not the kind of amount the question asks for: money
    for a price or a cost (a share price answered with "3.8GW"), a share for a margin or a
    percentage (an operating margin answered with "1GW"). A figure counts as money when it, or
    the same value in the evidence, is written with "$"; a share is written with "%" or "bps"."""
    found = figures(CITATION.sub(" ", answer))
    if not found:
        return False
    if _SHARE_QUESTION.search(question) and not _SHARE.search(CITATION.sub(" ", answer)):
        return True
    if not _MONEY_QUESTION.search(question):
        return False
    money = {v for f in figures(evidence) if "$" in f.surface or "%" in f.surface for v in f.values}
    return not any("$" in f.surface or "%" in f.surface or f.values & money for f in found)


def says_nothing_new(answer: str, question: str) -> bool:
    """True when the answer only repeats words of the question ("Strongest advantage [1]." to
    "What is DSP's strongest advantage?", a bare "Yes [1]."): it cites a source but tells the
    reader nothing the question did not."""
    body = CITATION.sub(" ", answer)
    if _values(body) - _values(question):
        return False
    asked = _words(question)
    return all(
        _known_word(w, asked) or w in _NOT_NAMES or w in _COMMON
        for w in (w.lower() for w in _WORD.findall(body))
    )


def only_a_label(answer: str, units: list[Unit]) -> bool:
    """True when the answer is no more than a heading or a table's title among its sources
    ("AgentCore (AI Agent Infrastructure) [1]."): it names where the answer is, not what it is."""
    body = normalised(CITATION.sub(" ", answer)).strip(" .")
    labels = {normalised(part) for unit in units for part in unit.section.split(" > ")}
    labels |= {normalised(table_title(unit)) for unit in units if unit.kind == "row"}
    # A row's lead ("Project Rainier — Specification: Primary Use Case.") names the row, not its cells.
    labels |= {normalised(statements(unit).lead) for unit in units if unit.kind in ("list", "row")}
    return bool(body) and body in labels


def cells_holding(text: str, units: list[Unit]) -> list[tuple[str, str]]:
    """The (column, value) table cells of the cited rows that hold the answer's figures, or its
    words when it has none."""
    answer = CITATION.sub(" ", text)
    wanted = _values(answer)
    found = []
    for unit in units:
        for column, value in cells(unit):
            if (wanted & _values(value)) if wanted else _has_words(value, answer):
                found.append((column, value))
    return found


def other_period(question: str, column: str) -> bool:
    """The question names a year or quarter and the column is about a different one."""
    asked, named = set(PERIOD.findall(question)), set(PERIOD.findall(column))
    return bool(asked and named and not asked & named)


def not_the_asked_period(question: str, held: list[tuple[str, str]], cited_cells: list[tuple[str, str]]) -> bool:
    """The question names a period the cited table has a column for ("2027 Target"), and the
    answer's cells come from other columns ("Current"): a neighbouring figure, not the asked one."""
    asked = set(PERIOD.findall(question))
    period_columns = {column for column, _ in cited_cells if asked & set(PERIOD.findall(column))}
    return bool(period_columns) and not any(column in period_columns for column, _ in held)


def whole_cell(text: str, held: list[tuple[str, str]]) -> str:
    """An answer that is a piece of one short cell ("Medium" of "Medium (40-50%)") becomes the
    whole cell: a table's cell is one fact, and its qualifier is part of it."""
    body = CITATION.sub(" ", text).strip(" .")
    holding = [value for _, value in held if body and _has_words(value, body)]
    if len(holding) != 1 or len(holding[0]) > 80 or normalised(body) == normalised(holding[0]):
        return text
    return f"{holding[0]} {_markers(text)}".strip()


def labelled_cell(text: str, units: list[Unit]) -> str:
    """An answer that is exactly one cell of a cited row ("Medium (20-30%) [1]") says what it is:
    "Rufus Cannibalization — Likelihood: Medium (20-30%) [1]". A bare cell answers a follow-up
    without naming what it answers about."""
    body = normalised(CITATION.sub(" ", text).strip(" ."))
    found = [
        (row_label(unit), column, value)
        for unit in units if row_label(unit)
        for column, value in cells(unit)[1:] if body and normalised(value) == body
    ]
    if len(found) != 1:
        return text
    label, column, value = found[0]
    return f"{label} — {column}: {value} {_markers(text)}".strip() + ("." if text.rstrip().endswith(".") else "")


def _markers(text: str) -> str:
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


def is_refusal(answer: str) -> bool:
    """The answer's first sentence says the sources do not answer (a pasted source that merely
    contains "none given" further on is not a refusal)."""
    first = re.split(r"(?<=[.!?])\s", answer.strip(), maxsplit=1)[0]
    return bool(REFUSAL.search(first))


def best_quote(answer: str, source_text: str, limit: int = 220) -> str:
    """The piece of a source (row cell, bullet, sentence) that shares most with the answer."""
    pieces = [p.strip() for p in re.split(r"\n|(?<=[.;])\s+", source_text) if p.strip()]
    if not pieces:
        return ""
    answer_values, answer_words = _values(answer), _words(answer)

    def overlap(piece: str) -> tuple[int, int]:
        return (len(_values(piece) & answer_values), len(_words(piece) & answer_words))

    best = max(pieces, key=overlap)
    return best if len(best) <= limit else best[: limit - 1] + "…"


def support_score(answer: str, source_text: str) -> tuple[int, int]:
    """How much of the answer a source backs: shared figures first, then shared words."""
    return (len(_values(answer) & _values(source_text)), len(_words(answer) & _words(source_text)))
