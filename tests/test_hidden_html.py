"""Text a browser does not show is not indexed (OWASP LLM01, indirect prompt injection): a
third party's page can hide a figure or an instruction from its reader with HTML or CSS, and the
answer must not quote what the reader cannot check. Each page below hides "$777K" next to text
that stays; the converter says on which source line and why it left text out.
"""

from __future__ import annotations

import pytest

from amzn_qa.ingest.convert import to_markdown
from amzn_qa.ingest.documents import chunk_markdown
from amzn_qa.ingest.hidden import Hidden

from .conftest import write

SHOWN = "AWS revenue grew 20% to $33B."
HIDDEN = "$777K"


def _page(tmp_path, body: str, css: str = ""):
    """The page's units and what was left out; `body` starts on line 4 of the source."""
    page = write(tmp_path / "memo.html", (
        f"<html><head><style>{css}</style></head><body>\n"
        "<h1>Memo</h1>\n"
        f"<p>{SHOWN}</p>\n"
        f"{body}\n"
        "</body></html>\n"
    ))
    converted = to_markdown(page)
    return [unit.text for unit in chunk_markdown(converted.text, page.name)], converted.hidden


def _hidden_text(units: list[str]) -> bool:
    return any(HIDDEN in unit for unit in units)


@pytest.mark.parametrize(("element", "reason"), [
    (f"<p hidden>Backlog {HIDDEN}.</p>", "hidden attribute"),
    (f'<p aria-hidden="true">Backlog {HIDDEN}.</p>', 'aria-hidden="true"'),
    (f'<p style="display: none">Backlog {HIDDEN}.</p>', "display:none"),
    (f'<p style="visibility:hidden">Backlog {HIDDEN}.</p>', "visibility:hidden"),
    (f'<p style="font-size:0">Backlog {HIDDEN}.</p>', "font size 0px"),
    (f'<p style="font-size:2pt">Backlog {HIDDEN}.</p>', "font size 2.67px"),
    (f'<div style="font-size:10%"><p><span>Backlog {HIDDEN}.</span></p></div>', "font size 1.6px"),
    (f'<p style="font: 0/0 a">Backlog {HIDDEN}.</p>', "font size 0px"),
    (f'<p style="opacity:0">Backlog {HIDDEN}.</p>', "opacity 0"),
    (f'<div style="height:0;overflow:hidden"><p>Backlog {HIDDEN}.</p></div>', "height 0px with overflow hidden"),
    (f'<p style="position:absolute;clip:rect(0 0 0 0)">Backlog {HIDDEN}.</p>', "clip: rect(0 0 0 0)"),
    (f'<p style="clip-path: inset(50%)">Backlog {HIDDEN}.</p>', "clip-path: inset(50%)"),
    (f'<p style="position:absolute;left:-9999px">Backlog {HIDDEN}.</p>', "off screen (left -9999px)"),
    (f'<p style="position:fixed;top:-100em">Backlog {HIDDEN}.</p>', "off screen (top -1600px)"),
    (f'<p style="text-indent:-9999px">Backlog {HIDDEN}.</p>', "off screen (text-indent -9999px)"),
    (f'<p style="transform: translateX(-200vw)">Backlog {HIDDEN}.</p>', "off screen (translateX -2560px)"),
    (f'<p style="color:#fff">Backlog {HIDDEN}.</p>', "text colour #ffffff on background #ffffff (contrast 1.00)"),
    (f'<p style="color:rgb(250 250 250)">Backlog {HIDDEN}.</p>', "text colour #fafafa on background #ffffff (contrast 1.04)"),
    (f'<p style="color:rgba(0,0,0,.05)">Backlog {HIDDEN}.</p>', "text colour #f2f2f2 on background #ffffff (contrast 1.12)"),
    (f'<p><font color="white">Backlog {HIDDEN}.</font></p>', "text colour #ffffff on background #ffffff (contrast 1.00)"),
])
def test_each_way_of_hiding_text_keeps_it_out_and_says_where_and_why(tmp_path, element, reason):
    units, hidden = _page(tmp_path, element)
    assert not _hidden_text(units)
    assert SHOWN in units
    assert Hidden("line 4", reason, 1) in hidden


def test_a_hidden_table_row_or_cell_goes_and_the_rows_beside_it_stay(tmp_path):
    units, hidden = _page(tmp_path, (
        "<h2>Chips</h2><table><tr><th>Chip</th><th>Price</th></tr>\n"
        f'<tr style="display:none"><td>Zeta 0</td><td>{HIDDEN}</td></tr>\n'
        f'<tr><td>Zeta 1</td><td>$9K <span style="color:white">{HIDDEN}</span></td></tr>\n'
        "</table>"
    ))
    assert not _hidden_text(units)
    assert "Chips — Chip: Zeta 1. Price: $9K." in units
    assert [str(h) for h in hidden] == [
        "line 5: invisible text not indexed: display:none, 1 line",
        "line 6: invisible text not indexed: text colour #ffffff on background #ffffff (contrast 1.00), 1 line",
    ]


def test_hidden_elements_on_one_line_are_counted_together(tmp_path):
    units, hidden = _page(tmp_path, f'<p>Margin 11%<span hidden> {HIDDEN}</span>, backlog<span hidden> {HIDDEN}</span>.</p>')
    assert "Margin 11%, backlog." in units
    assert not _hidden_text(units)
    assert hidden == (Hidden("line 4", "hidden attribute", 2),)


@pytest.mark.parametrize("css", [
    ".note { display: none }",
    "p.note { visibility: hidden }",
    "body > .note { font-size: 0 }",
    ".note { color: #fff }",
    # Bootstrap's "visually hidden" class, shown to screen readers only.
    ".note { position: absolute !important; width: 1px !important; height: 1px !important;"
    " overflow: hidden !important; clip: rect(0, 0, 0, 0) !important }",
    "@media screen { .note { display: none } }",
])
def test_a_style_rule_hides_what_its_selector_matches(tmp_path, css):
    units, hidden = _page(tmp_path, f'<p class="note">Backlog {HIDDEN}.</p><p class="other">Backlog $555K.</p>', css)
    assert not _hidden_text(units)
    assert SHOWN in units and "Backlog $555K." in units
    assert [h.where for h in hidden] == ["line 4"]


@pytest.mark.parametrize(("css", "attributes"), [
    (".note { display: none }", 'style="display: block"'),  # inline style after every rule
    (".note { display: none }", 'id="kept" style="display: block"'),
    ("#kept.note { display: block } .note { display: none }", 'id="kept"'),  # higher specificity wins
    (".note { display: none } p.note { display: block }", ""),
    (".note { display: none } .note { display: block }", ""),  # the later rule wins
    (".note { display: block !important } .note { display: none }", 'style="display: none"'),
    ("@media print { .note { display: none } }", ""),  # not on a screen
])
def test_the_cascade_decides_which_rule_applies(tmp_path, css, attributes):
    units, hidden = _page(tmp_path, f'<p class="note" {attributes}>Backlog $555K.</p><p class="gone">{HIDDEN}</p>',
                          css + " .gone { display: none }")
    assert "Backlog $555K." in units
    assert not _hidden_text(units)
    assert hidden == (Hidden("line 4", "display:none", 1),)


@pytest.mark.parametrize(("css", "attributes"), [
    (".note { display: block }", 'style="display: none"'),
    (".note { display: none !important }", 'style="display: block"'),  # !important beats inline
    ("p.note { display: none } .note { display: block }", ""),
])
def test_a_rule_that_wins_the_cascade_hides(tmp_path, css, attributes):
    units, hidden = _page(tmp_path, f'<p class="note" {attributes}>Backlog {HIDDEN}.</p>', css)
    assert not _hidden_text(units)
    assert SHOWN in units
    assert hidden == (Hidden("line 4", "display:none", 1),)


def test_a_visible_child_of_a_hidden_parent_stays(tmp_path):
    units, hidden = _page(tmp_path, (
        f'<div style="visibility: hidden">Backlog {HIDDEN}.\n'
        '<p style="visibility: visible">Backlog $555K.</p></div>'
    ))
    assert "Backlog $555K." in units
    assert not _hidden_text(units)
    assert hidden == (Hidden("line 4", "visibility:hidden", 1),)


def test_a_font_size_reset_inside_font_size_zero_stays(tmp_path):
    # font-size:0 on a row of inline blocks is a common layout fix, not a way to hide text.
    units, hidden = _page(tmp_path, (
        f'<div style="font-size: 0"><p style="font-size: 1rem">Backlog $555K.</p><span>{HIDDEN}</span></div>'
    ))
    assert "Backlog $555K." in units
    assert not _hidden_text(units)
    assert hidden == (Hidden("line 4", "font size 0px", 1),)


def test_light_text_on_a_dark_background_stays_and_dark_on_dark_goes(tmp_path):
    units, hidden = _page(tmp_path, (
        '<div class="dark">\n'
        '<p style="color: #fff">Backlog $555K.</p>\n'
        f'<p style="color: #222">Backlog {HIDDEN}.</p>\n'
        f'<p style="color: #fff; background: #fff">Order {HIDDEN}.</p>\n'
        '</div>'
    ), ".dark { background: #111 no-repeat }")
    assert "Backlog $555K." in units
    assert not _hidden_text(units)
    assert [(h.where, h.reason) for h in hidden] == [
        ("line 6", "text colour #222222 on background #111111 (contrast 1.19)"),
        ("line 7", "text colour #ffffff on background #ffffff (contrast 1.00)"),
    ]


def test_text_over_a_background_image_stays(tmp_path):
    # The image's colours are unknown here: the text may well be seen on it.
    units, hidden = _page(tmp_path, (
        f'<div style="background: #fff url(chart.png)"><p style="color:#fff">Backlog $555K.</p></div>'
        f'<p style="color:#fff">{HIDDEN}</p>'
    ))
    assert "Backlog $555K." in units
    assert not _hidden_text(units)
    assert len(hidden) == 1
