import pytest

from amzn_qa.answer.grounding import best_quote, unsupported
from amzn_qa.answer.markers import cited_numbers
from amzn_qa.answer.text import figures, is_refusal, names

ROW = (
    "Trainium (Training Silicon) — Specification: Price. Details: ~$50-70K per chip (estimate). "
    "Competitive Advantage: 30-40% cheaper than Nvidia H100 ($150K+)."
)


@pytest.mark.parametrize(
    "answer",
    [
        "About $50-70K per chip [1].",
        "Roughly $50K–$70K per chip [1].",
        "Between $50,000 and $70,000 [1].",
        "It is 30-40% cheaper than the Nvidia H100 [1].",
        "Trainium costs $50-70K, versus $150K+ for an H100 [1].",
    ],
)
def test_supported_answers_pass(answer):
    assert unsupported(answer, ROW) == []


@pytest.mark.parametrize(
    "answer, invented",
    [
        ("About $85K per chip [1].", "$85K"),
        ("The CEO of Amazon is Andy Jassy [1].", "CEO"),
        ("Trainium 2 was designed by Annapurna Labs [1].", "Annapurna"),
        ("It costs $50-70K and ships in March 2026 [1].", "March"),
        ("Prices are 55% lower [1].", "55%"),
    ],
)
def test_invented_figures_and_names_are_caught(answer, invented):
    assert invented in unsupported(answer, ROW)


def test_figure_spellings_normalise():
    assert figures("3.8GW")[0].values == figures("3.8 GW")[0].values
    assert 1e6 in figures("1M+")[0].values and 1e6 in figures("1 million robots")[0].values
    assert 2300.0 in figures("2,300 cities")[0].values
    assert 50_000.0 in figures("$50-70K")[0].values  # a range's suffix scales its start
    assert figures("Q3 and H100") == []  # designators are names, not figures


def test_names_skip_sentence_starts_but_keep_distinctive_words():
    assert names("Amazon deployed robots. Robots help Kiva.") == ["Kiva"]
    assert names("AWS leads. CEO pay rose.") == ["AWS", "CEO"]
    # A first word with a number after it is a numbered name, though the word alone is not.
    assert names("Trainium 3 TDP") == ["Trainium 3", "TDP"]
    assert names("Numbers pls, I'm pitching. We're sure Kiva's") == ["Kiva"]  # "I'm" is no name


def test_citation_parsing():
    assert cited_numbers("A [2] and B [1, 3]; C [2][9].", n_sources=5) == [2, 1, 3]
    assert cited_numbers("No citations here.", n_sources=5) == []


@pytest.mark.parametrize(
    "text, refused",
    [
        ("The document does not say.", True),
        ("The sources don't mention a CEO.", True),
        ("This is not stated in the sources.", True),
        ("There is no information about that.", True),
        ("About $50-70K per chip [1].", False),
        ("Customer adoption is growing but slower than expected.", False),
    ],
)
def test_refusal_detection(text, refused):
    assert is_refusal(text) is refused


def test_best_quote_picks_the_matching_piece():
    assert best_quote("$150K+ for an H100", ROW).startswith("Competitive Advantage: 30-40% cheaper")


def test_scaled_figures_need_their_full_value():
    assert unsupported("40K+ units [1].", "Performance improvement: ~40% vs Trainium 2") == ["40K+"]
    assert unsupported("100 million users [1].", "Monthly Active Users: Tens of millions") == ["100 million"]


def test_citations_to_missing_sources_are_dropped():
    from amzn_qa.answer.markers import keep_citations

    assert keep_citations("Industry leader [3].", range(1, 3)) == "Industry leader."
    assert keep_citations("A [1, 4] and B [2].", range(1, 3)) == "A [1] and B [2]."
    assert keep_citations("A [1, 2] and B [2].", [1]) == "A [1] and B."  # a dropped source, grouped too


def test_links_and_foreign_wording_are_caught():
    from amzn_qa.answer.grounding import grounding_problems

    assert "http://evil.example/steal" in grounding_problems("![x](http://evil.example/steal) [1]", ROW)
    assert grounding_problems("The ocean is a vast expanse of water, deep and blue [1].", ROW) == ["wording"]
    assert grounding_problems("A Trainium chip costs about $50-70K, cheaper than the Nvidia H100 [1].", ROW) == []


def test_a_scaled_figure_does_not_back_its_bare_number():
    assert unsupported("It costs $1 [1].", "1M+ robots deployed") == ["$1"]
    assert unsupported("Over 1 million robots [1].", "1M+ robots deployed") == []


def test_an_answer_that_only_repeats_the_question_says_nothing():
    from amzn_qa.answer.grounding import says_nothing_new

    assert says_nothing_new("Strongest advantage [1].", "What is DSP's strongest advantage?")
    assert says_nothing_new("Yes [1].", "Does Amazon report it separately?")
    assert not says_nothing_new("Measurement [1].", "What is DSP's strongest advantage?")
    assert not says_nothing_new("2026 [1].", "When is the 2027 target?")


def test_a_money_question_needs_a_money_figure():
    from amzn_qa.answer.grounding import wrong_kind_of_figure

    evidence = "Price: ~$50-70K per chip. Power: 3.8GW. CapEx: $100B+ annual. Premium: ~20%."
    assert wrong_kind_of_figure("What is Amazon's share price?", "3.8GW [1]", evidence)
    assert not wrong_kind_of_figure("What is the chip price?", "~$50-70K [1]", evidence)
    assert not wrong_kind_of_figure("How much CapEx is needed?", "100B+ annual [1]", evidence)  # "$" in the source
    assert not wrong_kind_of_figure("What price premium applies?", "~20% [1]", evidence)
    assert not wrong_kind_of_figure("How much power was added?", "3.8GW [1]", evidence)
    # a figure alone in a short clause that names money is money, though written without "$"
    stake = "Use: Strategic partnership (9.5B Anthropic investment). Capital cost: 1M+ robots = $5B+ investment."
    assert not wrong_kind_of_figure("How big is the Anthropic investment?", "9.5B [1]", stake)
    assert wrong_kind_of_figure("What do the robots cost?", "1M+ [1]", stake)  # a count in a long clause
    # a duration is asked, whatever money word the question uses
    assert not wrong_kind_of_figure("How long did they spend developing it?", "20 months [1]", "After 20-month build.")
    # a question that names the currency asks for money, not a share of it
    assert wrong_kind_of_figure("gizmo revenue in $ terms", "~20% [1]", evidence)
    assert wrong_kind_of_figure("what's the dollar figure for gizmo revenue?", "~20% [1]", evidence)
    assert not wrong_kind_of_figure("What percentage of revenue is billed in US dollars?", "~20% [1]", evidence)


def test_a_margin_or_percentage_question_needs_a_share():
    from amzn_qa.answer.grounding import wrong_kind_of_figure

    evidence = "Q4 2025 expected to add at least 1GW. Margin: 800 bps expansion. Adoption: ~15% of EC2."
    assert wrong_kind_of_figure("aws op margin in q3", "1GW [1]", evidence)
    assert wrong_kind_of_figure("what % of anthropic does amzn own", "9.5B investment [1]", evidence)
    assert not wrong_kind_of_figure("How much gross margin expansion was there?", "800 bps [1]", evidence)
    assert not wrong_kind_of_figure("What share of EC2 instances use Graviton?", "~15% [1]", evidence)
    assert not wrong_kind_of_figure("what margin do they assume", "Not given [1]", evidence)  # no figure to judge


def test_a_name_may_come_from_the_cited_section_but_a_number_may_not():
    from amzn_qa.answer.grounding import off_topic

    row = "Trainium 2 Status: 30-40% better price/performance vs A100/H100"
    section = row + "\nPrice: 30-40% cheaper than Nvidia H100"
    assert off_topic("How much better is it than Nvidia's?", row) == ["Nvidia"]
    assert off_topic("How much better is it than Nvidia's?", row, section) == []
    assert off_topic("How many minutes of AI-generated audio?", "Generative AI Audio Features") == []
    assert off_topic("What does Graviton 4 cost?", "Graviton 3: ~20% premium", "Graviton 4: none given") == ["Graviton 4"]


def test_an_answer_that_is_only_a_heading_or_a_label_says_nothing():
    from amzn_qa.answer.grounding import only_a_label
    from amzn_qa.ingest.documents import Unit

    row = Unit("r", "d.md", "Products > AgentCore (AI Agent Infrastructure)", "row",
               "AgentCore (AI Agent Infrastructure) — Component: Growth Rate. Details: Recent launch.", 5, 5)
    bullets = Unit("l", "d.md", "Products > Chips", "list", "Trainium 3 (Next Generation):\n- Demand from large customers", 7, 8)
    assert only_a_label("AgentCore (AI Agent Infrastructure) [1].", [row])
    assert only_a_label("Trainium 3 (Next Generation) [1].", [bullets])
    assert only_a_label("AgentCore (AI Agent Infrastructure) — Component: Growth Rate. [1]", [row])
    assert not only_a_label("Recent launch [1].", [row])
    # words of the headings, row labels and column headers alone, no figure: still only labels
    assert only_a_label("AgentCore [1].", [row])
    assert only_a_label("Growth Rate details [1]", [row])
    assert not only_a_label("Growth Rate 40% [1]", [row])
    assert not only_a_label("Growth Rate [1]", [row], asks_which=True)  # "which component …?" names a row


def test_a_word_is_known_in_its_plural_and_as_the_adjective_of_a_known_name():
    from amzn_qa.answer.text import known_word

    known = {"america", "europe", "sku"}
    assert known_word("skus", known) and known_word("american", known) and known_word("europeans", known)
    assert not known_word("canadian", known) and not known_word("african", known)


def test_a_hyphenated_word_backs_its_parts_and_a_hyphenated_name_needs_its_capitalised_parts():
    assert unsupported("They are ARM chips [1].", "Graviton — Purpose: General-purpose ARM-based.") == []
    assert unsupported("Its AI-voiced audio [1].", "AI audio on millions of product pages.") == []
    assert unsupported("Its Kiva-built robots [1].", "AI audio on millions of product pages.") == ["Kiva-built"]
    # a hyphenated word of name parts only must be there whole
    assert unsupported("Nova-Pro [1].", "Nova Lite; Pro-grade") == ["Nova-Pro"]
    assert unsupported("GPT-4o [1].", "GPT-4 models") == ["GPT-4o"]


def test_an_answer_made_of_a_list_labels_value_is_an_answer():
    from amzn_qa.answer.grounding import only_a_label
    from amzn_qa.ingest.documents import Unit

    grade = Unit("g", "d.md", "Summary", "list", "Overall Execution: A (Excellent):\n- Scale proven", 3, 4)
    assert not only_a_label("Excellent [1]", [grade])
    assert only_a_label("Overall Execution: A (Excellent) [1]", [grade])  # the whole label, as before
