"""The model's part: the prompt (numbered sources within a token budget, two worked examples)
and the stage that streams the model's draft answer, or a notice when the model fails."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from langchain_core.prompts import ChatPromptTemplate

from amzn_qa import tokens
from amzn_qa.answer.answers import Progress, Token
from amzn_qa.answer.llm import ModelBusy, cancellable, chat_model
from amzn_qa.answer.points import without_covered_tables
from amzn_qa.answer.retrieval import Focused
from amzn_qa.answer.state import AnswerState, Tools, elapsed_ms
from amzn_qa.config import Settings
from amzn_qa.ingest.documents import Unit
from amzn_qa.models import ModelUnavailable

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You answer questions about an analyst's report on Amazon using only the numbered sources. "
    "Reply in one short sentence that gives the exact figure or name as the source writes it, "
    "and cite the source like [1]."
)
# Worked examples fix the format better than any instruction: without them the small model
# pastes whole sources back. Their figures and names are unlike the document's so that a
# copied one fails grounding. There is deliberately no refusal sentence: told to refuse when
# unsure, the 0.5B model refuses most answerable questions (NOTES.md); refusal comes from the
# coverage and grounding checks instead.
_EXAMPLE_SOURCES = (
    "[1] Gadget Sales — Metric: Units Sold. Current: 40K+. Target: none given.\n"
    "[2] Gadget Partners — Partner: Retail. Details: Globex, Initech cited."
)
ANSWER_PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", SYSTEM_PROMPT),
        ("human", f"Sources:\n{_EXAMPLE_SOURCES}\n\nQuestion: Which retail partners sell gadgets?"),
        ("ai", "Globex and Initech [2]."),
        ("human", "Question: How many gadgets are sold now?"),
        ("ai", "40K+ units [1]."),
        ("human", "Sources:\n{sources}\n\nQuestion: {question}"),
    ]
)


def source_line(n: int, unit: Unit, text: str) -> str:
    """How the prompt shows a source: its (focused) text, led by its section's title."""
    title = unit.section.split(" > ")[-1]
    text = text if text.startswith(title) else f"{title}: {text}"
    return f"[{n}] {text}"


def budgeted(focused: list[Focused], settings: Settings) -> list[Focused]:
    """Sources in rank order within the prompt's token budget."""
    chosen: list[Focused] = []
    used = 0
    for f in without_covered_tables(focused):
        cost = tokens.count(source_line(len(chosen) + 1, f.unit, f.view), settings.cache_dir)
        if used + cost <= settings.prompt_token_budget or not chosen:
            chosen.append(f)
            used += cost
    return chosen


def generate(tools: Tools, state: AnswerState) -> Iterator[Progress]:
    """The stage: the model's draft answer (a fact; or anything the points stage, switched off,
    left), kept for the check stage, not shown: what a client has shown it cannot take back.
    Each token is reported as progress, so that a client that goes away stops the model. A
    failure ends the draft with a notice, and the evidence is shown."""
    try:
        for token in _model_tokens(tools, state):
            state.draft += token.text
            yield Progress()
    except Exception as err:  # a provider's network or protocol error too: show the evidence
        state.notice = failure_notice(err)
        state.note(state.notice)


def _model_tokens(tools: Tools, state: AnswerState) -> Iterator[Token]:
    """The model's tokens, until it ends, the client goes away or the time is up."""
    # No output parser after the model: closed early, a parser's step reads its input to the end
    # (LangChain traces it), which would keep a remote model generating.
    chain = ANSWER_PROMPT | cancellable(chat_model(tools.settings), state.cancel)
    sources = "\n".join(source_line(n, f.unit, f.view) for n, f in enumerate(state.focused, 1))
    deadline = state.started + tools.settings.llm_timeout_s
    for message in chain.stream({"sources": sources, "question": state.turn.standalone}):
        state.timings.setdefault("model_first_token_ms", elapsed_ms(state.started))
        yield Token(message.text)
        if time.perf_counter() > deadline:
            raise TimeoutError
        if state.cancel is not None and state.cancel.is_set():
            return


def failure_notice(err: Exception) -> str:
    """What the user is told when the model fails: the evidence is shown instead."""
    if isinstance(err, TimeoutError):
        return "The model did not answer in time, so here is the evidence instead."
    if isinstance(err, ModelUnavailable):
        log.error("model unavailable: %s", err)
        return "The model is unavailable, so here is the evidence instead."
    if isinstance(err, ModelBusy):
        return "The model is busy with other questions, so here is the evidence instead."
    log.error("model failed: %s: %s", type(err).__name__, err)
    timed_out = "timeout" in type(err).__name__.lower() or "timed out" in str(err).lower()
    failed = "The model did not answer in time" if timed_out else "The model failed"
    return f"{failed}, so here is the evidence instead."
