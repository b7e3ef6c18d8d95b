"""A comparison of two sides as a table (answer/comparison.py): each side is the row its label
names, the columns are the asked ones, and the table says which side is higher."""

import pytest

from amzn_qa.answer.comparison import (
    Side, _top_text, aligned_rows, asked_attributes, asked_column, best_side, named_first, ranked_rows, rows_for_tables, table_lines, which_is_larger,
)
from amzn_qa.answer.retrieval import keywords
from amzn_qa.ingest.documents import Unit


def unit(uid, kind, text, start=1):
    return Unit(uid, "report.md", "Risks > Matrix", kind, text, start, start)


ALPHA = unit("alpha", "row", "Risk Matrix — Risk: Alpha Delay. Severity: 8. Likelihood: Medium (30-40%).", 3)
BETA = unit("beta", "row", "Risk Matrix — Risk: Beta Overrun. Severity: 6. Likelihood: Medium (40-50%).", 4)
TABLE = Unit("table", "report.md", "Risks > Matrix", "table", "| Risk | Severity | Likelihood |\n"
             "| Alpha Delay | 8 | Medium (30-40%) |\n| Beta Overrun | 6 | Medium (40-50%) |", 1, 4)
NOTE = unit("note", "paragraph", "Alpha is the bigger worry.")


def test_each_side_is_a_row_its_label_names_and_not_the_other_sides_statement():
    ranked = [(0.9, NOTE, "Alpha is the bigger worry."), (0.8, BETA, "Severity: 6."), (0.7, ALPHA, "Severity: 8.")]
    first = best_side(ranked, {"alpha"})
    assert (first.unit, first.statement) == (ALPHA, "Severity: 8.")  # the paragraph is no row
    assert best_side(ranked, {"gamma"}) is None
    assert best_side([(0.7, ALPHA, "Severity: 8.")], {"alpha"}, taken=first) is None


def test_both_rows_need_the_asked_column():
    alpha, beta = Side(ALPHA, "Severity: 8.", 0.9), Side(BETA, "Likelihood: Medium (40-50%).", 0.5)
    assert asked_column(alpha, beta) == "Severity"
    assert asked_column(alpha, Side(NOTE, "Alpha is the bigger worry.", 0.95)) == ""


def test_the_table_shows_the_asked_columns_each_row_cited_and_which_is_higher():
    alpha, beta = Side(ALPHA, "Severity: 8.", 0.9), Side(BETA, "Severity: 6.", 0.8)
    assert table_lines(alpha, beta, "Severity", ["Likelihood"]) == [
        "| Risk Matrix | Severity | Likelihood |",
        "|---|---|---|",
        "| Alpha Delay [1] | 8 | Medium (30-40%) |",
        "| Beta Overrun [2] | 6 | Medium (40-50%) |",
        "",
        "Alpha Delay is higher than Beta Overrun on Severity (8 vs 6).",
    ]


def test_columns_the_question_names_come_before_those_that_only_match_in_meaning():
    asked = set(keywords("likelihood label and severity for each"))
    assert named_first(["Monitoring KPI", "Likelihood", "Mitigation", "Severity (1-10)"], asked) == [
        "Likelihood", "Severity (1-10)", "Monitoring KPI", "Mitigation"]


@pytest.mark.parametrize("a, b, said", [
    ("$50-70K", "$150K+", "B is higher than A on Price ($150K+ vs $50-70K)."),
    ("Medium", "High", ""),  # no figures: no judgement
    ("5%", "5%", ""),
    ("$5B", "5%", ""),  # figures of different kinds
    ("20-30% cheaper than X", "20% premium to A", ""),  # relative to different things
])
def test_which_is_larger_only_when_the_figures_allow(a, b, said):
    assert which_is_larger("A", a, "B", b, "Price") == said


def test_a_whole_table_is_replaced_by_its_rows():
    assert rows_for_tables([TABLE, NOTE], [TABLE, ALPHA, BETA, NOTE]) == [ALPHA, BETA, NOTE]


GAMMA = unit("gamma", "row", "Risk Matrix — Risk: Gamma Slip. Severity: 6. Likelihood: Low (10-20%).", 5)


def test_rows_rank_by_one_kind_of_figure_in_the_asked_column():
    assert [row.id for _, row, _ in ranked_rows([ALPHA, BETA, GAMMA], "Severity", most=True)] == ["alpha", "beta", "gamma"]
    assert [row.id for _, row, _ in ranked_rows([ALPHA, BETA, GAMMA], "Likelihood", most=False)] == ["gamma", "alpha", "beta"]
    mixed = unit("mixed", "row", "Risk Matrix — Risk: Delta. Severity: $5B. Likelihood: High.", 6)
    assert ranked_rows([ALPHA, mixed], "Severity", most=True) == []


def test_the_top_row_is_named_with_the_runner_up_or_the_rows_it_ties_with():
    ranked = ranked_rows([ALPHA, BETA, GAMMA], "Severity", most=True)
    assert _top_text(ranked[:2], 1, "highest", "Severity") == \
        "Alpha Delay has the highest Severity: 8 [1], ahead of Beta Overrun (6) [2]."
    low = ranked_rows([BETA, GAMMA, ALPHA], "Severity", most=False)
    assert _top_text(low[:2], 2, "lowest", "Severity") == "Beta Overrun [1] and Gamma Slip [2] share the lowest Severity: 6."


@pytest.mark.embedder
def test_a_comparison_of_two_named_rows_is_a_table_and_a_superlative_names_the_top_row(chain):
    answer = chain.ask("severity of the AWS capacity execution risk vs the Trainium ecosystem adoption risk")
    assert [(e["stage"], e["rule"]) for e in answer.trace if "rule" in e] == [("compare_sides", "side_by_side")]
    assert answer.answer.splitlines()[1].startswith("|---") and "| 6 |" in answer.answer and "| 8 |" in answer.answer
    assert len(answer.citations) == 2
    top = chain.ask("which technical risk has the highest severity score?")
    assert [(e["stage"], e["rule"]) for e in top.trace if "rule" in e] == [("top_row", "top_row")]
    assert top.answer.startswith("Trainium Ecosystem Adoption Failure has the highest Severity (1-10): 8 [1]")


def test_the_asked_attributes_are_the_pieces_after_the_first_side_beyond_its_names():
    question = 'Forwarded: "help me out." Can you compare Alpha and Beta on adoption and who they compete with?'
    assert asked_attributes(question, {"alpha", "beta"}) == ["on adoption", "who they compete with"]
    assert asked_attributes("alpha vs beta", {"alpha", "beta"}) == []
    assert asked_attributes("alpha vs beta: units above 1,000?", {"alpha", "beta"}) == ["units above 1,000"]


USERS = unit("users", "row", "Lens — Metric: Monthly Active Users. Status: Tens of millions.", 5)
CUSTOMERS = unit("customers", "row", "Rufus — Metric: Active Customers. Status: 250M.", 6)
CHANNELS = unit("channels", "row", "Rufus — Metric: Channels. Status: App, web.", 7)


def test_the_weaker_side_takes_the_row_closest_to_the_stronger_sides_label():
    def rank(query, rows):  # a stand-in for the retriever: shared words, the table's order on ties
        return sorted(((len(set(query.lower().split()) & set(r.text.lower().split())), r, r.text) for r in rows),
                      key=lambda s: -s[0])
    # "users" matches the Lens row well; the Rufus rows are ranked again with "Monthly Active Users"
    assert aligned_rows(rank, ["rufus users", "lens monthly users"], [[CHANNELS, CUSTOMERS], [USERS]]) == [CUSTOMERS, USERS]


@pytest.mark.embedder
def test_the_chain_compares_two_sides_in_different_tables_on_the_same_attribute(chain):
    answer = chain.ask("rufus vs lens: user base of each?")
    assert [t["rule"] for t in answer.trace if t.get("rule")] == ["side_by_side"]
    assert "Active Customers" in answer.answer and "Monthly Active Users" in answer.answer
    assert "250M" in answer.answer and "Tens of millions" in answer.answer
