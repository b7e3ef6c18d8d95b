"""Whether the cited units are about what the question names (answer/alignment.py)."""

from amzn_qa.answer.alignment import missing_qualifiers, section_number
from amzn_qa.answer.vocabulary import Vocabulary, subject_names
from amzn_qa.ingest.documents import Unit


def unit(uid, text, section="Chips > Widget", start=1, kind="row"):
    return Unit(uid, "report.md", section, kind, text, start, start)


STATUS = unit("status", "Widget Chips — Spec: Widget 2 Status. Details: Sold out.", start=2)
PRICE = unit("price", "Widget Chips — Spec: Price. Details: ~$50-70K per chip.", start=3)
NEXT = unit("next", "Widget 3 (Next Generation): preview in Q4", start=6, kind="list")
POWER = unit("power", "Capacity — Metric: Power. Current: 12-14GW. Context: Acme leading.", section="Infra > Power")
ADDED = unit("added", "Capacity — Metric: Added. Current: 3.8GW. Context: more than Globex.", section="Infra > Power")
CORPUS = [STATUS, PRICE, NEXT, POWER, ADDED]


def test_a_unit_that_names_no_number_is_about_the_number_its_section_names_first():
    assert section_number(PRICE, "Widget", CORPUS) == "2"
    assert missing_qualifiers("What does a Widget 2 chip cost?", [PRICE], CORPUS, set()) == []
    assert missing_qualifiers("What does a Widget 3 chip cost?", [PRICE], CORPUS, set()) == ["Widget 3"]
    assert missing_qualifiers("When is Widget 3 previewed?", [NEXT], CORPUS, set()) == []


def test_a_name_must_be_in_the_cited_unit_not_elsewhere_in_its_section():
    assert missing_qualifiers("How much power does Globex have?", [POWER], CORPUS, set()) == ["Globex"]
    assert missing_qualifiers("How much did Acme add compared with Globex?", [ADDED], CORPUS, set()) == ["Acme"]
    assert missing_qualifiers("How much did Acme add compared with Globex?", [ADDED, POWER], CORPUS, set()) == []


def test_the_documents_subject_is_no_qualifier():
    corpus = [unit(f"u{n}", f"Row {n} is run by Acme.") for n in range(20)] + [ADDED]
    assert "acme" in subject_names(corpus) and "globex" not in subject_names(corpus)
    assert missing_qualifiers("How much did Acme add?", [ADDED], corpus, subject_names(corpus)) == []
    assert Vocabulary.of(corpus).subject == subject_names(corpus)  # computed once per corpus


def test_an_adjective_of_a_named_place_and_a_framing_clause_are_no_missing_qualifier():
    from amzn_qa.answer.alignment import missing_qualifiers

    row = Unit("r", "report.md", "Retail > Margins", "paragraph", "North America retail margin is 4.5%.", 1, 1)
    assert missing_qualifiers("What North American margin is quoted?", [row], [row], set()) == []
    assert missing_qualifiers("For an ESG screen, what is the margin?", [row], [row], set()) == []
    assert missing_qualifiers("What is the South American margin?", [row], [row], set())  # another region


def test_a_name_in_the_singular_is_carried_by_its_plural():
    zones = unit("zones", "Footprint — Metric: Sites. Current: 30+ regions, 96 AZs.", section="Infra > Sites")
    assert missing_qualifiers("How many AZ per region?", [zones], [zones], set()) == []
