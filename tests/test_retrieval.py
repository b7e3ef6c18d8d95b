import pytest

from amzn_qa.answer.retrieval import Hit, rows_by_label, keywords, named_rows_first
from amzn_qa.ingest.documents import Unit

POWER = "AWS Infrastructure Capabilities > Data Center & Power Infrastructure"
TRAINIUM = "Custom Silicon & AI Chip Strategy > Trainium (Training Silicon)"
# Questions written from the document, in an analyst's words rather than its own.
QUESTIONS = [
    ("Roughly what does one Trainium 2 chip cost?", TRAINIUM, "~$50-70K"),
    ("How much new power did AWS bring online in a year?", POWER, "3.8GW"),
    ("What power capacity is AWS aiming for in 2027?", POWER, "24-28GW"),
    ("When did Amazon buy Kiva?", "Fulfillment & Logistics Technology > Robotics & Automation", "Kiva 2012"),
    ("How much does an Nvidia H100 cost?", TRAINIUM, "$150K+"),
    ("Which share of EC2 instances run on Graviton?", "Custom Silicon & AI Chip Strategy > Graviton (General-Purpose Compute)", "~15%"),
    ("How many people use the Rufus shopping assistant?", "Retail Technology Stack > Rufus AI Shopping Assistant", "250M"),
    ("Which companies have deployed AgentCore agents?", "AI & ML Platform Capabilities > AgentCore (AI Agent Infrastructure)", "Ericsson"),
    ("How many cities get perishable grocery delivery?", "Fulfillment & Logistics Technology > Perishable Grocery Delivery", "2,300"),
    ("What data partners feed Amazon DSP targeting?", "Advertising Technology > Amazon DSP (Demand-Side Platform)", "Netflix"),
    ("How risky is Trainium adoption failure, on a 1-10 scale?", "Technical Risk Assessment", "Trainium Ecosystem Adoption Failure"),
    ("How many edge locations does the CDN have?", "AWS Infrastructure Capabilities > Compute & Network Infrastructure", "300+"),
    ("Who trains models on Project Rainier?", "Custom Silicon & AI Chip Strategy > Project Rainier (AWS Internal Deployment)", "Anthropic"),
]


@pytest.mark.parametrize("question, section, evidence", QUESTIONS)
@pytest.mark.embedder
def test_answer_bearing_unit_is_in_top_3(retriever, question, section, evidence):
    hits = retriever.retrieve(question, k=3)
    assert any(h.unit.section == section and evidence in h.unit.text for h in hits), [
        h.unit.text[:80] for h in hits
    ]


@pytest.mark.embedder
def test_hits_carry_scores_and_heading_paths(retriever):
    hits = retriever.retrieve("Trainium 2 price", k=5)
    assert len(hits) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(" > " in h.unit.section for h in hits)
    assert any(h.similarity > 0 for h in hits) and any(h.keyword_score > 0 for h in hits)


def test_keywords_keep_figures_and_names():
    assert "3.8gw" in keywords("3.8GW added") and "3.8" in keywords("3.8GW added")
    assert "h100" in keywords("Nvidia H100 ($150K+)")
    assert "the" not in keywords("the price")


def _row(uid: str, table: str, label: str, rest: str) -> Unit:
    return Unit(uid, "r.md", table, "row", f"{table} — Domain: {label}. {rest}.", 1, 1)


def test_a_row_named_by_its_own_label_comes_first_even_when_the_search_missed_it():
    rows = [
        _row("a", "Summary", "Custom Silicon", "Need: $5B"),
        _row("b", "Summary", "AI/ML Platform", "Need: $10B"),
        _row("c", "Chips", "Price", "Details: $50K"),
        _row("d", "Other", "Competitive Position", "Details: leader"),
        _row("e", "More", "Competitive Position", "Details: follower"),
    ]
    names = rows_by_label(rows)
    # One-word labels and labels several tables share are attributes, not names.
    assert set(names.values()) == {rows[0], rows[1]}
    searched = [Hit(rows[2], 0.03, 0.5, 1.0)]
    ordered = named_rows_first("custom silicon vs the AI/ML platform - how much does each need", searched, names, None)
    assert [h.unit.id for h in ordered] == ["a", "b", "c"]
    assert named_rows_first("chip price", searched, names, None) == searched
    assert named_rows_first("custom silicon need", searched, names, {"other.md"}) == searched


@pytest.mark.embedder
def test_both_sides_of_a_comparison_come_from_the_table_with_a_row_for_each(retriever):
    hits = retriever.retrieve("custom silicon vs the ai/ml platform - how much $ does each need", k=5)
    assert {h.unit.text.split(". ")[0] for h in hits[:2]} == {
        "Technical Execution Summary — Domain: Custom Silicon", "Technical Execution Summary — Domain: AI/ML Platform"}

