"""The documents' own vocabulary: a question's misspelled or shortened names and its finance
shorthand resolved to the words the index uses, before retrieval and the coverage check.

Analysts type "trainum", "Bedrok", "trn2" and "capex"; the document writes "Trainium",
"Bedrock", "Trainium 2" and "capital expenditure". Only words that are neither in the
documents nor ordinary English (a whole word of the embedding model's WordPiece vocabulary) are
corrected, so "weather" is never turned into "whether" and an off-topic question stays off-topic.
Ordinary English the documents spell otherwise is written their way: a British or American
spelling ("centre", "center"), a term of the field they only abbreviate ("availability zones":
"AZs"), a figure's worded "plus" ("$10B-plus": "$10B+").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from rapidfuzz import fuzz, process

from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.text import known_word, names as names_in
from amzn_qa.ingest.documents import Unit
from amzn_qa.models import embedding_model_dir

# Common finance and analyst shorthand (not this report's): what the abbreviation stands for.
FINANCE_SHORTHAND = {
    "qoq": "quarter over quarter", "q/q": "quarter over quarter", "yoy": "year over year",
    "y/y": "year over year", "opex": "operating expenses", "capex": "capital expenditure capex",
    "fcf": "free cash flow", "gm": "gross margin", "bps": "basis points", "tam": "total addressable market",
    "rev": "revenue", "revs": "revenue", "y/e": "year-end", "ye": "year-end", "eoy": "end of year",
    "ltm": "last twelve months past 12 months", "ttm": "trailing twelve months past 12 months",
    "mgmt": "management", "pt": "price target", "px": "share price", "eps": "earnings per share", "yr": "year",
    "yrs": "years", "mo": "month", "mos": "months", "qtr": "quarter", "hc": "headcount",
    "perf": "performance", "vs": "versus", "w/": "with", "w/o": "without", "approx": "approximately",
    "cust": "customers", "custs": "customers", "infra": "infrastructure", "dev": "developer",
    "devs": "developers", "comps": "competitors", "util": "utilization", "mkt": "market", "mktg": "marketing",
}
# Common analyst idioms (not this report's) for what reports name plainly: the plain words are
# added beside the idiom, so retrieval finds a risk table for "the downside".
ANALYST_IDIOMS = {
    "downside": "risk", "downsides": "risks", "bear case": "risks", "what could go wrong": "risks",
    "up against": "competitors competition", "rivals": "competitors", "rival": "competitor",
    "upside": "opportunity potential", "bull case": "opportunity potential",
}
# Terms of the field (cloud, chips, finance, advertising; not this report's) and their usual
# abbreviations: a question that spells one out finds the abbreviation a document uses instead.
FIELD_ABBREVIATIONS = {
    "availability zone": "AZ", "thermal design power": "TDP", "content delivery network": "CDN",
    "total addressable market": "TAM", "return on investment": "ROI", "key performance indicator": "KPI",
    "large language model": "LLM", "graphics processing unit": "GPU", "software development kit": "SDK",
    "integrated development environment": "IDE", "stock keeping unit": "SKU", "search engine optimization": "SEO",
    "search engine optimisation": "SEO", "connected tv": "CTV", "demand side platform": "DSP",
    "trailing twelve months": "TTM", "artificial intelligence": "AI", "machine learning": "ML",
    "general data protection regulation": "GDPR",
}
_FIELD_TERM = re.compile(
    r"\b(" + "|".join(t.replace(" ", r"[\s-]+") for t in sorted(FIELD_ABBREVIATIONS, key=len, reverse=True)) + r")(s?)\b", re.I
)
_IDIOM = re.compile(r"\b(" + "|".join(sorted(map(re.escape, ANALYST_IDIOMS), key=len, reverse=True)) + r")\b", re.I)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z/]*[A-Za-z0-9]|[A-Za-z]")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# "Amazon Marketing Cloud (AMC)": an abbreviation the document defines for a longer name.
_ALIAS = re.compile(r"\b([A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,4})\s+\(([A-Z][A-Z0-9&]{1,9})\)")
_VOWELS = set("aeiou")
# Two to four capitalised words in a row ("Amazon Marketing Cloud"): names an acronym may stand for.
_PHRASE = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+){1,3}\b")
# "q4 25", "Q4'25", "4Q25": a quarter with a two-digit year.
_SHORT_QUARTER = re.compile(r"\b[qQ]([1-4])\s?'?(\d{2})\b(?!\d)|\b([1-4])[qQ]'?(\d{2})\b")
# "the fourth quarter of 2025", "second quarter of twenty twenty five", "Q3 of 2025": a quarter
# in words, as the documents write it (Q4 2025).
_ORDINALS = {"first": "1", "1st": "1", "second": "2", "2nd": "2", "third": "3", "3rd": "3", "fourth": "4", "4th": "4"}
_SPOKEN_YEAR = r"20\d\d|twenty[\s-]+(?:twenty|thirty)[\s-]+(?:one|two|three|four|five|six|seven|eight|nine)"
_WORDED_QUARTER = re.compile(
    rf"\b(?:the\s+)?(?:({'|'.join(_ORDINALS)})\s+quarter|[qQ]([1-4]))\s+(?:of\s+)?({_SPOKEN_YEAR})\b", re.I
)
_UNITS = {w: str(n) for n, w in enumerate("one two three four five six seven eight nine".split(), 1)}
# "YE25", "EOY'25": the end of a year written with two digits, as documents write it (year-end 2025).
_SHORT_YEAR_END = re.compile(r"\b(?:ye|eoy|fye)\s?'?(\d{2})\b(?!\d)", re.I)
# British and American spellings of one word: "centre"/"center", "labour"/"labor",
# "optimise"/"optimize", "analyse"/"analyze", "modelling"/"modeling" (a doubled "l" only after two
# syllables: "filled" is not "filed"), "catalogue" -> "catalog", "defence" -> "defense".
_SPELLING_SWAPS = [(re.compile(pattern), spelled) for pattern, spelled in (
    (r"^(\w{2,}[^aeiou])re(s?)$", r"\1er\2"), (r"^(\w{2,}[^aeiou])er(s?)$", r"\1re\2"),
    (r"^(\w{3,})our(s?|ed|ing)$", r"\1or\2"), (r"^(\w{2,}[^aeiou])or(s?|ed|ing)$", r"\1our\2"),
    (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"), (r"iz(e|es|ed|ing|ation|ations)$", r"is\1"),
    (r"ys(e|es|ed|ing)$", r"yz\1"), (r"yz(e|es|ed|ing)$", r"ys\1"),
    (r"^(\w*[aeiou][^aeiou]+[aeiou])ll(ed|ing|er|ers)$", r"\1l\2"),
    (r"^(\w*[aeiou][^aeiou]+[aeiou])l(ed|ing|er|ers)$", r"\1ll\2"), (r"ogue(s?)$", r"og\1"), (r"ence$", r"ense"),
)]
# "$10B-plus", "10K plus": a figure's "+" written as a word (not "2 plus 2", nor a name's number,
# "Graviton 4 plus Trainium 3").
_WORDED_PLUS = re.compile(r"(?<![A-Za-z])(?<![A-Za-z] )(\d[\d.,]*[KMBT%]?)[\s-]plus\b(?!\s*\d)", re.I)
# Two capitalised words typed apart ("Data Hub"), perhaps a name the documents write as one.
_SPLIT_NAME = re.compile(r"\b(?=([A-Z][a-z]+) ([A-Z][a-z]+)\b)")  # every pair: "Does Data Hub"


def _year(spoken: str) -> str:
    """"2025", or "twenty twenty five" as 2025."""
    if spoken.isdigit():
        return spoken
    _, decade, unit = re.split(r"[\s-]+", spoken.lower())
    return f"20{2 if decade == 'twenty' else 3}{_UNITS[unit]}"


def worded_quarters(question: str) -> str:
    """A quarter written in words as the documents write it ("fourth quarter of 2025": Q4 2025)."""
    return _WORDED_QUARTER.sub(
        lambda m: f"Q{_ORDINALS[m.group(1).lower()] if m.group(1) else m.group(2)} {_year(m.group(3))}", question
    )
_CODE = re.compile(r"\b[A-Za-z]+\d+[A-Za-z0-9]*\b")
_MID_SENTENCE = re.compile(r"\b[a-z]+,? ([A-Z][A-Za-z0-9]+)")  # "than Azure", not "Analysis Date"


# A name in at least this share of the units is what the documents are about, not a qualifier
# of a question's subject (answer/alignment.py).
SUBJECT_SHARE = 0.08


def subject_names(units: list[Unit]) -> frozenset[str]:
    """The names (lower case) so many units carry that they are the documents' subject."""
    counts = Counter(name for unit in units for name in {n.lower() for n in names_in(unit.text)})
    return frozenset(name for name, count in counts.items() if count >= SUBJECT_SHARE * len(units))


@dataclass
class Vocabulary:
    """Words and names of the indexed documents, and aliases they define ("Demand-Side Platform
    (DSP)")."""

    words: Counter = field(default_factory=Counter)
    names: dict[str, str] = field(default_factory=dict)  # lower-case -> as the documents write it
    generations: set[str] = field(default_factory=set)  # numbered names, lower case ("trainium 2")
    aliases: dict[str, str] = field(default_factory=dict)  # lower-case alias -> its long form
    acronyms: dict[str, set[str]] = field(default_factory=dict)  # "amc" -> {"Amazon Marketing Cloud"}
    subject: frozenset[str] = frozenset()  # lower-case names so many units carry they are the subject
    capitalised: set[str] = field(default_factory=set)  # lower case of words only ever written capitalised

    @classmethod
    def of(cls, units: list[Unit]) -> Vocabulary:
        vocabulary, spellings, mid_sentence = cls(), Counter(), set()
        for unit in units:
            text = f"{unit.section}\n{unit.text}"
            spellings.update(_WORD.findall(text))
            mid_sentence.update(_MID_SENTENCE.findall(text))
            vocabulary.generations.update(n.lower() for n in re.findall(r"\b[A-Z][A-Za-z]+ \d\b", text))
            for long_form, short in _ALIAS.findall(text):
                vocabulary.aliases.setdefault(short.lower(), long_form)
            for phrase in _PHRASE.findall(text):
                initials = "".join(w[0] for w in phrase.split()).lower()
                vocabulary.acronyms.setdefault(initials, set()).add(phrase)
        for spelling, count in spellings.items():
            vocabulary.words[spelling.lower()] += count
        vocabulary.subject = subject_names(units)
        # A name is a word the documents only ever write capitalised, and either write so in the
        # middle of a sentence ("than Azure") or with inner capitals or digits ("AgentCore",
        # "EC2"); a table header's "Date" is not one.
        lower_case = {w for w in spellings if w.islower()}
        vocabulary.capitalised = {w.lower() for w in spellings if w[0].isupper() and w.lower() not in lower_case}
        for spelling in spellings:
            inner = any(c.isupper() or c.isdigit() for c in spelling[1:])
            if spelling[0].isupper() and spelling.lower() not in lower_case and (inner or spelling in mid_sentence):
                vocabulary.names.setdefault(spelling.lower(), spelling)
        return vocabulary

    def resolve(self, question: str) -> str:
        """The question with unknown words replaced by the documents' own (shorthand expanded,
        misspelled or abbreviated names corrected, "q4 25" read as Q4 2025, an acronym of one of
        the documents' names spelled out), and the documents' names capitalised as they write
        them ("azure" -> "Azure"); other known words are left as typed."""
        question = _SHORT_QUARTER.sub(lambda m: f"Q{m.group(1) or m.group(3)} 20{m.group(2) or m.group(4)}", question)
        question = _SHORT_YEAR_END.sub(lambda m: f"year-end 20{m.group(1)}", question)
        question = worded_quarters(question)
        question = self._joined(question)
        question = _IDIOM.sub(lambda m: f"{m.group()} ({ANALYST_IDIOMS[m.group().lower()]})", question)
        question = _WORDED_PLUS.sub(r"\1+", question)
        question = self._as_abbreviations(question)
        question = _PHRASE.sub(lambda m: self._as_acronym(m.group()), question)
        return _TOKEN.sub(lambda m: self._resolved_word(m.group()), question)

    def unknown_codes(self, question: str) -> list[str]:
        """Model numbers and codes of the question ("b200", "gb300") that no document has, in
        whatever case they were typed: a question about them is about something else."""
        return [code for code in _CODE.findall(question) if code.lower() not in self.words]

    def _joined(self, question: str) -> str:
        """Two words typed apart as the one name the documents write ("Data Hub": "DataHub")."""
        for first, second in (pair.groups() for pair in _SPLIT_NAME.finditer(question)):
            name = self.names.get(f"{first}{second}".lower())
            if name:
                question = question.replace(f"{first} {second}", name, 1)
        return question

    def foreign(self, name: str) -> bool:
        """A name none of whose words the documents use ("Monday", "LinkedIn")."""
        return not any(known_word(w.lower(), self.words) for w in _WORD.findall(name))

    def _as_abbreviations(self, question: str) -> str:
        """A term of the field spelled out where the documents only use its abbreviation,
        written as they write it ("availability zones" -> "AZs")."""
        return _FIELD_TERM.sub(self._abbreviation, question)

    def _abbreviation(self, term: re.Match) -> str:
        """The documents' abbreviation of a field term (plural if the term is), or the term as
        typed when the documents write all its words or no abbreviation of it."""
        words = re.split(r"[\s-]+", term.group(1).lower())
        if all(w in self.words for w in words):
            return term.group()
        short = FIELD_ABBREVIATIONS[" ".join(words)].lower()
        return self.names.get(f"{short}s" if term.group(2) else short) or self.names.get(short) or term.group()

    def _as_acronym(self, phrase: str) -> str:
        """A name the documents do not spell out, written as the acronym they use for it
        ("Availability Zones" -> "AZs"); any other phrase as it is."""
        if all(w.lower() in self.words for w in phrase.split()):
            return phrase
        initials = "".join(w[0] for w in phrase.split()).lower()
        # An acronym as the documents write it, in capitals but for a plural's "s" ("AZs").
        used = [self.names[a] for a in (initials, f"{initials}s") if a in self.names and self.names[a][:-1].isupper()]
        return used[0] if used else phrase

    def _resolved_word(self, word: str) -> str:
        lower = word.lower()
        if lower in self.aliases and word.isupper():
            return f"{word} ({self.aliases[lower]})"
        if lower in self.names:
            return self.names[lower]  # written as the documents write a name, so checks see it
        if lower in self.words:
            return word
        if lower in FINANCE_SHORTHAND:
            return FINANCE_SHORTHAND[lower]
        if word.isupper() and len(self.acronyms.get(lower, ())) == 1:
            # The documents never write this acronym, so their name replaces it: a check that the
            # sources mention what was asked then looks for the name they do write.
            return next(iter(self.acronyms[lower]))
        other = self._other_spelling(lower)
        if other:
            return other
        # "hows", "whats": an English word with its "'s" typed without the apostrophe.
        if (len(lower) < 3 and not _CODE.fullmatch(lower)) or "/" in lower or lower in english_words() or lower.removesuffix("s") in english_words():
            return word
        return self._abbreviated(lower) or self._misspelled(lower) or word

    def _other_spelling(self, word: str) -> str | None:
        """The documents' British or American spelling of the word ("centre" -> "center",
        "labor" -> "labour", "optimise" -> "optimize"), if they write it so."""
        variants = {pattern.sub(spelled, word) for pattern, spelled in _SPELLING_SWAPS}
        return next((v for v in sorted(variants) if v != word and v in self.words), None)

    def _misspelled(self, word: str) -> str | None:
        """The documents' word closest in spelling ("Bedrok" -> "Bedrock"), if close enough."""
        if len(word) < 4:
            return None
        match = process.extractOne(word, self._long_words, scorer=fuzz.ratio, score_cutoff=80)
        if not match or (word.endswith(match[0]) and len(word) - len(match[0]) >= 3):
            return None  # a prefix is no typo: "undersubscribed" is not "subscribed"
        return self.names.get(match[0], match[0])

    @cached_property
    def name_keywords(self) -> frozenset[str]:
        """The names as a question's keywords are read (stemmed: "rufus" is "rufu")."""
        return frozenset(keywords(" ".join(self.capitalised)))

    @cached_property
    def _long_words(self) -> list[str]:
        """The words a misspelling is matched against (shorter ones match too much by chance)."""
        return [w for w in self.words if len(w) >= 4]

    def _abbreviated(self, word: str) -> str | None:
        """A name shortened to its consonants, perhaps with a generation number ("amzn" ->
        "Amazon", "trn2" -> "Trainium 2"): the letters, in order, of exactly one of the
        documents' names. Shorter than three letters ("g2"), it must name a generation the
        documents have: "g5" stays unknown when they stop at Graviton 4."""
        match = re.fullmatch(r"([a-z]+)(\d*)", word)
        if not match or _VOWELS & set(match.group(1)[1:]) or (len(match.group(1)) < 3 and not match.group(2)):
            return None
        letters, number = match.groups()
        found = [
            name for lower, name in self.names.items()
            if lower[0] == letters[0] and len(lower) > len(letters) and _is_subsequence(letters, lower)
            and (not number or f"{lower} {number}" in self.generations
                 or (len(letters) >= 3 and any(g.startswith(f"{lower} ") for g in self.generations)))
        ]
        if len(found) != 1:
            return None
        return f"{found[0]} {number}".strip()


def _is_subsequence(letters: str, word: str) -> bool:
    rest = iter(word)
    return all(letter in rest for letter in letters)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the embedding model's WordPiece vocabulary: ordinary English, which a
    question may use without the documents using it."""
    path = embedding_model_dir() / "vocab.txt"
    return frozenset(
        w for w in path.read_text(encoding="utf-8").split("\n") if w.isalpha() and w.islower() and len(w) > 1
    )
