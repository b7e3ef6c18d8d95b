"""A premise the document contradicts: "why is adoption running ahead of expectations?" where
the document says adoption is "slower than expected". The question's claim and a statement of
its sources speak of the same thing (they share two content words' roots, "adoption" and
"expected") in opposite directions (ahead, faster, higher … against behind, slower, lower …),
and no statement speaks of it in the claim's direction. English direction words, not this
report's: any report's "above plan" or "behind schedule" reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from amzn_qa.answer.comparison import word_roots
from amzn_qa.answer.retrieval import STOPWORDS

UP = frozenset({
    "ahead", "faster", "higher", "above", "exceeding", "exceeded", "exceeds", "beating", "accelerating",
    "accelerated", "rising", "rose", "outpacing", "surging", "surged", "soaring", "booming",
})
DOWN = frozenset({
    "behind", "slower", "lower", "below", "lagging", "lags", "missed", "missing", "decelerating",
    "decelerated", "falling", "fell", "slowing", "slowed", "shrinking", "shrank", "declining", "declined",
})
_WORD = re.compile(r"[a-z]+")


_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor)\b|n't\b", re.I)


def direction(text: str) -> int:
    """+1 when the text says up, -1 down, 0 neither, both, or negated ("isn't ahead" is not
    "behind": it says too little to contradict or be contradicted)."""
    words = set(_WORD.findall(text.lower()))
    if _NEGATION.search(text):
        return 0
    return (bool(words & UP) and not words & DOWN) - (bool(words & DOWN) and not words & UP)


MIN_SHARED = 2  # topic words a claim and a statement share: "adoption" and "expected", not "price" alone


def _topic(text: str, names: Collection[str]) -> set[str]:
    """The roots of the text's content words: neither direction words nor names (what is said of
    a subject, not the subject: "Gizmo" is in every statement of a Gizmo section)."""
    words = _WORD.findall(text.lower())
    return word_roots(w for w in words if w not in UP | DOWN | STOPWORDS and w not in names)


def contradicting(claim: str, statements: list[str], names: Collection[str] = ()) -> str | None:
    """The statement that says the opposite of the claim about what they both speak of, when
    none says the same; `names` (lower case) are the documents' names."""
    way, topic = direction(claim), _topic(claim, names)
    if not way:
        return None
    about = [s for s in statements if direction(s) and len(topic & _topic(s, names)) >= MIN_SHARED]
    if any(direction(s) == way for s in about):
        return None
    return next((s for s in about if direction(s) == -way), None)


# "Why is X running ahead …?" takes "X is running ahead …" as given: the clause up to the first
# break, the auxiliary put back before its predicate: the first direction word, or the first
# -ing or -ed word that neither opens the clause nor follows a determiner ("the purchasing rate"
# and "growing costs" are nouns' words).
_WHY = re.compile(r"\bwhy(?:'s|\s+(?P<aux>is|are|was|were|has|have|had))?\s+(?P<clause>[^,;?]{8,})", re.I)
_PARTICIPLE = re.compile(r"\w{3,}(?:ing|ed)$", re.I)
_DETERMINER = frozenset({"the", "a", "an", "its", "their", "this", "that", "these", "those", "his", "her", "our", "your"})


def _predicate(words: list[str]) -> int | None:
    """Where the clause's predicate starts, or None."""
    for n, word in enumerate(words):
        if word.lower() in UP | DOWN:
            return n
        if n and _PARTICIPLE.search(word) and words[n - 1].lower() not in _DETERMINER:
            return n
    return None


def why_claim(question: str) -> str:
    """What a why-question takes as given ("graviton adoption is running ahead of …"), or ""."""
    found = _WHY.search(question)
    if not found:
        return ""
    aux = found.group("aux") or ("is" if "'s" in found.group()[:6] else "")
    words = found.group("clause").split()
    at = _predicate(words)
    return " ".join([*words[:at], aux, *words[at:]]) if aux and at else ""
