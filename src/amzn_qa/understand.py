"""Understanding a question before retrieval: what form its answer takes.

The form is read from how the question is asked, in words any analyst's question uses, never
from the report's own names: one fact ("how many", "what is the price"), a list ("which ...",
"list the ...", a bare plural "curo competitors"), an explanation ("why", "walk me through",
"what are the risks") or a comparison ("vs", "compare", "highest").
"""

from __future__ import annotations

import re

FACT, LIST, EXPLAIN, COMPARE = "fact", "list", "explain", "compare"

_COMPARE = re.compile(
    r"\b(vs\.?|versus|compared?|comparison|differences?|differ|relative to|"
    r"highest|lowest|most|least|biggest|largest|smallest|best|worst|rank|ranking)\b", re.I
)
_EXPLAIN = re.compile(
    r"^\W*(why|explain|summari[sz]e|summary|describe|walk me through|tell me about|overview|thoughts on|"
    r"gimme|give me (the|a)|so what|is it|are they|how (does|do|did|is|are|can|could|will|would|should)\b(?!\s+(much|many)))"
    r"|\b(why|how come|story|verdict|thesis|bull|bear|case for|case against|positioned|position(ing)?|"
    r"angle|outlook|implications?|matter|advantage|moat|risks|strategy|rationale|explain|"
    r"in a few lines|big picture|take on|actually)\b",
    re.I,
)
_LIST = re.compile(
    r"^\W*(which|list|name|enumerate|what are|what're|whats in|what's in|what is in|what can|where)\b"
    r"|\b(include|includes|including|components|features|capabilities|partners|customers|competitors|"
    r"channels|surfaces|segments|models|services|examples|types|kinds|items|bullets)\b",
    re.I,
)
_FACT = re.compile(
    r"^\W*(how (much|many|big|fast|long|large)|when|what year|what (is|was|'s) the (price|cost|number|"
    r"share|size|date|count|rate|target|amount|percentage)|who is|who was)\b",
    re.I,
)


def answer_form(question: str) -> str:
    """fact, list, explain or compare: the shape an answer to this question should take."""
    if _COMPARE.search(question):
        return COMPARE
    if _FACT.search(question):
        return FACT
    if _EXPLAIN.search(question):
        return EXPLAIN
    if _LIST.search(question):
        return LIST
    return FACT
