"""What the chain accepts as a question: not empty, not too long, with a history within its
limits; and how a question that tries to override the instructions is recognised."""

from __future__ import annotations

import re

from amzn_qa.answer.answers import NOT_COVERED
from amzn_qa.answer.understand import History
from amzn_qa.config import Settings

INJECTION_REFUSAL = (
    "I only answer questions from the document, and this question asks me to step outside it. "
    + NOT_COVERED
)
# An instruction override addresses the assistant: an order at the start of a clause to drop
# its instructions or the document, "your prompt / instructions / own knowledge", a role to take,
# a forged role label. Ordinary questions that merely contain "act as", "rules", "system" or
# "knowledge" ("Which carriers act as partners?") do not.
_INJECTION = re.compile(
    r"(?:^|[.!?:;,]\s*|\b(?:please|now|and|so|then|you|to)\s+)(?:ignore|disregard|forget|override|bypass)\b"
    r".{0,40}?\b(?:instructions?|prompts?|rules|guidelines|context|sources?|above|previous|document|doc|analysis|report)\b"
    r"|\byour\s+(?:own\s+|general\s+|outside\s+|prior\s+|initial\s+|original\s+|hidden\s+)?"
    r"(?:system\s+prompt|prompt|instructions|rules|guidelines|knowledge|secrets?)\b"
    r"|\b(?:print|reveal|show|repeat|output|display|dump)\b.{0,30}\b(?:system|hidden|initial)\s+(?:prompt|message|instructions|context)\b"
    r"|\byou are (?:now|no longer)\b|\bpretend (?:to be|you)\b|\brole-?play\b"
    r"|(?:^|\byou\s+(?:will\s+|must\s+|should\s+|now\s+)?)act as\b"
    r"|\bjailbreak\b|\bdeveloper mode\b|(?-i:\bDAN\b)"
    r"|\b(?:from|using|use|with)\s+(?:your\s+own|general|outside|prior)\s+knowledge\b"
    r"|^\W*(?:system|assistant|developer)\s*:|\bnew (?:instructions|rules?)\s*:",
    re.IGNORECASE,
)


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long); the message says why."""


def overrides_instructions(question: str) -> str:
    """The words by which the question tries to change what the assistant does, rather than ask
    about the document; "" when it does not."""
    match = _INJECTION.search(question)
    return match.group().strip(" .!?:;,") if match else ""


def validate_question(question: str, settings: Settings) -> str:
    question = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question or "").strip()
    if not question:
        raise QuestionError("The question is empty: type a question about the document.")
    if len(question) > settings.max_question_chars:
        raise QuestionError(
            f"The question is {len(question)} characters long; the limit is "
            f"{settings.max_question_chars}. Shorten it and ask again."
        )
    return question


def validate_history(history: History, settings: Settings) -> None:
    """A conversation a client sends back: at most `max_history_turns` turns, each at most
    `max_turn_chars` long."""
    if len(history) > settings.max_history_turns:
        raise QuestionError(
            f"The history has {len(history)} turns; the limit is {settings.max_history_turns}. "
            "Send only the latest turns."
        )
    for n, turn in enumerate(history, 1):
        if len(turn["content"]) > settings.max_turn_chars:
            raise QuestionError(
                f"History turn {n} is {len(turn['content'])} characters long; the limit is "
                f"{settings.max_turn_chars}."
            )
