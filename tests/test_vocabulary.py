"""Resolving a question's shorthand, misspellings and abbreviations against the documents' own
vocabulary (the real document, the real embedding model's word list)."""

import pytest

from amzn_qa.ingest.convert import to_markdown
from amzn_qa.ingest.documents import chunk_markdown
from amzn_qa.answer.vocabulary import Vocabulary

from .conftest import DOCUMENT


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.of(chunk_markdown(to_markdown(DOCUMENT).text, DOCUMENT.name))


@pytest.mark.parametrize(
    "typed, resolved",
    [
        ("what does a Bedrok call cost", "what does a Bedrock call cost"),  # misspelled name
        ("gravaton share of ec2", "Graviton share of EC2"),
        ("Trainum 3 launch date", "Trainium 3 launch date"),
        ("trn2 power draw", "Trainium 2 power draw"),  # consonants + generation
        ("grvtn 4 perf", "Graviton 4 performance"),  # and analyst shorthand
        ("g2 vs g3 pricing", "Graviton 2 vs Graviton 3 pricing"),  # an initial + a generation it has
        ("fcf outlook", "free cash flow outlook"),
        ("curo comps?", "curo competitors?"),
        ("capacity guided for q4 25", "capacity guided for Q4 2025"),  # a quarter's short year
        ("AMC privacy angle", "Amazon Marketing Cloud privacy angle"),  # an acronym of a name
        ("how big is azure vs aws", "how big is Azure vs AWS"),  # a name, capitalised as written
        ("Does Cloud Front have edge sites", "Does CloudFront have edge sites"),  # a name typed in two words
        ("what's the px", "what's the share price"),
        ("is it undersubscribed", "is it undersubscribed"),  # a prefix is no typo of "subscribed"
        ("Rainier chips by YE25", "Rainier chips by year-end 2025"),  # a year-end's short year
        ("how many availability zones per region", "how many AZs per region"),  # a term of the field
        ("what thermal design power per chip", "what TDP per chip"),
        ("a $10B-plus sales figure", "a $10B+ sales figure"),  # a figure's "+" as a word
        ("robots per fulfilment centre", "robots per fulfillment center"),  # the documents' spelling
    ],
)
def test_shorthand_and_misspellings_resolve_to_the_documents_words(vocabulary, typed, resolved):
    assert vocabulary.resolve(typed) == resolved


@pytest.mark.parametrize(
    "question",
    [
        "what's the weather in seattle",  # ordinary English is never "corrected" into the document
        "and hows the unit econ looking",  # "how's" typed without its apostrophe is not "shows"
        "How many robots has Amazon deployed?",  # known words stay as typed
        "Which carriers act as partners?",
        "How much has Amazon invested in machine learning?",  # terms the documents write stay
        "is 2 plus 2 still 4",
        "Graviton 4 plus Trainium 3 adoption",  # a name's number, not a figure
        "are shelves filled before pre-tax cutoffs",  # "filled" is no spelling of "filed"
    ],
)
def test_known_and_ordinary_words_are_left_alone(vocabulary, question):
    assert vocabulary.resolve(question) == question


def test_an_abbreviation_the_document_defines_is_spelled_out(vocabulary):
    assert "CloudFront" in vocabulary.resolve("CDN footprint")


def test_an_ambiguous_abbreviation_is_left_as_typed():
    from amzn_qa.ingest.documents import Unit

    units = [Unit("1", "d.md", "Chips", "paragraph", "We ship Trainium 2 and Tranium 2.", 1, 1)]
    assert Vocabulary.of(units).resolve("trn2") == "trn2"


def test_an_initial_with_a_generation_the_documents_lack_stays_unknown(vocabulary):
    assert vocabulary.resolve("g9 pricing") == "g9 pricing"
    assert vocabulary.unknown_codes(vocabulary.resolve("g9 pricing")) == ["g9"]


def test_model_numbers_no_document_has_are_reported_in_any_case(vocabulary):
    assert vocabulary.unknown_codes("nvidia b200 price vs GB300") == ["b200", "GB300"]
    assert vocabulary.unknown_codes("h100 price and ec2 share") == []


@pytest.mark.parametrize("question, read", [
    ("growth in the fourth quarter of 2025?", "growth in Q4 2025?"),
    ("added in the second quarter of twenty twenty five", "added in Q2 2025"),
    ("what about Q3 of 2026", "what about Q3 2026"),
    ("four quarters of growth", "four quarters of growth"),
])
def test_a_quarter_in_words_is_read_as_the_documents_write_it(question, read):
    from amzn_qa.answer.vocabulary import worded_quarters

    assert worded_quarters(question) == read


def test_an_analyst_idiom_gets_the_plain_words_a_report_uses_beside_it():
    vocabulary = Vocabulary.of(chunk_markdown("# Notes\n\n## Gizmo\n\n- Gizmo risk: churn.\n", "notes.md"))
    assert vocabulary.resolve("and the downside?") == "and the downside (risk)?"
    assert vocabulary.resolve("who's it up against") == "who's it up against (competitors competition)"
    assert vocabulary.resolve("what is the risk?") == "what is the risk?"
