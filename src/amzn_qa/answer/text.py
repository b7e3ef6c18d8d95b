"""What a text says, read the same way by every check of an answer: its figures by value, its
names, its words, and whether it says that the sources do not answer.

Figures are compared by value, not spelling: `3.8GW` = `3.8 GW`, `$50-70K` = `$50K–$70K` =
`50,000 to 70,000`, `1M+` = `1 million`. Names are capitalised words that do not merely start
a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
WORD = re.compile(r"[A-Za-z][A-Za-z0-9&'’\-]*[A-Za-z0-9]|[A-Za-z]")
# A word's possessive or contraction, which a name does not carry ("Acme's", "I'm").
_CONTRACTION = re.compile(r"['’](?:s|m|re|ve|d|ll)$")
# A sentence ends at its stop and any closing quote or bracket ('…Acme." What figure').
_SENTENCE_BREAK = re.compile(r"(?:[.!?:;][\"'”’)\]]*\s+|\n+|^\s*[-*•]\s+|\[\d+\]\s*)")
# Words that are capitalised for reasons other than being a name.
NOT_NAMES = frozenset(
    "i a an the this that these those it its in on at of for to and or but if as by from with "
    "yes no not however also according source sources document answer note "
    # chat shorthand any message may use
    "tl dr tldr fyi pls plz asap imo imho btw thx ty "
    # unit symbols a question may ask its figure in ("in GW/MW")
    "kw mw gw tw kwh mwh gwh twh".split()
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


def has_words(text: str, words: str) -> bool:
    """`words` occur in `text` as whole words, in order ("Low" is in "Low (20-30%)", not in "Slow")."""
    return bool(normalised(words)) and f" {normalised(words)} " in f" {normalised(text)} "


def figure_values(text: str) -> set[float]:
    """Every value the text's figures may stand for."""
    return {v for f in figures(text) for v in f.values}


# A year after a name is its period ("AWS 2027 target"), not its number.
_NUMBER_AFTER_NAME = re.compile(r"^ (?!(?:19|20)\d\d\b)(\d+(?:\.\d+)?)(?![\d.,]*\w)")


def names(text: str) -> list[str]:
    """Capitalised words that are not just the first word of a sentence or list item, and
    numbered names such as "Trainium 3" (a "Trainium 2" source does not support them)."""
    found = []
    for segment in _SENTENCE_BREAK.split(text):
        for position, match in enumerate(WORD.finditer(segment)):
            word = _CONTRACTION.sub("", match.group())
            if not word[0].isupper() or word.lower() in NOT_NAMES:
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


def words_of(text: str) -> set[str]:
    """The text's words in lower case, each also without a possessive "'s", and the parts of a
    hyphenated word ("ARM-based": "arm")."""
    words = {w.lower() for w in WORD.findall(text)}
    bare = {re.sub(r"['’]s$", "", w) for w in words}
    return words | bare | {part for w in bare if "-" in w for part in w.split("-") if part}


def singular(word: str) -> str:
    """A lower-case word without a plural "s" ("risks": risk; not "business", "gas")."""
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 else word


def adjective_bases(word: str) -> tuple[str, ...]:
    """The names a place adjective may come from ("american": "america"; "european": "europe")."""
    return (word[:-1], word[:-2]) if word.endswith("an") and len(word) > 5 else ()


def known_name(name: str, known: set[str]) -> bool:
    """A one-word name known as written, or a hyphenated one with an ordinary lower-case word
    whose other parts are known ("AI-voiced", "Trainium-adoption"); one made only of name parts
    ("Nova-Pro", "GPT-4o") must be known whole."""
    if known_word(name.lower(), known):
        return True
    parts = name.split("-")
    named = [part for part in parts if not (part.isalpha() and part.islower())]
    return len(named) < len(parts) and all(known_word(part.lower(), known) for part in named)


def known_word(word: str, known: set[str]) -> bool:
    """Known as written, in the singular ("SKUs": "SKU") or the plural ("SKU": "SKUs"), or as the
    adjective of a known name ("American": "America", "European": "Europe")."""
    singular = word[:-1] if word.endswith("s") else word
    return any(form in known for form in (word, singular, f"{word}s", *adjective_bases(singular)))


def is_refusal(answer: str) -> bool:
    """The answer's first sentence says the sources do not answer (a pasted source that merely
    contains "none given" further on is not a refusal)."""
    first = re.split(r"(?<=[.!?])\s", answer.strip(), maxsplit=1)[0]
    return bool(REFUSAL.search(first))

