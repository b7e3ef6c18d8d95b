"""The refusal stage (answer/refusal.py) on the real document: a table of questions from dev,
each with the passages retrieval gave it, and the rule that refuses it (None: not refused)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from amzn_qa.answer.refusal import refuse
from amzn_qa.answer.retrieval import Focused, Hit
from amzn_qa.answer.state import AnswerState
from amzn_qa.answer.understand import EXPLAIN, FACT
from amzn_qa.answer.vocabulary import Vocabulary
from amzn_qa.config import Settings
from amzn_qa.ingest.documents import chunk_markdown, statements

from .conftest import DOCUMENT

UNITS = chunk_markdown(DOCUMENT.read_text(encoding="utf-8"), DOCUMENT.name)
VOCABULARY = Vocabulary.of(UNITS)


def passage(needle: str):
    """The row, list or paragraph holding `needle`."""
    return next(u for u in UNITS if needle in u.text and u.kind != "table")


def focused(unit, needle: str) -> Focused:
    best = next((s for s in statements(unit).items if needle in s), unit.text)
    return Focused(unit, unit.text, 1.0, best)


def state(question: str, needles: list[str], form: str = FACT, similarity: float = 0.6, keyword: float = 2.0):
    """The question with the passages holding `needles` retrieved and focused on."""
    units = [passage(n) for n in needles]
    return AnswerState(question, form=form, hits=[Hit(u, 0.1, similarity, keyword) for u in units],
                       focused=[focused(u, n) for u, n in zip(units, needles)], corpus=UNITS,
                       subject=VOCABULARY.subject)


TOOLS = SimpleNamespace(settings=Settings(), vocabulary=VOCABULARY, model="m")

TABLE = [
    # question (dev), what retrieval gave it (a needle per passage), form, the refusing rule
    ("Who is the CEO of Amazon?", ["AWS infrastructure world-class", "1M+ robots"], FACT, "absent_specifics"),
    ("What is the price of an Nvidia B200 chip?", ["~$50-70K per chip", "$150K+"], FACT, "absent_specifics"),
    ("aws power capacity target for 2028", ["16-18GW", "Q4 2025 expected"], FACT, "absent_specifics"),
    ("What is Amazon's current share price?", ["AWS infrastructure world-class"], FACT, "outside_figure"),
    ("How many employees does Amazon have?", ["1M+ robots"], FACT, "outside_figure"),
    ("the report says trainium 2 is undersubscribed - what's driving the weak demand?",
     ["Fully subscribed"], FACT, "unsupported_premise"),
    ("Since Amazon ditched Nvidia across AWS in favour of Trainium, how much is that saving them a year?",
     ["30-40% cheaper than Nvidia"], FACT, "unsupported_premise"),
    ("why is graviton adoption running ahead of what everyone expected", ["slower than expected"], EXPLAIN,
     "contradicted_premise"),
    ("Is Curo's $19/month subscription cheaper than GitHub Copilot's?", ["Competing with GitHub Copilot"], FACT,
     "absent_specifics"),  # an offered price, and no price of Curo's to check it against
    ("ok and Graviton 4 pricing / adoption", ["Chip: Graviton 4"], FACT, "blank_cell"),  # as read after its first turn
    ("what's sagemaker rev run-rate", ["Not separately reported"], FACT, "blank_cell"),  # an entry saying so
    # answered: the sources cover them
    ("What does a Trainium 2 chip cost per the analyst?", ["~$50-70K per chip", "Trainium 2 Status"], FACT, None),
    ("25% — is that the share of EC2 instances running on Graviton, or am I off?",
     ["~15% of EC2 instances"], FACT, None),  # an offered figure is a claim to check, not a qualifier
    ("what's the midpoint of aws's 2027 power capacity goal? single number", ["24-28GW"], FACT, None),
    ("why is graviton adoption lagging if it's cheaper", ["slower than expected"], EXPLAIN, None),  # the premise holds
    ("Does Amazon report SageMaker revenue separately?", ["Not separately reported"], FACT, None),  # asks just that
    ("Is SageMaker revenue disclosed?", ["Not separately reported"], FACT, None),
    # a hyphenated word is a name by its capitalised parts; "ARM-based" mentions ARM; MW is a unit
    ("How many minutes of the AI-voiced product audio have listeners streamed so far?",
     ["AI-Generated Product Audio"], FACT, None),
    ("why does the analyst call the ARM server chips lower-risk than the training chips?",
     ["General-purpose ARM-based"], EXPLAIN, None),
    ("Q4 2025 incremental load AWS is expected to energise - what's the number? need it in GW/MW",
     ["Q4 2025 expected to add at least 1GW"], FACT, None),  # as read ("Q4'25" is Q4 2025)
]


@pytest.mark.parametrize("question, needles, form, rule", TABLE, ids=[row[0][:40] for row in TABLE])
def test_the_refusal_stage_refuses_exactly_what_its_sources_do_not_cover(question, needles, form, rule):
    asked = state(question, needles, form)
    refuse(TOOLS, asked)
    assert (asked.noted.get("rule") if asked.answer else None) == rule
    if rule:
        assert asked.answer.refused and asked.answer.mode in ("refusal", "evidence")


def test_a_question_no_passage_is_near_is_refused_for_low_relevance():
    asked = state("whats a good banana bread recipe", ["1M+ robots"], similarity=0.05, keyword=0.0)
    refuse(TOOLS, asked)
    assert asked.noted["rule"] == "low_relevance" and asked.answer.answer == "The document does not cover this."


def test_a_near_miss_refusal_says_what_the_document_gives_instead():
    asked = state("aws power capacity target for 2028", ["16-18GW"])
    refuse(TOOLS, asked)
    assert asked.answer.answer.startswith("The document does not give this for 2028; the closest it gives is: “")
    assert "16-18GW" in asked.answer.answer and asked.answer.citations


def test_an_outside_figure_is_refused_in_one_sentence():
    asked = state("What is Amazon's current share price?", ["AWS infrastructure world-class"])
    refuse(TOOLS, asked)
    assert asked.answer.answer == "The document does not give a share price." and not asked.answer.citations


def test_a_switched_off_rule_passes():
    asked = state("What is Amazon's current share price?", ["AWS infrastructure world-class"])
    asked.disabled = frozenset({"outside_figure", "absent_specifics"})
    refuse(TOOLS, asked)
    assert asked.answer is None


def test_a_contradicted_premise_is_corrected_with_what_the_document_says():
    asked = state("why is graviton adoption running ahead of what everyone expected", ["slower than expected"], EXPLAIN)
    refuse(TOOLS, asked)
    assert asked.answer.answer == (
        "The document does not say that graviton adoption is running ahead of what everyone expected; it says: "
        "“Customer adoption: Growing but slower than expected (customer preference for x86 persists)” [1]")
    assert asked.answer.citations[0].chunk_id == passage("slower than expected").id
