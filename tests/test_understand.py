"""The answer form is read from how a question is asked, whatever the report."""

import pytest

from amzn_qa.answer.understand import COMPARE, DERIVED, EXPLAIN, FACT, LIST, answer_form, form_rule


@pytest.mark.parametrize(
    "question, form",
    [
        ("How many stores does Acme run?", FACT),
        ("what's the price of the widget", FACT),
        ("When did the plant open?", FACT),
        ("which suppliers does Acme use", LIST),
        ("list the product lines", LIST),
        ("acme partners", LIST),
        ("the plant's purpose, bullet it out", LIST),
        ("is the subscriber growth real or just hype", EXPLAIN),  # a yes/no question asks for a judgement
        ("issues with the new plant", FACT),
        ("why did margins fall", EXPLAIN),
        ("walk me through the capex plan", EXPLAIN),
        ("walk me thru the capex plan", EXPLAIN),
        ("supply risk - how worried should i be", EXPLAIN),
        ("what's dragging on store margins", LIST),
        ("pricing levers?", LIST),
        ("what are the main risks for the retail arm", EXPLAIN),
        ("List the risks in the supply table.", LIST),
        ("Which WidgetCo executive said supply is short?", FACT),  # a person by role: one name  # asked for in so many words: the command wins
        ("plant risks - list em", LIST),
        ("supplier strategy bullets", LIST),
        ("how does the loyalty scheme make money", EXPLAIN),
        ("widget a vs widget b on price", COMPARE),
        ("which segment has the highest growth", COMPARE),
        ("how does the EU unit compare with the US one", COMPARE),
        ("has the app passed a million downloads yet?", FACT),  # a yes/no question about one figure
        ("is the plant on track to add 2GW this year?", FACT),
        ("how far is the margin from its target?", DERIVED),
        ("what does the sales goal work out to per store?", DERIVED),
    ],
)
def test_answer_form_follows_the_wording_of_the_question(question, form):
    assert answer_form(question) == form


def test_an_elliptical_follow_up_asks_the_earlier_question_about_another_period_or_generation():
    from amzn_qa.answer.understand import substituted

    assert substituted("and 2027?", "AWS power capacity target 2026") == "AWS power capacity target 2027"
    assert substituted("and Q1 2026?", "how much power is added in Q4 2025") == "how much power is added in Q1 2026"
    assert substituted("and Trainium 3's?", "Trainium 2 TDP") == "Trainium 3 TDP"
    assert substituted("And what about an Nvidia H100?", "What does a Trainium 2 chip cost?") == ""
    assert substituted("2027", "target 2026") == ""  # not elliptical: nothing to fill in


def test_a_shortened_numbered_name_is_read_from_the_earlier_turn():
    from amzn_qa.answer.understand import with_earlier_names

    assert with_earlier_names("and g3? still cheaper", "Graviton 2 pricing vs x86") == "and Graviton 3? still cheaper"
    assert with_earlier_names("how about q3 numbers", "Q4 2025 power") == "how about q3 numbers"


def test_a_comparison_is_retrieved_side_by_side():
    from amzn_qa.answer.understand import compared_sides

    assert compared_sides("Rufus vs Amazon Lens - which has more users") == (
        "Rufus - which has more users", "Amazon Lens - which has more users")
    assert compared_sides("g2 vs g3 pricing + instance types") == ("g2 pricing + instance types", "g3 pricing + instance types")
    assert compared_sides("AgentCore bull vs bear") == ("AgentCore bull", "AgentCore bear")
    assert compared_sides("which is bigger?") is None


@pytest.mark.embedder
def test_a_comparison_cites_both_sides(chain):
    answer = chain.ask("agentcore vs curo - who are they each up aginst")
    sections = {next(u for u in answer.sources if u.id == c.chunk_id).section for c in answer.citations}
    assert any("AgentCore" in s for s in sections) and any("Curo" in s for s in sections)


@pytest.mark.embedder
def test_a_chain_of_elliptical_follow_ups_keeps_the_first_question(chain):
    history = [{"role": "user", "content": "AWS power capacity target 2026"}, {"role": "assistant", "content": "16-18GW [1]."},
               {"role": "user", "content": "and 2027?"}, {"role": "assistant", "content": "24-28GW [1]."}]
    from amzn_qa.answer.understand import earlier_question, understood

    assert earlier_question(history, chain.vocabulary) == "AWS power capacity target 2027"
    assert understood("and 2028?", history, None, chain.vocabulary).own == "AWS power capacity target 2028"


def test_side_b_is_asked_what_side_a_is_asked_and_known_codes_stay():
    from amzn_qa.answer.understand import compared_sides, substituted, with_earlier_names

    assert compared_sides("What is the price of Trainium 2 versus H100?") == (
        "What is the price of Trainium 2", "What is the price of H100")
    assert with_earlier_names("and ec2?", "Echo 4 sales", {"ec2"}) == "and ec2?"
    assert substituted("and Q3?", "revenue in Q2 2026?") == "revenue in Q3 2026?"


def test_how_two_named_things_compare_gives_one_query_per_side():
    from amzn_qa.answer.understand import answer_form, compared_sides

    question = "how do Widgetron and Gizmo stack up on unit sales?"
    assert answer_form(question) == COMPARE
    assert compared_sides(question) == ("Widgetron on unit sales", "Gizmo on unit sales")


def test_what_frames_a_question_is_not_what_it_asks_about():
    from amzn_qa.answer.understand import asking_part

    assert asking_part("For an ESG screen, list every grid risk.") == "list every grid risk."
    assert asking_part("I'm writing a thesis on FinOps. Which tools are named?") == "Which tools are named?"
    assert asking_part("For Widget 3, what is the price?") == "For Widget 3, what is the price?"
    assert asking_part("I need the Widget 3 price.") == "I need the Widget 3 price."
    assert asking_part("VC here. What purposes does the report list for Gizmo?") == "What purposes does the report list for Gizmo?"
    assert asking_part("As a CTO shortlisting vendors: which providers does Gizmo offer?") == \
        "which providers does Gizmo offer?"
    assert asking_part("Context: we run Java on x86. Our CTO is wary. Specifically: why is Gizmo slow?") == \
        "why is Gizmo slow?"
    assert asking_part("Gizmo 5: what does it cost?") == "Gizmo 5: what does it cost?"  # a name, not a lead-in


def test_a_piece_that_names_only_what_the_documents_never_mention_frames_the_question():
    from amzn_qa.answer.understand import without_framing
    from amzn_qa.answer.vocabulary import Vocabulary
    from amzn_qa.ingest.documents import chunk_markdown

    doc = "# Gadgets\n\n## Apps\n\n- Widgetron has 5M users.\n- Gizmo 2 ships in Europe.\n"
    vocabulary = Vocabulary.of(chunk_markdown(doc, "gadgets.md"))
    assert without_framing("Prepping the binder for Monday. How many users does Widgetron have?", vocabulary) == \
        "How many users does Widgetron have?"
    assert without_framing("ELI5: which is bigger — Widgetron or Gizmo?", vocabulary) == \
        "which is bigger — Widgetron or Gizmo?"
    assert without_framing("What ships in Europe? Asking for a LinkedIn post.", vocabulary) == "What ships in Europe?"
    # a piece that names what the documents know, or a foreign name inside the question, stays
    assert without_framing("Gizmo 3 in Europe. When does it ship?", vocabulary) == "Gizmo 3 in Europe. When does it ship?"
    assert without_framing("Big week. How many users does Walmart have?", vocabulary) == \
        "Big week. How many users does Walmart have?"
    assert without_framing("Monday sync for LinkedIn.", vocabulary) == "Monday sync for LinkedIn."  # all framing
    assert without_framing("Give me Walmart's users. How many does Widgetron have?", vocabulary) == \
        "Give me Walmart's users. How many does Widgetron have?"  # a request, not framing
    assert without_framing("Action item from Monday → list the Widgetron users", vocabulary) == \
        "list the Widgetron users"


@pytest.mark.parametrize("question, form", [
    ("Please enumerate every widget in the parts table.", LIST),
    ("Could you please summarise the widget strategy?", EXPLAIN),
    ("Can you tell me when the plant opens?", FACT),
    ("so what does the widget story mean for margins?", EXPLAIN),
])
def test_courtesy_before_a_question_does_not_hide_its_form(question, form):
    assert answer_form(question) == form


def test_a_follow_up_that_only_names_another_thing_asks_the_earlier_question_of_it():
    from amzn_qa.answer.understand import with_other_name
    from amzn_qa.answer.vocabulary import Vocabulary
    from amzn_qa.ingest.documents import chunk_markdown

    doc = "# Gadgets\n\n## Apps\n\n- Widgetron has 5M users.\n- Gizmo has 2M users.\n- Gizmo competes with Doohickey.\n"
    vocabulary = Vocabulary.of(chunk_markdown(doc, "gadgets.md"))
    earlier = "How many users does Widgetron have?"
    assert with_other_name("And Gizmo?", earlier, vocabulary) == "How many users does Gizmo have?"
    assert with_other_name("same q for gizmo", earlier, vocabulary) == "How many users does gizmo have?"
    assert with_other_name("and the users?", earlier, vocabulary) == ""  # no name: another stage's
    assert with_other_name("Gizmo?", earlier, vocabulary) == ""  # not elliptical


def test_the_next_or_previous_generation_is_the_earlier_numbered_name_with_another_number():
    from amzn_qa.answer.understand import with_other_generation

    earlier = "Can I still get Widget 2 capacity?"
    assert with_other_generation("what about the next generation - when does it ship?", earlier) == \
        "what about Widget 3 - when does it ship?"
    assert with_other_generation("and the previous gen?", earlier) == "and Widget 1?"
    assert with_other_generation("and its successor?", earlier) == "and Widget 3?"
    assert with_other_generation("when does it ship?", earlier) == "when does it ship?"
    assert with_other_generation("and the next generation?", "What does Gizmo cost?") == "and the next generation?"
    # a question that named no generation: the one its answer was about
    assert with_other_generation("its successor?", "Gizmo share?", "About 15%, per the Gizmo 2 row.") == "Gizmo 3?"


def test_same_year_takes_the_earlier_turns_period_and_makes_a_question_of_its_own():
    from amzn_qa.answer.understand import with_earlier_period

    earlier = "What's the 2026 power capacity target?"
    assert with_earlier_period("Same year - how many regions?", earlier) == "2026 - how many regions?"
    assert with_earlier_period("that quarter's revenue?", "Q3 2025 revenue?") == "Q3 2025's revenue?"
    assert with_earlier_period("and 2027?", earlier) == ""  # a period of its own
    assert with_earlier_period("same year - regions?", "how many regions?") == ""  # nothing to take


def test_a_follow_up_that_names_nothing_carries_its_subject_to_the_turn_after_it():
    from amzn_qa.answer.understand import earlier_question
    from amzn_qa.answer.vocabulary import Vocabulary
    from amzn_qa.ingest.documents import chunk_markdown

    doc = "# Notes\n\n## Gizmo\n\nThe Gizmo fleet has 500K units; the Gizmo target is 1M by year-end.\n"
    vocabulary = Vocabulary.of(chunk_markdown(doc, "gadgets.md"))
    history = [{"role": "user", "content": "Gizmo unit count?"}, {"role": "assistant", "content": "500K."},
               {"role": "user", "content": "target date again?"}, {"role": "assistant", "content": "Year-end."}]
    assert earlier_question(history, vocabulary) == "target date again (Gizmo)?"


def test_a_chain_of_period_follow_ups_keeps_what_the_first_turn_asked():
    from amzn_qa.answer.understand import understood
    from amzn_qa.answer.vocabulary import Vocabulary
    from amzn_qa.ingest.documents import chunk_markdown

    doc = "# Notes\n\n## Gizmo\n\nGizmo power: 12GW now, 16GW in 2026 and 24GW in 2027.\n"
    vocabulary = Vocabulary.of(chunk_markdown(doc, "gadgets.md"))
    history = [{"role": "user", "content": "Gizmo power right now?"}, {"role": "assistant", "content": "12GW."},
               {"role": "user", "content": "and the 2026 target?"}, {"role": "assistant", "content": "16GW."}]
    turn = understood("and what about 2027?", history, None, vocabulary)
    assert turn.own == "and the 2027 target (Gizmo power right now)?"


def test_a_premise_is_the_claim_a_question_takes_as_given():
    from amzn_qa.answer.understand import events, premise

    assert premise("Since Acme ditched Globex across the fleet, how much does it save?") == \
        "Acme ditched Globex across the fleet"
    assert premise("the report says widget 2 is undersubscribed - what drives the weak demand?") == \
        "widget 2 is undersubscribed"
    assert premise("Given that Widget 3 reached full volume in Q4, how many customers moved?") == \
        "Widget 3 reached full volume in Q4"
    assert premise("Since when has Acme sold widgets?") == ""  # asks about the claim, takes none as given
    assert premise("What has Acme sold since 2020?") == ""
    assert events("the robots have lifted the margin, already planned") == ["lifted", "planned"]


def test_a_successor_asked_after_an_answer_is_of_the_generation_that_answer_gave():
    from amzn_qa.answer.understand import understood
    from amzn_qa.answer.vocabulary import Vocabulary
    from amzn_qa.ingest.documents import chunk_markdown

    doc = "# Notes\n\n## Gizmo\n\n- Gizmo 2 runs 15% of the fleet.\n- Gizmo 3 costs a 20% premium.\n"
    vocabulary = Vocabulary.of(chunk_markdown(doc, "gadgets.md"))
    asked = [{"role": "user", "content": "What share of the fleet runs Gizmo?"}]
    history = asked + [{"role": "assistant", "content": "Roughly 15%, per the Gizmo 2 row."}]
    assert understood("its successor?", history, None, vocabulary).own == "Gizmo 3?"
    history = asked + [{"role": "assistant", "content": "Roughly 40 of them."}]  # no generation: no number
    assert "41" not in understood("its successor?", history, None, vocabulary).own


@pytest.mark.parametrize("question, form", [
    ("how many widgets ship a year? need it for a competitor comparison", FACT),  # what the answer is for
    ("Widget 2 vs Widget 3. Which is cheaper?", COMPARE),  # a piece before the question still counts
    ("what are the widget risks? Bulleted, please.", LIST),  # a request after the question still counts
])
def test_the_form_is_read_up_to_the_last_piece_that_asks(question, form):
    assert form_rule(question)[0] == form
