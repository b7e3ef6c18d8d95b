"""Understanding a question before retrieval: what form its answer takes, which simple
questions it asks, and which earlier question a follow-up leans on.

The form is read from how the question is asked, in words any analyst's question uses, never
from the report's own names: one fact ("how many", "what is the price"), a list ("which ...",
"list the ...", a bare plural "curo competitors"), an explanation ("why", "walk me through",
"what are the risks") or a comparison ("vs", "compare", "highest").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from amzn_qa.answer.text import names
from amzn_qa.answer.vocabulary import Vocabulary

FACT, LIST, EXPLAIN, COMPARE, DERIVED = "fact", "list", "explain", "compare", "derived"

# An arithmetic step the question asks for (a gap, a midpoint, an implied per-unit figure), in
# the words any such question uses.
_DERIVED = re.compile(
    r"\b(mid-?points?|average of|how many (more|fewer)|how much (more|less) (do|does|is|are|will|would) .{1,40} need"
    r"|(gap|difference|delta|spread|saving|savings|shortfall|headroom) (between|to|from|vs|of|per|in)"
    r"|(what|how)('s| is| was)? the (gap|difference|delta|spread|saving|savings|shortfall|ratio|multiple|sum|total)"
    r"|how many times|times (more|bigger|larger|as)|ratio of|divided by|combined|in total"
    r"|impl(y|ies|ied)\b.{0,40}\bper\b|\bper\b.{0,60}\bimpl(y|ies|ied)|how many (basis points|bps)"
    r"|add(ed)? up|(%|percent|pct) (more|less|higher|lower|cheaper|bigger|smaller) than"
    r"|to go|short of|still (need|left)|need to (add|hit|reach|grow)|how far|works? out to|on average"
    r"|mid of|percentage points|math|maths|calculat\w+|arithmetic)",
    re.I,
)
_COMPARE = re.compile(
    r"\b(vs\.?|versus|compared?|comparison|differences?|differ|relative to|stack up|measure up|"
    r"highest|lowest|most|least|biggest|largest|smallest|best|worst|rank|ranking)\b", re.I
)
_EXPLAIN = re.compile(
    r"^\W*(why|explain|summari[sz]e|summary|describe|walk me through|tell me about|overview|thoughts on|"
    r"gimme|give me (the|a)|so what(?!\s+(is|are|was|were|does|do)\b)|(so )?(is|are|does|do|did|can|will|should|has|have)\b|"
    r"how (does|do|did|is|are|can|could|will|would|should)\b(?!\s+(much|many)))"
    r"|\b(walk me thru|so what(?!\s+(is|are|was|were|does|do)\b)|how (bad|worried|serious|real|risky|concerned)|what'?s backing|backing that)\b"
    r"|\b(why|how come|story|verdict|thesis|bull|bear|case for|case against|positioned|position(ing)?|"
    r"angle|outlook|implications?|matter|advantage|moat|risks|strategy|rationale|explain|"
    r"in a few lines|big picture|take on)\b",
    re.I,
)
_LIST = re.compile(
    r"^\W*(which|list|name|enumerate|what are|what're|whats in|what's in|what is in|what can|where)\b"
    r"|\b(include|includes|including|components|features|capabilities|partners|customers|competitors|"
    r"channels|surfaces|segments|models|services|examples|types|kinds|items|bullets?|levers|drivers|"
    r"headwinds|tailwinds|catalysts|dragging|what tech)\b",
    re.I,
)
# A list asked for in so many words ("List the risks ...", "... list em", "bullet them"): the
# command wins over the topic words that read as an explanation ("risks", "strategy").
_LIST_COMMAND = re.compile(
    r"^\W*(?:list|enumerate)\b|\blist(?:\s+(?:em|'em|them|out|all|every\w*))?\W*$|\bbullet(?:s|ed| points?)?\b", re.I
)
# A person asked for by role: "which <up to two words> <role>" (the check that such an answer
# names someone, answer/checks.py, reads the same roles).
PERSON_ROLES = r"exec\w*|ceo|cfo|cto|coo|founders?|chair\w*|president|spokes\w*"
BY_ROLE = r"(?:which|what) (?:[\w-]+ ){0,2}?"
_FACT = re.compile(
    r"^\W*(how (much|many|big|fast|long|large)|when|what year|what (is|was|'s) the (price|cost|number|"
    r"share|size|date|count|rate|target|amount|percentage)|who is|who was"
    # a person asked for by role ("Which AWS executive said ...?") is one name, not a list
    rf"|{BY_ROLE}(?:{PERSON_ROLES}))\b"
    # a yes/no question about an amount ("has it passed a million downloads?") checks one figure
    r"|^\W*(is|are|has|have|does|did|will|was)\b(?![^?]*\b(why|how|real|really|explain)\b)[^?]*"
    r"(\$\d|\d\s?(%|[kmbt]\b|gw\b|x\b)|\b(thousand|million|billion|trillion|gigawatts?|megawatts?|percent)\b)"
    r"[^?]*\??\s*$",
    re.I,
)


# The form rules in the order they are tried, each named (README "How it works"): the first
# that matches decides; none matching is a fact.
FORM_RULES = (("derived_form", _DERIVED, DERIVED), ("compare_form", _COMPARE, COMPARE), ("fact_form", _FACT, FACT),
              ("list_command_form", _LIST_COMMAND, LIST), ("explain_form", _EXPLAIN, EXPLAIN), ("list_form", _LIST, LIST))


# Courtesy and acknowledgement before the question proper ("Please enumerate ...", "Could you
# list ...", "OK thanks, and ..."): what a question asks (`asking_part`), and so the form rules
# that read how it opens, follow it.
_COURTESY = re.compile(
    r"^\W*(?:(?:please|pls|plz|kindly|hi|hey|ok(?:ay)?|thanks|thank you|got it|cool|great|sure|alright|right)\b\W*"
    r"|(?:could|can|would|will) you(?: please| kindly)?\s+(?:(?:tell|give|show) me\s+)?)+", re.I
)


def form_rule(question: str, disabled: Collection[str] = ()) -> tuple[str, str]:
    """The answer form and the name of the form rule that chose it ("" when none matched);
    rules named in `disabled` are not tried."""
    asked = asking_part(without_purpose(question))
    return next(((form, rule) for rule, pattern, form in FORM_RULES
                 if rule not in disabled and pattern.search(asked)), (FACT, ""))


# Market and company-wide figures an analyst may ask any report for, by what the refusal calls
# them: a report that prints one names it (the check reads the retrieved passages), and one that
# does not cannot answer with a neighbouring figure (issue "Say the document does not give this").
_MARKET_FIGURES = (
    ("a share price", r"(?:share|stock) prices?|\btrad(?:ing|es|ed) (?:at|today)\b|\bpx\b"),
    ("a dividend", r"dividends?"),
    ("earnings per share", r"earnings per share|\beps\b"),
    ("a market capitalisation", r"market cap\w*"),
    ("a price target", r"price targets?"),
    ("a valuation", r"valuations?|p/?e ratios?"),
    ("a headcount", r"headcounts?|employees|\bemploy\b|workforce"),
)
_MARKET_FIGURE = [(name, re.compile(rf"\b(?:{pattern})\b", re.I)) for name, pattern in _MARKET_FIGURES]


def market_figures(text: str) -> list[str]:
    """The market or company-wide figures the text names ("a share price", "a headcount")."""
    return [name for name, pattern in _MARKET_FIGURE if pattern.search(text)]


# A claim the question takes as given before it asks ("Since Acme ditched its supplier, how much
# ...?", "Given that X, ...", "the report says X - what ...?").
_PREMISE = re.compile(
    r"^\W*(?:since|given(?: that)?|now that|seeing (?:that|as))\s+(?P<claim>[^,;?—]{12,}?)\s*[,;—]\s+\w"
    r"|^\W*(?:the|this) (?:report|document|analysis|analyst) (?:says|claims|states)(?: that)?\s+"
    r"(?P<said>[^,;?—]{8,}?)\s+(?:-|—|,)\s+\w",
    re.I,
)
# Words that assert an event or a state in the past ("ditched", "lifted", "undersubscribed").
_EVENT_WORD = re.compile(r"\b(?!hundred\b)[a-z]{3,}(?<!e)ed\b", re.I)  # not "indeed", "speed"


def premise(question: str) -> str:
    """The claim the question takes as given, or ""."""
    found = _PREMISE.search(question)
    return (found.group("claim") or found.group("said")) if found else ""


def events(claim: str) -> list[str]:
    """The words by which a claim says something happened or holds ("lifted", "undersubscribed")."""
    return [w.lower() for w in _EVENT_WORD.findall(claim)]


_AMOUNT = re.compile(
    r"\bhow (much|many|big|large|fast|long|far)\b|\b(what|which)('s| is| was| are)? the (number|price|cost|size|"
    r"count|amount|rate|share|percentage|figure|total)\b|\bhow many\b",
    re.I,
)


def asks_for_amount(question: str) -> bool:
    """The question asks for an amount: its answer is a figure."""
    return bool(_AMOUNT.search(question))


def answer_form(question: str, disabled: Collection[str] = ()) -> str:
    """fact, list, explain or compare: the shape an answer to this question should take. A
    yes/no question ("is the adoption real?") asks for a judgement, so it gets the evidence
    both ways as points."""
    return form_rule(question, disabled)[0]


@dataclass(frozen=True)
class Turn:
    """A question on its way through the answer stages, kept as data: what the user typed, its
    own words (spelling and shorthand resolved) and, for a follow-up that leans on the
    conversation or a clause that leans on the clause before, the earlier question; `documents`
    (file names) limits the answer to those documents."""

    typed: str
    own: str
    earlier: str = ""
    documents: Collection[str] | None = None

    @property
    def standalone(self) -> str:
        """The question with the one it leans on, as retrieval and the model read it."""
        return f'{self.own} (follow-up to: "{self.earlier}")' if self.earlier else self.own

    def part(self, own: str, earlier: str = "") -> Turn:
        return Turn(self.typed, own, earlier or self.earlier, self.documents)


History = list[dict[str, str]]  # [{"role": "user" | "assistant", "content": ...}, ...]
# How many earlier user turns are read to make the last one a whole question ("and 2028?").
EARLIER_TURNS_READ = 4


def understood(question: str, history: History, documents: Collection[str] | None, vocabulary: Vocabulary) -> Turn:
    """The question with its spelling and shorthand resolved; a follow-up that only names
    another period or generation asks the earlier question again about it, any other
    follow-up that leans on the earlier question is tied to it (so retrieval and the answer
    prompt still see what "it" refers to). A model's rewrite of follow-ups was measured and
    dropped: it changed no answer on either split and took a second (evals/README.md)."""
    resolved = _read(question, vocabulary)
    earlier = earlier_question(history, vocabulary)
    if not earlier:
        return Turn(question, resolved, documents=documents)
    if leans_on_history(resolved):
        resolved = with_earlier_names(resolved, earlier, vocabulary.words)
    resolved = with_other_generation(resolved, earlier, _answered_generations(history, vocabulary))
    again = substituted(resolved, earlier) or with_other_name(resolved, earlier, vocabulary) \
        or with_earlier_period(resolved, earlier)
    if again:
        return Turn(question, again, documents=documents)
    return Turn(question, resolved, earlier if leans_on_history(resolved) else "", documents)


def _read(question: str, vocabulary: Vocabulary) -> str:
    """A user turn as the documents word it, without what only frames it."""
    return without_framing(vocabulary.resolve(question), vocabulary)


def last_answer(history: History) -> str:
    """The last assistant turn's text, or "" when there is none."""
    return next((t.get("content") or "" for t in reversed(history) if t.get("role") == "assistant"), "")


def _answered_generations(history: History, vocabulary: Vocabulary) -> str:
    """The numbered names of the documents' generations that the last answer gave ("Gizmo 2"),
    not its other capitalised numbers ("Roughly 40", "Since 2024")."""
    found = _NUMBERED_NAME.finditer(last_answer(history))
    return " ".join(m.group() for m in found if m.group().lower() in vocabulary.generations)


def earlier_question(history: History, vocabulary: Vocabulary) -> str:
    """The last user turn as a whole question: clients send back what was typed, so "and
    2028?" after "and 2027?" after "power target 2026" is read through the turns before it."""
    typed = [own_words(t["content"]) for t in history if t.get("role") == "user" and t.get("content")]
    earlier = ""
    for turn in typed[-EARLIER_TURNS_READ:]:
        resolved = _read(turn, vocabulary)
        earlier = (substituted(resolved, earlier) or _with_subject(resolved, earlier, vocabulary)
                   if earlier else "") or resolved
    return earlier


def _named(question: str, vocabulary: Vocabulary) -> list[str]:
    """The names a question writes, and a name of the documents' that opens it ("Rainier chip
    count?")."""
    opening = re.match(r"\W*([A-Za-z][\w-]*)", question)
    first = [opening.group(1)] if opening and opening.group(1).lower() in vocabulary.capitalised else []
    return list(dict.fromkeys(first + names(question)))


def _with_subject(follow_up: str, earlier: str, vocabulary: Vocabulary) -> str:
    """A follow-up that names nothing ("target date again?" after "Rainier chip count?") with the
    names of the turn it leans on, so that the turn after it still knows what "it" is; "" for
    one that names something or leans on nothing."""
    subject = _named(earlier, vocabulary)
    if _named(follow_up, vocabulary) or not leans_on_history(follow_up) or not subject:
        return ""
    if _ASKED_PERIOD.search(follow_up):
        # "and the 2026 target?" asks what was asked before, of another period: all of it carries
        return f"{follow_up.rstrip(' ?.!')} ({earlier.rstrip(' ?.!')})?"
    return f"{follow_up.rstrip(' ?.!')} ({', '.join(subject)})?"


_TIED = re.compile(r' \(follow-up to: ".*"\)$', re.DOTALL)


def own_words(standalone: str) -> str:
    """A history's user turn as its own question: clients keep the standalone question they were
    shown (`Answer.standalone_question`), whose tie to an earlier turn is not part of it."""
    return _TIED.sub("", standalone)


# A follow-up leans on the earlier turn when it opens elliptically ("And Trainium 3?", "What
# about H100?") or is a fragment, or when it uses a pronoun and names nothing itself ("What does
# it compete with?", but not "How many developers adopted Curo in its first days?").
_OPENER_WORDS = r"(?:and|or|but|also|then|what about|how about|same for|same)\b"
_OPENER = rf"^\W*{_OPENER_WORDS}"
_ELLIPTICAL = re.compile(rf"{_OPENER}|^\W*(\w+\W+){{0,4}}\w*\W*$", re.I)
_PRONOUN = re.compile(r"\b(it|its|it's|they|them|their|this|that|these|those|he|she|his|her|there)\b", re.I)


def leans_on_history(question: str) -> bool:
    return bool(_ELLIPTICAL.search(question)) or _pronoun_without_name(question)


def _pronoun_without_name(question: str) -> bool:
    return bool(_PRONOUN.search(question) and not names(question))


_SHORT_NUMBERED = re.compile(r"\b([a-z]{1,3})(\d+)\b", re.I)
_NUMBERED_NAME = re.compile(r"\b([A-Z][a-z][\w-]+) \d+\b(?![%.,]?\d|%)")  # not "About 15%"


def with_earlier_names(follow_up: str, earlier: str, known: Collection[str] = ()) -> str:
    """A numbered name of the earlier turn, shortened to its initial and given another number
    ("g3" after a question about Graviton 2), written out: Graviton 3. A code the documents
    use themselves ("EC2", "H100", `known`, lower case) stays as it is."""
    stems = [m.group(1) for m in _NUMBERED_NAME.finditer(earlier)]

    def written_out(short: re.Match) -> str:
        if short.group().lower() in known:
            return short.group()
        stem = next((s for s in stems if s.lower().startswith(short.group(1).lower())), "")
        return f"{stem} {short.group(2)}" if stem else short.group()

    return _SHORT_NUMBERED.sub(written_out, follow_up)


# "the next generation" of the earlier turn's numbered name ("Trainium 2"): that name with the
# next number; "the previous one" with the one before.
_GENERATION = re.compile(r"\b(?:the\s+)?(?P<which>next|following|newer|later|previous|prior|older|earlier|last)"
                         r"[\s-]+(?:gen(?:eration)?|version|model|iteration|one)\b|\b(?:its\s+|the\s+)?successor\b", re.I)
_BACKWARD = {"previous", "prior", "older", "earlier", "last"}


def with_other_generation(follow_up: str, earlier: str, earlier_answer: str = "") -> str:
    """The next or previous generation of the earlier turn's numbered name (or, when its question
    named none, its answer's), written as that name with the next or previous number ("the next
    generation" after "Trainium 2": Trainium 3)."""
    asked = _GENERATION.search(follow_up)
    numbered = _NUMBERED_NAME.search(earlier) or _NUMBERED_NAME.search(earlier_answer)
    if not (asked and numbered):
        return follow_up
    stem, number = numbered.group().rsplit(" ", 1)
    step = -1 if (asked.group("which") or "").lower() in _BACKWARD else 1
    return f"{follow_up[:asked.start()]}{stem} {int(number) + step}{follow_up[asked.end():]}"


# "Same year", "that quarter": the earlier turn's period, when the follow-up names none.
_SAME_PERIOD = re.compile(r"\b(?:same|that|this|the same)\s+(?:year|quarter|period|timeframe|horizon|date)\b", re.I)


def with_earlier_period(follow_up: str, earlier: str) -> str:
    """The follow-up as a whole question of its own, when all it takes from the earlier turn is
    its period ("same year, how many regions?" after a 2026 question); "" otherwise."""
    period = _ASKED_PERIOD.search(earlier)
    if not period or _ASKED_PERIOD.search(follow_up) or not _SAME_PERIOD.search(follow_up):
        return ""
    return _SAME_PERIOD.sub(period.group(), follow_up, count=1)


_ELLIPSIS = re.compile(rf"^(?:\W*{_OPENER_WORDS}\W*)+", re.I)  # "and what about", too
# documents.PERIOD's year or quarter, and a quarter with its year as one period ("Q1 2026"), so
# that "and Q1 2026?" replaces the earlier question's whole period.
_ASKED_PERIOD = re.compile(r"\b(?:Q[1-4] 20\d\d|20\d\d|Q[1-4])\b")


def substituted(follow_up: str, earlier: str) -> str:
    """The earlier question asked again about another period or generation, when that is all an
    elliptical follow-up names ("and 2027?", "and Trainium 3's?"); "" for any other follow-up."""
    rest = re.sub(r"['’]s$", "", _ELLIPSIS.sub("", follow_up).strip(" ?.!"))
    if rest == follow_up.strip(" ?.!"):
        return ""  # not elliptical: it says more than "and <this>?"
    period = _ASKED_PERIOD.search(earlier)
    if _ASKED_PERIOD.fullmatch(rest) and period:
        year = re.search(r" 20\d\d$", period.group())
        if re.fullmatch(r"Q[1-4]", rest) and year:
            rest += year.group()  # "and Q3?" after "Q2 2026" is Q3 2026
        return f"{earlier[:period.start()]}{rest}{earlier[period.end():]}"
    numbered = re.fullmatch(r"([A-Z][\w-]*) \d+", rest)
    same = numbered and re.search(rf"\b{re.escape(numbered.group(1))} \d+\b", earlier)
    return f"{earlier[:same.start()]}{rest}{earlier[same.end():]}" if same else ""


# What frames a question rather than asks it: a leading "For an ESG screen," or a sentence
# about the asker ("I'm writing a paper on MLOps tooling.", "VC here."), or a lead-in such as
# "As a CTO shortlisting platforms:" or "Bottom line for the board:" before the question.
_FRAMING = re.compile(
    r"^\W*(?:for (?:a|an|my|our|your|this) [^,?:]{1,60},\s*"
    r"|(?:i|i'm|i am|we|we're|we are|my|our)\b[^.?!]*[.!]\s+"
    r"|[^.?!:]{1,40}\bhere\s*[.!:,]\s+"
    r"|(?:as|for|re|regarding|bottom line|quick|context|background|question|fyi)\b[^.?!:]{0,60}:\s+"
    r"(?=(?:what|which|how|when|why|who|where|is|are|does|do|did|can|could)\b))+", re.I
)
# A question set inside a paragraph of context is what follows its marker ("... Specifically:").
_ASKED_AFTER = re.compile(r"^.*\b(?:specifically|in particular|my question is|the question is)\s*[:,-]?\s+",
                          re.I | re.DOTALL)


# The pieces of a question: its sentences, and what stands before a colon, an arrow or a dash
# ("ELI5: which ...", "Action item from Monday's sync → bullet ...").
_PIECE_BREAK = re.compile(r"((?<=[.!?:])\s+|\s+(?:→|->|—|–)\s+)")


def without_framing(question: str, vocabulary: Vocabulary) -> str:
    """The question without the pieces that only frame it: a piece that is not a question and
    whose names are all foreign to the documents ("Prepping the binder for Monday.", "Drafting
    a LinkedIn post.") is about the asker's world, and its names must not read as a near miss.
    A question that is all framing is left as typed."""
    split = _PIECE_BREAK.split(question.strip())  # piece, break, piece, ...
    pieces = list(zip(split[::2], [*split[1::2], ""]))
    kept = [(piece, after) for piece, after in pieces if not _frames(piece, vocabulary)]
    if len(kept) in (0, len(pieces)):
        return question
    return "".join(piece + after for piece, after in kept).strip(" :→->—–")


def without_purpose(question: str) -> str:
    """The question without the pieces after its last asking one that say what the answer is
    for ("…? need it for a comparison"): they ask nothing ("…? Bulleted, please." does)."""
    split = pieces_of(question)
    while len(split) > 1 and _PURPOSE.match(split[-1]):
        split.pop()
    return " ".join(split)


def pieces_of(question: str) -> list[str]:
    """The question's pieces: its sentences, and what stands before a colon, an arrow or a dash."""
    return [piece for piece in _PIECE_BREAK.split(question.strip())[::2] if piece.strip()]


_PURPOSE = re.compile(r"^\W*(?:(?:i|we)\s+)?(?:need|want)\s+(?:it|this|that|them)\s+for\b"
                      r"|^\W*(?:it'?s|this is|that's)\s+for\b", re.I)


# A piece that asks or requests something ("Give me Walmart's revenue.") is no framing, "?" or not.
_REQUEST = re.compile(r"^\W*(?:please\s+)?(?:give|tell|show|list|name|find|get|pull|share|provide|compare|explain"
                      r"|describe|summari[sz]e|what|which|who|how|when|where|why)\b", re.I)


def _frames(piece: str, vocabulary: Vocabulary) -> bool:
    found = names(piece)
    return (bool(found) and not piece.endswith("?") and not _REQUEST.match(piece)
            and all(vocabulary.foreign(name) for name in found))


def asking_part(question: str) -> str:
    """The question without what frames it: its names are what the answer must be about."""
    asked = _ASKED_AFTER.sub("", question) or question
    asked = _COURTESY.sub("", asked) or asked  # "Hi! I am writing …. Which …": courtesy, then framing
    asked = _FRAMING.sub("", asked) or asked
    return _COURTESY.sub("", asked) or asked


_NAMED_ONLY = re.compile(r"^(?:(?:q|question|for|about|with|on)\s+)*", re.I)


def with_other_name(follow_up: str, earlier: str, vocabulary: Vocabulary) -> str:
    """The earlier question asked of another name, when an elliptical follow-up names only
    that ("And Lens?" after "How many users does Rufus have?", "same q for Curo"): the
    earlier question's most specific name (the one the documents use least) is replaced. ""
    when the follow-up says more, or names something the documents never write capitalised."""
    rest = _NAMED_ONLY.sub("", _ELLIPSIS.sub("", follow_up)).strip(" ?.!")
    if not _ELLIPSIS.match(follow_up) or not rest or any(w.lower() not in vocabulary.capitalised for w in rest.split()):
        return ""
    known = [n for n in names(earlier) if n.lower() in vocabulary.capitalised and n.lower() not in rest.lower()]
    if not known:
        return ""
    subject = min(known, key=lambda name: vocabulary.words[name.lower()])
    return re.sub(rf"\b{re.escape(subject)}\b", rest, earlier, count=1)


def focus_query(turn: Turn, vocabulary: Vocabulary, earlier_label: str = "") -> str:
    """What a source's statements are scored against: a follow-up's own words and the subject of
    the turn it follows: its most specific name (the one the documents use least: "Curo", not
    "AWS") and `earlier_label`, the label of the passage that best matches it ("Power Capacity
    (GW)"). The earlier question's other words would pick the earlier answer's statement again
    ("What does it compete with?" after an adoption question)."""
    if not turn.earlier:
        return turn.own
    subject = min(names(turn.earlier), key=lambda name: vocabulary.words[name.lower()], default="")
    # The label is the subject when it holds the earlier name ("Trainium Ecosystem Adoption
    # Failure"), and what is asked again when the follow-up names a period ("and the 2027
    # target?"); otherwise it is the attribute asked before ("Developer Adoption"), which the
    # follow-up replaces ("what does it compete with?").
    holds_subject = subject and re.search(rf"\b{re.escape(subject)}\b", earlier_label, re.I)
    if not (holds_subject or _ASKED_PERIOD.search(turn.own)):
        earlier_label = ""
    return " ".join(part for part in (turn.own, subject, earlier_label) if part)


_VERSUS = re.compile(r"\s+(?:vs\.?|versus)\s+", re.I)
_SIDE_END = re.compile(r"\s+[-–—]\s+|[,:;?]")
_NAME_RUN = re.compile(r"\b[A-Z][\w&/.-]*(?: [A-Z0-9][\w&/.-]*)*")
_LEADING_NAME = re.compile(rf"^{_NAME_RUN.pattern}")


# "How do A and B compare on X?": the two sides, the verb, and what is compared.
_AND_PAIR = re.compile(r"\bhow (?:do|does|did|would|will) (.+?) and (.+?) (compare|stack up|differ|measure up)\b(.*)", re.I)


def compared_sides(question: str) -> tuple[str, str] | None:
    """"A vs B <what is compared>" (or "how do A and B compare <on what>") as one query per
    side, each with what is compared: retrieved together, the better-matched side fills every
    point. B ends at a separator ("rufus vs lens - which has more users"), else it is its
    leading name or word ("g2 vs g3 pricing"); a side that names nothing is about the other
    side's name."""
    paired = _AND_PAIR.search(question)
    if paired:
        a, b, _, asked = paired.groups()
        return " ".join(f"{a} {asked}".split()).strip(" ?"), " ".join(f"{b} {asked}".split()).strip(" ?")
    parts = _VERSUS.split(question.strip())
    if len(parts) != 2 or not all(p.strip() for p in parts):
        return None
    left, right = parts
    end = _SIDE_END.search(right)
    name = _LEADING_NAME.match(right)
    other = right[: end.start()] if end else name.group() if name else right.split()[0]
    asked = right[len(other):]
    subject = _NAME_RUN.findall(left)
    if subject and not asked.strip(" ?.!") and _LEADING_NAME.match(other.strip()):
        # "What is the price of Trainium 2 versus H100?": B is asked what A is asked.
        at = left.rindex(subject[-1])
        return left.strip(), f"{left[:at]}{other.strip(' ?.!')}{left[at + len(subject[-1]):]}".strip()
    if subject and not _LEADING_NAME.match(other.strip()):
        other = f"{subject[-1]} {other}"
    return f"{left}{asked}".strip(), f"{other}{asked}".strip()


_CLAUSE_BREAK = re.compile(
    r",?\s+and\s+(?=(?:what|how|when|where|which|who|in how|in what|does|do|did|is|are)\b)", re.I
)
_TWO_PERIODS = re.compile(r"\b((?:Q[1-4] )?20\d\d|Q[1-4])\s+and\s+((?:Q[1-4] )?20\d\d|Q[1-4])\b")


def _asks(clause: str) -> bool:
    """A clause that is more than courtesy: "OK thanks, and how many …" opens with an
    acknowledgement, not a question of its own."""
    return bool(_COURTESY.sub("", clause).strip(" ,;.!?"))


def split_question(turn: Turn, disabled: Collection[str] = ()) -> list[Turn]:
    """A compound fact question as the simple questions it asks, each answered on its own: a
    small model given "X, and what is Y?" answers one half. Clauses joined by "and" and two
    periods ("for 2026 and 2027") are split. A list, an explanation or a comparison is not: its
    points, drawn for the whole question, cover every part, and its parts' points would repeat.
    `disabled` names form rules switched off."""
    asked = turn.own.strip()
    if answer_form(asked, disabled) != FACT:
        return [turn]
    if _TWO_PERIODS.search(asked):
        parts = [(_TWO_PERIODS.sub(lambda m: m.group(g), asked, count=1), "") for g in (1, 2)]
    else:
        clauses = [f"{c}?" for c in (p.strip(" ,;?") for p in _CLAUSE_BREAK.split(asked)) if _asks(c)]
        # A later clause that names nothing leans on the first ("..., and what is the target?").
        parts = [(c, "" if n == 0 or names(c) else clauses[0]) for n, c in enumerate(clauses)]
    if len(parts) < 2:
        return [turn]
    return [turn.part(own, earlier) for own, earlier in parts]
