"""The refusal stage: whether the retrieved sources can answer the question at all, decided in
one place, before an answer is composed from them or drafted by the model (issue "Say the
document does not give this exactly when it does not").

The rules, in the order they are tried (each may be switched off by name):
- `low_relevance`: no source is similar to the question or shares a keyword with it;
- `outside_figure`: a market or company-wide figure (a share price, a headcount) no source names;
- `unsupported_premise`: a claim the question takes as given whose event the documents never
  state ("Since sales collapsed, …");
- `contradicted_premise`: a claim the question takes as given ("why is X running ahead of
  expectations?") that a source states the opposite of ("slower than expected");
- `absent_specifics`: a name, code or figure of the question that no source mentions;
- `addresses_assistant`: the only matching sources speak to an AI assistant;
- `blank_cell`: the best match is a table cell the analysis left blank, or an entry that says its
  figure is not given ("Revenue: Not separately reported").
A refusal says what the document does not give and, for a near miss or a premise, what it gives
instead. What is then shown is held to the sources it shows: points (answer/points.py) and the
model's draft (answer/checks.py) are refused when those sources lack a name the question
qualifies its subject with (`qualifier_alignment`, answer/alignment.py).
"""

from __future__ import annotations

import re

from amzn_qa.answer.answers import NOT_COVERED, Answer, citation, gives_instead, not_given, refusal, with_evidence
from amzn_qa.answer.grounding import unsupported
from amzn_qa.answer.premises import contradicting, why_claim
from amzn_qa.answer.retrieval import Focused
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.understand import asking_part, events, market_figures, premise
from amzn_qa.ingest.documents import statements

# An amount the question offers ("25% — is that the share of …?", "did it add 5GW?") is a
# claim to check against the best source's figure of the same kind, not a qualifier the
# sources must carry; with no such figure there, it stays one ("Curo's $19/month plan").
_OFFERED_VALUE = re.compile(r"^\W*\d.*(?:%|[A-Za-z])$|^[$€£]")
_AMOUNT = re.compile(r"[$€£]?\d[\d.,]*(?:[-–]\d[\d.,]*)?[A-Za-z%]*")


def _kind(amount: str) -> str:
    """What an amount counts: "%", a currency, or its unit letters ("gw", "k")."""
    amount = amount.strip()
    if amount.endswith("%") or amount[:1] in "$€£":
        return amount[-1] if amount.endswith("%") else amount[0]
    return re.sub(r"[^a-z]", "", amount.lower())


def _irrelevant(tools: Tools, state: AnswerState) -> Decision | None:
    least = tools.settings.min_relevance
    if max(h.similarity for h in state.hits) < least and not any(h.keyword_score > 0 for h in state.hits):
        return Decision("low_relevance", (), f"no passage is {least} similar (min_relevance) or shares a keyword")
    return None


def _outside_figure(tools: Tools, state: AnswerState) -> Decision | None:
    asked = market_figures(asking_part(state.turn.own))  # the evidence is read only when the question names one
    given = market_figures(_evidence(state)) if asked else []
    outside = [name for name in asked if name not in given]
    return Decision("outside_figure", outside, f"The document does not give {' or '.join(outside)}.") if outside else None


def _unsupported_premise(tools: Tools, state: AnswerState) -> Decision | None:
    claim = premise(state.turn.own)
    unstated = [word for word in events(claim) if word not in tools.vocabulary.words]
    return Decision("unsupported_premise", unstated, f"The document does not say that {claim}.") if unstated else None


def contradiction(tools: Tools, state: AnswerState) -> tuple[str, Focused] | None:
    """The claim a question takes as given ("Since X, …", "why is X …?") and the statement of
    its sources that says the opposite (answer/premises.py)."""
    claim = premise(state.turn.own) or why_claim(state.turn.own)
    if not claim:
        return None
    said = [(f.unit, item) for f in state.focused for item in statements(f.unit).items]
    found = contradicting(claim, [item for _, item in said], tools.vocabulary.capitalised)
    unit = next((unit for unit, item in said if item == found), None)
    return (claim, Focused(unit, found.lstrip("- "), 1.0, found)) if unit else None


def _contradicted_premise(tools: Tools, state: AnswerState) -> Decision | None:
    found = contradiction(tools, state)
    return Decision("contradicted_premise", [found[1].unit.id], f"The document does not say that {found[0]}.") if found else None


def _absent_specifics(tools: Tools, state: AnswerState) -> Decision | None:
    asked = asking_part(state.turn.own)
    checkable = {_kind(amount) for amount in _AMOUNT.findall(state.focused[0].unit.text)}
    absent = [item for item in unsupported(asked, _evidence(state))
              if not (_OFFERED_VALUE.search(item) and _kind(item) in checkable)]
    absent += tools.vocabulary.unknown_codes(asked)
    return Decision("absent_specifics", absent, f"No retrieved passage mentions {', '.join(absent)}.") if absent else None


def _evidence(state: AnswerState) -> str:
    return "\n".join(h.unit.evidence_text for h in state.hits)


GAPS = (
    ("low_relevance", _irrelevant), ("outside_figure", _outside_figure), ("unsupported_premise", _unsupported_premise),
    ("contradicted_premise", _contradicted_premise), ("absent_specifics", _absent_specifics),
)


# An entry whose whole value says the figure is not given ("Revenue: Not separately reported;
# part of AWS revenue"), in any report's words.
_NOT_GIVEN = re.compile(r":\s*(?:not (?:separately |publicly )?(?:reported|disclosed|broken out|given)"
                        r"|undisclosed|unannounced|unknown)\s*(?:[;(.]|$)", re.I)
# A yes/no question ("Is it disclosed?", "Does Amazon report it separately?") is answered by such
# an entry; a question after the figure is not.
_YES_NO = re.compile(r"^\W*(?:is|are|was|were|does|do|did|has|have|can|will)\b", re.I)


def not_given_entry(statement: str, question: str) -> bool:
    """The statement is an entry that says its figure is not given, and the question asks for
    that figure, not whether it is given."""
    return bool(_NOT_GIVEN.search(statement)) and not _YES_NO.match(asking_part(question))


def _widest(items: list[str]) -> list[str]:
    """The items that are not part of another ("Trainium 4", not also "4")."""
    unique = list(dict.fromkeys(items))
    return [a for a in unique if not any(a != b and f" {a} " in f" {b} " for b in unique)]


def refused(tools: Tools, state: AnswerState, gap: Decision) -> Answer:
    """The refusal of a question the sources do not cover. A missing version, period or figure
    ("Trainium 4", "2018") or a premise the document does not share: it says what the document
    gives instead. A missing plain name ("CEO") or an outside figure: one sentence."""
    answer = refusal(state.turn, [f.unit for f in state.focused], NOT_COVERED, tools.model)
    closest = state.focused[0]
    if gap.rule == "outside_figure":
        answer.answer = gap.detail
    elif gap.rule == "unsupported_premise":
        answer = gives_instead(answer, gap.detail.rstrip("."), closest)
    elif gap.rule == "contradicted_premise":
        answer = gives_instead(answer, gap.detail.rstrip("."), contradiction(tools, state)[1], says="it says")
    elif gap.rule == "absent_specifics":
        answer.notice = gap.detail
        numbered = _widest([a for a in gap.evidence if any(c.isdigit() for c in a)])
        answer = gives_instead(answer, not_given(", ".join(numbered)), closest) if numbered else answer
    return answer


def refuse(tools: Tools, state: AnswerState) -> None:
    """The stage: a question the sources do not cover is refused; so is one whose only matching
    sources address an AI assistant, or whose best match is a blank cell."""
    gap = next((found for rule, test in GAPS if state.enabled(rule) and (found := test(tools, state))), None)
    if gap:
        state.decide(refused(tools, state, gap), Decision(gap.rule, [h.unit.id for h in state.hits], gap.detail))
        return
    best, units = state.focused[0], [f.unit for f in state.focused]
    if best.unit.addresses_assistant and state.enabled("addresses_assistant"):
        reason = "The only matching passages address an AI assistant."
        answer = with_evidence(refusal(state.turn, units, "", tools.model), state.focused, reason)
        state.decide(answer, Decision("addresses_assistant", [best.unit.id], reason))
    elif (best.is_blank or not_given_entry(best.best, state.turn.own)) and state.enabled("blank_cell"):
        says = "leaves that entry blank" if best.is_blank else "says"
        text = f"The document does not give this; the analysis {says}: “{best.view}” [1]"
        answer = refusal(state.turn, units, text, tools.model)
        answer.citations = [citation(1, best.unit, "", best.view)]
        state.decide(answer, Decision("blank_cell", [best.unit.id], f"the best match gives no figure: {best.best}"))
