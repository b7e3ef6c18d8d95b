"""The grounding check: every figure, name and link in an answer must be in its sources; and
the other checks of an answer against its evidence (the kind of figure, the table column, the
topic), with the repairs that widen or label a table cell.

Figures and names are read as `text.py` reads them (figures by value, names as capitalised
words that do not merely start a sentence). Small models invent both (a CEO's name, a plausible
percentage); this check is what keeps such an answer from being shown as fact.
"""

from __future__ import annotations

import re

from amzn_qa.answer.markers import CITATION, markers_of
from amzn_qa.answer.text import (
    NOT_NAMES, WORD, figure_values, figures, has_words, known_name, known_word, names, normalised, words_of,
)
from amzn_qa.ingest.documents import PERIOD, Unit, cells, row_label, statements, table_title

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
    known_values, known_words = figure_values(evidence), words_of(evidence)
    # An answer's figure counts at its full value: "40K+" is not backed by a "40%" elsewhere.
    missing = [f.surface for f in figures(body) if max(f.values) not in known_values]
    flat_evidence = " ".join(evidence.lower().split())
    missing += [
        n for n in names(body)
        if (n.lower() not in flat_evidence if " " in n else not known_name(n, known_words))
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
    known = words_of(evidence)
    found = sum(1 for w in words if known_word(w, known) or w.rstrip("s") in known)
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
    known_words, context_words = words_of(evidence), words_of(context)
    flat_evidence = " ".join(evidence.lower().split())
    missing = []
    for name in names(question):
        if " " not in name:
            # "AI-generated" is about AI: only its name parts have to be there.
            if not known_name(name, known_words | context_words):
                missing.append(name)
            continue
        stem = name.rsplit(" ", 1)[0].lower()
        if name.lower() not in flat_evidence and re.search(rf"\b{re.escape(stem)} \d", flat_evidence):
            missing.append(name)
    return list(dict.fromkeys(missing))


# Words of money: they make a question ask for an amount of money (or a share of one), and a
# short clause of a source give one.
_MONEY_WORDS = re.compile(
    r"\b(prices?|priced|pricing|costs?|income|revenues?|dividends?|capex|spend|spending|"
    r"investments?|valuation|profits?)\b",
    re.IGNORECASE,
)


# Words that make a question ask for a share: a percentage or basis points.
_SHARE_QUESTION = re.compile(r"%|\b(?:percent(?:age)?s?|pct|margins?|share of|(?:market|mkt) share)\b", re.IGNORECASE)
_SHARE = re.compile(r"%|\bbps\b|\bbasis points?\b|\bpercent", re.IGNORECASE)


# "How long did they spend ...": a duration, whatever money word the question uses.
_DURATION_QUESTION = re.compile(r"\bhow long\b|\bhow many (?:years|months|weeks|days|quarters)\b", re.IGNORECASE)
# A short clause of a source ("2B partner investment"): its figure is money when the clause names money.
_CLAUSE_BREAK = re.compile(r"[;()\n]|[,.:]\s")
_SHORT_CLAUSE_WORDS = 5


# A question that names the currency, not a figure of it ("in $ terms", "the dollar figure"):
# it asks for an amount of money, and a share of one ("150% growth") is not that.
_CURRENCY_ASKED = re.compile(
    r"\bin (?:\$|dollars?\b|usd\b)|(?:\$|\bdollar|\busd)\s?(?:figure|amount|value|terms|number)\b"
    r"|\bhow many dollars\b|\$/", re.IGNORECASE,
)


def _money_values(evidence: str, shares: bool = True) -> set[float]:
    """The values the evidence gives as money (or, with `shares`, a share of it): written with
    "$" (or "%"), or the one figure of a short clause that names money ("2B partner investment")."""
    marks = ("$", "%") if shares else ("$",)
    values = {v for f in figures(evidence) if any(m in f.surface for m in marks) for v in f.values}
    for clause in _CLAUSE_BREAK.split(evidence):
        found = figures(clause)
        if len(found) == 1 and len(clause.split()) <= _SHORT_CLAUSE_WORDS and _MONEY_WORDS.search(clause) \
                and (shares or "%" not in found[0].surface):
            values |= found[0].values
    return values


def wrong_kind_of_figure(question: str, answer: str, evidence: str) -> bool:
    """True when the answer's figures are not the kind of amount the question asks for: money
    for a price or a cost (a share price answered with "3.8GW"), a share for a margin or a
    percentage (an operating margin answered with "1GW"). A figure counts as money when it, or
    the same value in the evidence, is money (`_money_values`); a share is written with "%" or "bps"."""
    found = figures(CITATION.sub(" ", answer))
    if not found:
        return False
    if _SHARE_QUESTION.search(question):
        return not _SHARE.search(CITATION.sub(" ", answer))
    if _DURATION_QUESTION.search(question):
        return False
    if _CURRENCY_ASKED.search(question):
        money = _money_values(evidence, shares=False)
        return not any("$" in f.surface or f.values & money for f in found)
    if not _MONEY_WORDS.search(question):
        return False
    money = _money_values(evidence)
    return not any("$" in f.surface or "%" in f.surface or f.values & money for f in found)


def says_nothing_new(answer: str, question: str) -> bool:
    """True when the answer only repeats words of the question ("Strongest advantage [1]." to
    "What is DSP's strongest advantage?", a bare "Yes [1]."): it cites a source but tells the
    reader nothing the question did not."""
    body = CITATION.sub(" ", answer)
    if figure_values(body) - figure_values(question):
        return False
    asked = words_of(question)
    return all(
        known_word(w, asked) or w in NOT_NAMES or w in _COMMON
        for w in (w.lower() for w in WORD.findall(body))
    )


def only_a_label(answer: str, units: list[Unit], asks_which: bool = False) -> bool:
    """True when the answer is no more than a heading or a table's title among its sources
    ("AgentCore (AI Agent Infrastructure) [1]."), or has no figure and no word but those of their
    headings, table titles, row labels and column headers ("Curo [1].", "Privacy [2].") unless the
    question asks which one (`asks_which`): it names where the answer is, not what it is."""
    body = normalised(CITATION.sub(" ", answer)).strip(" .")
    headings = {normalised(part) for unit in units for part in unit.section.split(" > ")}
    headings |= {normalised(table_title(unit)) for unit in units if unit.kind == "row"}
    # A row's lead ("Project Rainier — Specification: Primary Use Case.") names the row, not its cells.
    labels = headings | {normalised(statements(unit).lead) for unit in units if unit.kind in ("list", "row")}
    # A list's label may hold its value ("Overall Execution: A (Excellent)"): its words are no
    # label's for an answer made of them.
    places = headings | {normalised(text) for unit in units if unit.kind == "row"
                         for text in (row_label(unit), *_headers(unit))}
    place_words = {word for place in places for word in place.split()}
    # "Which product …?" is answered by a row's label: then only a whole heading or title says nothing.
    only_their_words = body in places or (not figures(body) and set(body.split()) <= place_words)
    return bool(body) and (body in labels or (not asks_which and only_their_words))


def _headers(row: Unit) -> list[str]:
    """The row's column headers."""
    return [column for column, _ in cells(row)]


def cells_holding(text: str, units: list[Unit]) -> list[tuple[str, str]]:
    """The (column, value) table cells of the cited rows that hold the answer's figures, or its
    words when it has none."""
    answer = CITATION.sub(" ", text)
    wanted = figure_values(answer)
    found = []
    for unit in units:
        for column, value in cells(unit):
            if (wanted & figure_values(value)) if wanted else has_words(value, answer):
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
    holding = [value for _, value in held if body and has_words(value, body)]
    if len(holding) != 1 or len(holding[0]) > 80 or normalised(body) == normalised(holding[0]):
        return text
    return f"{holding[0]} {markers_of(text)}".strip()


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
    return f"{label} — {column}: {value} {markers_of(text)}".strip() + ("." if text.rstrip().endswith(".") else "")


def best_quote(answer: str, source_text: str, limit: int = 220) -> str:
    """The piece of a source (row cell, bullet, sentence) that shares most with the answer."""
    pieces = [p.strip() for p in re.split(r"\n|(?<=[.;])\s+", source_text) if p.strip()]
    if not pieces:
        return ""
    answer_values, answer_words = figure_values(answer), words_of(answer)

    def overlap(piece: str) -> tuple[int, int]:
        return (len(figure_values(piece) & answer_values), len(words_of(piece) & answer_words))

    best = max(pieces, key=overlap)
    return best if len(best) <= limit else best[: limit - 1] + "…"


def support_score(answer: str, source_text: str) -> tuple[int, int]:
    """How much of the answer a source backs: shared figures first, then shared words."""
    return (len(figure_values(answer) & figure_values(source_text)), len(words_of(answer) & words_of(source_text)))
