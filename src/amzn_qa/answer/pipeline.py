"""The answer pipeline as data: the stages in their order (`STAGES`), the named rules they apply
(`RULES`), and how one question runs through them, recording a trace.

A stage runs until some stage finishes the answer; after that only the finishing stages run.
The stages marked per part run once for each part of a compound question. A stage or rule named
in `Settings.disable` (AMZN_QA_DISABLE) is switched off: a stage is skipped, a rule passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

from amzn_qa.answer.answers import Answer, Progress, Token
from amzn_qa.answer.checks import CHECKS, check
from amzn_qa.answer.comparison import compare_sides, top_row
from amzn_qa.answer.derived import derive
from amzn_qa.answer.filtered_rows import filtered_rows
from amzn_qa.answer.follow_up import follow_row
from amzn_qa.answer.generation import generate
from amzn_qa.answer.labelled_list import labelled_list
from amzn_qa.answer.points import points
from amzn_qa.answer.refusal import GAPS, refuse
from amzn_qa.answer.row_cells import asked_cells
from amzn_qa.answer.row_items import row_items
from amzn_qa.answer.row_labels import row_labels
from amzn_qa.answer.stages import (
    choose_form, context, differing_figures, finish, guard, join, name_documents, retrieve, split, stream, understand,
)
from amzn_qa.answer.state import AnswerState, Tools, elapsed_ms
from amzn_qa.answer.understand import FORM_RULES
from amzn_qa.config import ConfigError


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Tools, AnswerState], Iterator[Token | Progress] | None]  # an iterator streams its events
    per_part: bool = False  # runs for each part of a compound question
    finishing: bool = False  # runs on an answer once a stage has finished it (and only then)
    optional: bool = True  # may be switched off; the others every answer needs


STAGES: tuple[Stage, ...] = (
    Stage("guard", guard),
    Stage("understand", understand),
    Stage("split", split),
    Stage("form", choose_form, per_part=True),
    Stage("retrieve", retrieve, per_part=True, optional=False),
    Stage("context", context, per_part=True, optional=False),
    Stage("follow_row", follow_row, per_part=True),
    Stage("refuse", refuse, per_part=True),
    Stage("asked_cells", asked_cells, per_part=True),
    Stage("derive", derive, per_part=True),
    Stage("compare_sides", compare_sides, per_part=True),
    Stage("top_row", top_row, per_part=True),
    Stage("row_items", row_items, per_part=True),
    Stage("filtered_rows", filtered_rows, per_part=True),
    Stage("labelled_list", labelled_list, per_part=True),
    Stage("row_labels", row_labels, per_part=True),
    Stage("points", points, per_part=True),
    Stage("generate", generate, per_part=True),
    Stage("check", check, per_part=True, optional=False),
    Stage("name_documents", name_documents, per_part=True, finishing=True),
    Stage("differing_figures", differing_figures, per_part=True, finishing=True),
    Stage("join", join, optional=False),
    Stage("stream", stream, finishing=True, optional=False),
    Stage("finish", finish, finishing=True, optional=False),
)

# The rules a trace names and AMZN_QA_DISABLE may switch off (a switched-off rule passes), by
# stage. Three outcomes are named in traces but are no rule: no_passages (context),
# model_failed and passed_checks (check).
RULES: tuple[str, ...] = (
    "instruction_override",  # guard
    "split_question",  # split
    *(rule for rule, _, _ in FORM_RULES),  # form: derived_form, compare_form, fact_form, list_command_form, explain_form, list_form
    "compared_sides",  # retrieve
    "figure_statements",  # context
    *(rule for rule, _ in GAPS), "addresses_assistant", "blank_cell",  # refuse
    "whole_tables", "compact_points",  # points
    "claim_by_claim", *(rule for rule, _ in CHECKS if rule),  # check
)


def switchable() -> list[str]:
    """Every name AMZN_QA_DISABLE accepts: the optional stages, then the rules."""
    return [stage.name for stage in STAGES if stage.optional] + list(RULES)


def check_disabled(names: Collection[str]) -> None:
    """A name no stage or rule has is an error (a misspelt rule would otherwise stay on)."""
    unknown = [name for name in names if name not in switchable()]
    if unknown:
        raise ConfigError(
            f"AMZN_QA_DISABLE names {', '.join(unknown)}: no stage or rule of that name can be switched "
            f"off. Known: {', '.join(switchable())}."
        )


def answered(tools: Tools, state: AnswerState) -> Generator[Token, None, Answer]:
    """Run the question through the stages, streaming their tokens; return its Answer, with the
    trace of the stages that ran."""
    for per_part, stages in groupby(STAGES, key=lambda stage: stage.per_part):
        if not per_part:
            yield from _run(tools, state, stages)
        elif state.answer is None:
            yield from _run_parts(tools, state, tuple(stages))
    state.answer.trace = state.trace
    return state.answer


def _run_parts(tools: Tools, state: AnswerState, stages: tuple[Stage, ...]) -> Iterator[Token]:
    """The per-part stages for each part; the parts' traces join the question's."""
    state.parts = state.parts or [state.part(state.turn)]  # the split stage was switched off
    for n, part in enumerate(state.parts, 1):
        yield from _run(tools, part, stages)
        state.trace += [{**entry, "part": n} if len(state.parts) > 1 else entry for entry in part.trace]


def _due(stage: Stage, state: AnswerState) -> bool:
    """A stage runs until the answer is finished, a finishing stage only once it is; neither
    when switched off."""
    return stage.name not in state.disabled and (state.answer is not None) == stage.finishing


def _run(tools: Tools, state: AnswerState, stages: Iterable[Stage]) -> Iterator[Token]:
    for stage in stages:
        if not _due(stage, state):
            continue
        started = time.perf_counter()
        streamed = stage.run(tools, state)
        if streamed is not None:
            yield from streamed
        state.trace.append({"stage": stage.name, "ms": round(elapsed_ms(started), 1), **state.noted})
        state.noted = {}
