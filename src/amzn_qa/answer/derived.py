"""A figure one arithmetic step from figures the document gives ("the midpoint of the price
range", "how many more chips to reach the target"): the operation is read from the question's
arithmetic words, its inputs are the figures of the statements that best match the question
(or each side of it), and code computes it (answer/arithmetic.py). The answer shows the
calculation, each input cited; with no inputs of a kind that fit, the question is left to the
model as a fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amzn_qa.answer.answers import Answer, citation
from amzn_qa.answer.arithmetic import (
    DIFFERENCE, HIGH, LOW, MEAN, MID, PERCENT, RATIO, SUM, Quantity, calculate, compatible, larger_first, quantities,
    written,
)
from amzn_qa.answer.points import as_points
from amzn_qa.answer.retrieval import keywords
from amzn_qa.answer.state import AnswerState, Decision, Tools
from amzn_qa.answer.understand import _SIDE_END, _VERSUS, COMPARE, DERIVED, FACT, compared_sides, form_rule
from amzn_qa.ingest.documents import Unit, row_label

# The operation each question words asks for, tried in order. A gap in
# percentage points, or "cheaper ... than", is a difference even where "per" follows ("how
# much cheaper per chip"), unless asked in percent; "on average ... per region" is a ratio, not
# a midpoint.
_OPERATION_WORDS = (
    (PERCENT, re.compile(r"(%|\bpercent|\bpct)\b", re.I)),
    (DIFFERENCE, re.compile(r"\b(percentage points?|basis points|bps|gap|difference|delta|spread|savings?|shortfall"
                            r"|headroom|how (many|much) (more|fewer|less)|to go|short of|how far|need to (add|hit|reach))\b"
                            r"|\bhow (many|much)\b.{0,40}\b(adds?|grows?|climbs?|rises?|increases?)\b"
                            r"|\b(cheaper|pricier|more expensive)\b.{0,40}\bthan\b", re.I)),
    (MEAN, re.compile(r"\b(mid-?points?|middle|mid(?![-\s]?\d)|midrange|average of|mean)\b", re.I)),
    (RATIO, re.compile(r"\b(implied\b.{0,40}\bper|times|ratio|multiple|divided|per"
                       r"|each [\w-]+ (?:works?|costs?|comes?|is worth))\b", re.I)),
    (SUM, re.compile(r"\b(combined|total|sum|add(ed)? up|together|altogether)\b", re.I)),
)
# What a per-unit figure divides by: the last word of the phrase after "per" or "each" ("per
# active Rufus customer": customer; "each robot work out to": robot).
_PER = re.compile(r"\b(?:per|each)\s+((?:[\w-]+\s+){0,3}?[\w-]+?)"
                  r"(?=\s+(?:is|are|was|were|work|works|cost|costs|come|comes|would|will|on|in|at|than)\b|[?.,;:]|$)", re.I)
_BOUND_WORDS = (
    (LOW, re.compile(r"\b(low(er)? end|bottom|low|minimum|at least|floor|conservative)\b", re.I)),
    (HIGH, re.compile(r"\b(top|high(er)? end|upper|maximum|ceiling|at most)\b", re.I)),
)
_PAIRED = (re.compile(r"\bbetween (.+?) and (.+?)(?=[?,;:.]|$)", re.I),
           re.compile(r"\bcompar(?:e|ing) ([^,]+?) (?:and|with|to|against) ([^,]+?)(?=[?;:.]|$)", re.I))
_BOUND_NAMES = {LOW: "low end", HIGH: "top end", MID: "midpoint"}
STATEMENTS_READ = 6  # the best-matching statements an input may come from


@dataclass(frozen=True)
class Input:
    quantity: Quantity
    unit: Unit
    label: str  # what the figure is of: its row and column, or its list item's label
    clause: str = ""  # the clause of its statement it is in


# A midpoint the question reads its ranges at ("at the midpoint of A, how many times B",
# "using range midpoints"), not the step it asks for ("what is the midpoint of ...").
_AT_MIDPOINTS = re.compile(r"\b(at|using|use|taking|take|with|on|from|by)\s+(the\s+|range\s+|their\s+|its\s+)*"
                           r"mid-?points?\b", re.I)


def _named_operations(question: str) -> list[str]:
    named = [op for op, words in _OPERATION_WORDS if words.search(question)]
    return [op for op in named if op != MEAN] if len(named) > 1 and _AT_MIDPOINTS.search(question) else named


def asked_operation(question: str) -> str | None:
    """The step the question's words ask for; None when they name none ("walk me through the
    math"): no figure is then computed."""
    return next(iter(_named_operations(question)), None)


def asked_bound(question: str) -> str | None:
    """A range's low or high end, or its midpoint when the question reads its ranges there."""
    if asked_operation(question) not in (MEAN, None) and _AT_MIDPOINTS.search(question):
        return MID
    return next((bound for bound, words in _BOUND_WORDS if words.search(question)), None)


def _paired(question: str) -> re.Match | None:
    return next((m for m in (p.search(question) for p in _PAIRED) if m), None)


def named_pair(question: str) -> tuple[str, str] | None:
    """The two things a question names to set against each other, as it words them: "between
    A and B", "compare A and/with B", "A vs B"."""
    paired = _paired(question)
    if paired:
        return paired.group(1), paired.group(2)
    halves = _VERSUS.split(question.strip())
    return (halves[0], halves[1]) if len(halves) == 2 and all(h.strip() for h in halves) else None


def sides(question: str) -> tuple[str, str] | None:
    """Each side of a question that sets two things against each other, as a question of its
    own: the question without the other side, or the comparison's side queries."""
    paired = _paired(question)
    if paired:
        return question.replace(paired.group(2), " "), question.replace(paired.group(1), " ")
    return compared_sides(question)


def side_marks(question: str) -> tuple[set[str], set[str]]:
    """What tells each side from the other: its keywords the other side does not have."""
    a, b = named_pair(question) or ("", "")
    asked = _SIDE_END.search(b)  # "A vs B - what is asked of both"
    b = b[: asked.start()] if asked else b
    return set(keywords(a)) - set(keywords(b)), set(keywords(b)) - set(keywords(a))


def _label(unit: Unit, statement: str) -> str:
    column, _, _ = statement.partition(": ")
    column = column.strip("- *") if ": " in statement and len(column.split()) <= 4 else ""
    return ", ".join(filter(None, [row_label(unit), column]))


_CLAUSE = re.compile(r"(?<=[.;,])\s+|\s+[(—]\s*")


def figures_of(ranked: list[tuple[float, Unit, str]], marked: set[str] = frozenset()) -> list[Input]:
    """The figures of the best-matching statements, in order; those whose clause has more of
    the `marked` words first ("2027 Target: 24-28GW" for the 2027 side of a whole table row)."""
    found = [(len(marked & set(keywords(clause))), Input(q, unit, _label(unit, text), clause))
             for _, unit, text in ranked[:STATEMENTS_READ]
             for clause in _CLAUSE.split(text) for q in quantities(clause)]
    return [i for _, i in sorted(found, key=lambda marked_input: -marked_input[0])]


def per_phrase(question: str) -> str:
    """What a per-unit figure divides by, as the question words it ("active Rufus customer")."""
    per = _PER.search(question)
    return per.group(1) if per else ""


def asked_per(question: str) -> str:
    """What a per-unit figure divides by, as a keyword ("region" for "per region")."""
    words = keywords(per_phrase(question))
    return words[-1] if words else ""


def _ratio_inputs(found: list[Input], per: str, asked: set[str]) -> list[Input]:
    """An amount over a count: the count is the figure whose clause names what the question
    divides by ("per region": "30+ regions"), else the first count; the amount is the first
    other figure that is not a share, one whose clause names something else the question asks
    about ("96 AZs") first."""
    divisor = next((i for i in found if per and per in keywords(i.clause) and i.quantity.kind != "%"), None) \
        or next((i for i in found if i.quantity.kind == "count"), None)
    if divisor is None:
        return []
    amounts = [i for i in found if i.quantity.kind != "%" and i.quantity.surface != divisor.quantity.surface
               and not (divisor.quantity.noun and i.quantity.noun == divisor.quantity.noun)]  # not regions per region
    named = [i for i in amounts if (asked - {per}) & set(keywords(i.clause))]
    return [(named or amounts)[0], divisor] if amounts else []


def _pair(operation: str, found: list[Input], second_side: list[Input] | None) -> list[Input]:
    """The first figure and the next one it can be set against (from the other side's
    statements, when the question has two sides); a ratio of two like figures ("how many times")
    sets the larger over the smaller."""
    if not found:
        return []
    first = found[0]
    others = second_side if second_side is not None else found[1:]
    second = next((i for i in others if compatible(first.quantity, i.quantity, operation)
                   and i.quantity.surface != first.quantity.surface), None)
    if second and operation == RATIO:
        return sorted([first, second], key=lambda i: -i.quantity.middle)
    return [first, second] if second else []


def chosen_inputs(operation: str, found: list[Input], second_side: list[Input] | None = None,
                  per: str = "", asked: set[str] = frozenset()) -> list[Input]:
    """The inputs of the step: a range's midpoint takes the first range; a ratio an amount
    over what the question divides by (`per`), of what it `asked` about, or without one two
    like figures, else an amount over a count; any other step a pair (`_pair`)."""
    if operation == MEAN and second_side is None:
        return next(([i] for i in found if i.quantity.is_range), [])
    if operation == RATIO and second_side is None:
        if per:
            return _ratio_inputs(found, per, asked)
        return _pair(operation, [i for i in found if i.quantity.kind != "count"], None) \
            or _ratio_inputs(found, per, asked)
    return _pair(operation, found, second_side)


def _shown(i: Input, n: int, bound: str | None) -> str:
    """An input as the calculation shows it: the figure used, the range it is the end of, its
    label and citation."""
    q = i.quantity
    used = written(q.bound(bound)) if bound and q.is_range else q.surface
    of_range = f", the {_BOUND_NAMES[bound]} of {q.surface}" if bound and q.is_range else ""
    label = f" ({i.label}{of_range})" if i.label else f" ({of_range[2:]})" if of_range else ""
    return f"{used}{label} [{n}]"


def _expression(operation: str, shown: list[str], used: list[Quantity]) -> str:
    """The step as written, over the inputs as `shown`; a difference takes the larger of the
    figures `used` first, as `calculate` does."""
    if operation == MEAN and len(shown) == 1:
        return f"the midpoint of {shown[0]}"
    if operation in (DIFFERENCE, PERCENT):
        if larger_first(*used)[0] is not used[0]:
            shown = shown[::-1]
        step = f"{shown[0]} − {shown[1]}"
        return f"({step}) ÷ {shown[1]}" if operation == PERCENT else step
    sign = {MEAN: " and ", SUM: " + ", RATIO: " ÷ "}[operation]
    return ("the average of " if operation == MEAN else "") + sign.join(shown)


def calculation(operation: str, inputs: list[Input], bound: str | None) -> tuple[str, Quantity, list[Unit]]:
    """The answer's text, the result, and the cited units in citation order."""
    units = list(dict.fromkeys(i.unit for i in inputs))
    used = [i.quantity.bound(bound) if bound else i.quantity for i in inputs]
    result = calculate(operation, *used)
    shown = [_shown(i, units.index(i.unit) + 1, bound) for i in inputs]
    floors = " (the inputs are lower bounds, so this is approximate)" if any(q.at_least for q in used) else ""
    return f"About {written(result)}: {_expression(operation, shown, used)}{floors}.", result, units


def _without_inputs(tools: Tools, state: AnswerState, operation: str, two_sides: bool) -> None:
    """No figures to calculate with: a question about two sides ("the difference in severity
    between A and B") is compared; any other is read as the other form rules read it (an
    explanation that mentions "the math" stays an explanation, a look-up a fact)."""
    if two_sides:
        state.form = COMPARE
    else:
        state.form, _ = form_rule(state.turn.own, state.disabled | {"derived_form"})
    if state.form != FACT:
        state.focused = as_points(tools, state.turn.standalone, [h.unit for h in state.hits],
                                  tools.settings.points_unit_margin)
    state.note(f"no figures to take a {operation} of; answered as form {state.form}")


def derive(tools: Tools, state: AnswerState) -> None:
    """The stage: a derived figure, calculated and shown with its cited inputs; without
    inputs that fit, the question goes on as a fact."""
    if state.form != DERIVED:
        return
    question, units = state.turn.own, [h.unit for h in state.hits]
    operation, two = asked_operation(question), sides(question)
    if operation is None:
        _without_inputs(tools, state, "step", two is not None)
        return
    rank = tools.retriever.ranked_statements
    if two:
        marked = side_marks(question)
        inputs = chosen_inputs(operation, figures_of(rank(two[0], units), marked[0]),
                               figures_of(rank(two[1], units), marked[1]))
    else:
        found = figures_of(rank(question, units))
        if operation == RATIO and per_phrase(question):  # the count it divides by may be stated elsewhere
            found += figures_of(rank(per_phrase(question), units))
        inputs = chosen_inputs(operation, found, per=asked_per(question), asked=set(keywords(question)))
    if not inputs:
        _without_inputs(tools, state, operation, two is not None)
        return
    bound = asked_bound(question)
    text, result, cited = calculation(operation, inputs, bound)
    if result.high == 0:  # two readings of one figure, not two figures
        _without_inputs(tools, state, operation, two is not None)
        return
    turn = state.turn
    answer = Answer(turn.typed, text, False, True, [citation(n, u, text) for n, u in enumerate(cited, 1)], {},
                    tools.model, turn.standalone, cited)
    answer.calculation = {"operation": operation, "inputs": [i.quantity.surface for i in inputs],
                          "bound": bound, "result": written(result)}
    state.decide(answer, Decision("calculated", [u.id for u in cited], f"{operation} of {len(inputs)} figures"))
