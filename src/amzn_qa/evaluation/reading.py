"""How the evaluation reads an answer: the figures it states, by value, and whether it says that
the documents do not answer. Written apart from the chain's own reading (answer/text.py) on
purpose: a metric computed with the parser of the pipeline it measures cannot show that
parser's bugs.

A figure stands for every value it may mean: "1M+" for 1,000,000, "3.8GW" for 3.8, "2,300" for
2300. In a range ("$50-70K", "30 to 40%") a start written without a multiplier may also take
the end's: the "50" of "$50-70K" stands for 50 and 50,000. What a figure claims is the largest
of its values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MULTIPLIERS = {
    "thousand": 1e3, "k": 1e3,
    "million": 1e6, "mn": 1e6, "mm": 1e6, "m": 1e6,
    "billion": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "tn": 1e12, "t": 1e12,
}
_LONGEST_FIRST = "|".join(sorted(MULTIPLIERS, key=len, reverse=True))
# A number that is not the tail of a name or a code ("H100", "Q4", "v2.5"), with its multiplier
# when one follows as a word or a letter ("50K", "1 million"; not the "m" of "5 minutes").
_FIGURE = re.compile(
    rf"(?<![0-9A-Za-z_.])\$?(?P<number>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    rf"(?:\s?(?P<multiplier>{_LONGEST_FIRST})(?![A-Za-z]))?%?\+?",
    re.IGNORECASE,
)
_RANGE_BETWEEN = re.compile(r"\s*(?:-|–|—|to)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class StatedFigure:
    written: str
    values: frozenset[float]

    @property
    def claimed(self) -> float:
        """The figure at its full value: the "50" of "$50-70K" claims 50,000."""
        return max(self.values)


def stated_figures(text: str) -> list[StatedFigure]:
    """The figures of `text` in order, each with the values it may stand for."""
    found = list(_FIGURE.finditer(text))
    stated = []
    for figure, after in zip(found, found[1:] + [None]):
        values = {_value(figure)}
        if after and not figure["multiplier"] and after["multiplier"] and _RANGE_BETWEEN.fullmatch(
                text[figure.end():after.start()]):
            values.add(_value(figure) * MULTIPLIERS[after["multiplier"].lower()])
        stated.append(StatedFigure(figure.group().strip(), frozenset(values)))
    return stated


def _value(figure: re.Match) -> float:
    number = float(figure["number"].replace(",", ""))
    return number * MULTIPLIERS[figure["multiplier"].lower()] if figure["multiplier"] else number


def stated_values(text: str) -> set[float]:
    """Every value any figure of `text` may stand for."""
    return {value for figure in stated_figures(text) for value in figure.values}


# "The document does not cover this.", "The context doesn't mention ...", "No information on
# ...", "... is not stated": said of the documents in an answer's opening sentence.
_TELL = "say|state|mention|specify|provide|contain|include|cover|give|find|know|answer|disclose"
_NOT_ANSWERED = re.compile(
    rf"\b(?:(?:does|do|did|could)\s+not|(?:doesn|don|didn|couldn|can)['’]t|cannot|unable\s+to)\s+(?:{_TELL})\b"
    r"|\bno\s+(?:information|mention|data|details?)\b"
    r"|\bnot\s+(?:mentioned|stated|specified|provided|covered|available|disclosed|given)\b"
    r"|\b(?:is\s+unknown|none\s+given)\b",
    re.IGNORECASE,
)
_FIRST_SENTENCE = re.compile(r".*?(?:[.!?](?=\s)|$)", re.DOTALL)


def says_not_answered(answer: str) -> bool:
    """The answer opens by saying the documents do not answer; a quoted passage that merely
    holds "none given" further on does not."""
    return bool(_NOT_ANSWERED.search(_FIRST_SENTENCE.match(answer.strip()).group()))
