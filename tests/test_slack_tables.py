"""Slack has no tables: a comparison's Markdown table becomes one mrkdwn line per row."""

from amzn_qa.answer.answers import Answer
from amzn_qa.frontends.slack_bot import tables_as_lines, to_mrkdwn

TABLE = ("| Risk Matrix | Severity | Likelihood |\n|---|---|---|\n| Alpha Delay [1] | 8 | Medium (30-40%) |\n"
         "| Beta Overrun [2] | 6 | Medium (40-50%) |\n\nAlpha Delay is higher than Beta Overrun on Severity (8 vs 6).")


def test_a_table_is_one_line_per_row_with_each_column_named():
    assert tables_as_lines(TABLE).split("\n") == [
        "*Risk Matrix*",
        "- *Alpha Delay [1]*: Severity: 8 · Likelihood: Medium (30-40%)",
        "- *Beta Overrun [2]*: Severity: 6 · Likelihood: Medium (40-50%)",
        "Alpha Delay is higher than Beta Overrun on Severity (8 vs 6).",
    ]
    assert tables_as_lines("About $60K: the midpoint of $50-70K [1].") == "About $60K: the midpoint of $50-70K [1]."


def test_the_slack_reply_shows_no_table_syntax():
    reply = to_mrkdwn(Answer("q", TABLE, False, True, [], {}, "m"))
    assert "|" not in reply and "• *Alpha Delay [1]*: Severity: 8" in reply
