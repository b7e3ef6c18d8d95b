"""Points cut to what answers (answer/compose.py): a table's rows as label and the asked cell,
a list question's bulleted list as its items, any other source as its subject and best
statement; then only as many points as fit the form's word count, each still cited."""

from amzn_qa.answer.compose import FOLLOW_UP_WORDS, asked_column, compact_lines, shortened, within_words
from amzn_qa.answer.markers import cited_numbers
from amzn_qa.answer.points import _table_of, compact_points
from amzn_qa.answer.retrieval import Focused
from amzn_qa.ingest.documents import Unit


def _row(uid: str, text: str, best: str, relevance: float = 1.0) -> Focused:
    return Focused(Unit(uid, "d.md", "S > Chips", "row", text, 1, 1), text, relevance, best)


ROWS = [
    _row("1", "Chips — Chip: A1. Price: $1K. Notes: fast and cheap.", "Price: $1K.", 0.9),
    _row("2", "Chips — Chip: B2. Price: $2K. Notes: slow.", "Notes: slow.", 0.5),
    _row("3", "Chips — Chip: C3. Price: $3K. Notes: new.", "Notes: new.", 0.4),
]


def test_a_tables_rows_show_their_label_and_the_column_the_best_row_matches():
    assert asked_column(ROWS) == "Price" and asked_column(ROWS[1:]) == "Notes"
    assert compact_lines(ROWS, "list", _table_of) == [
        "- Chips (Price):", "  - A1: $1K [1]", "  - B2: $2K [2]", "  - C3: $3K [3]",
    ]


def test_a_single_row_shows_its_table_label_and_best_cell_and_a_list_its_items():
    bullets = Unit("4", "d.md", "S > Risks", "list", "**Risks:**\n- Power: grid limits in key markets\n- Cost: rising", 1, 3)
    lines = compact_lines([ROWS[0], Focused(bullets, bullets.text, 0.3, "- Cost: rising")], "list", _table_of)
    assert lines == ["- Chips, A1 — Price: $1K [1]", "- Risks:", "  - Power: grid limits in key markets", "  - Cost: rising [2]"]
    assert compact_lines([Focused(bullets, bullets.text, 0.3, "- Cost: rising")], "explain", _table_of) == [
        "- Risks — Cost: rising [1]"]


def test_long_cells_are_cut_at_a_clause_or_else_at_their_first_words():
    assert shortened("one two; three four five; six", 4) == "one two"
    assert shortened("one two three four five", 3) == "one two three …"
    assert shortened("short.", 3) == "short"


def test_points_are_kept_while_within_the_word_count_and_end_cited():
    lines = ["- Chips (Price):", "  - A1: $1K [1]", "  - B2: $2K [2]", "- Risks:", "  - Power: grid limits", "  - Cost: rising [3]"]
    assert within_words(lines, 11) == lines[:3]
    assert within_words(lines, 1) == lines[:1]  # the first line always
    assert cited_numbers("\n".join(within_words(lines, 11)), 9) == [1, 2] and cited_numbers("\n".join(lines), 9) == [1, 2, 3]


def test_a_points_answer_fits_its_forms_word_count():
    many = [_row(str(n), f"T{n} — Chip: X{n}. Notes: {'word ' * 25}.", f"Notes: {'word ' * 25}.") for n in range(8)]
    lines = compact_points(many, "explain")
    assert sum(len(line.split()) for line in lines) <= 150 and len(cited_numbers("\n".join(lines), 9)) < len(many)


def test_a_follow_ups_points_get_a_look_ups_length():
    many = [_row(str(n), f"T{n} — Chip: X{n}. Notes: {'word ' * 12}.", f"Notes: {'word ' * 12}.") for n in range(8)]
    alone, followed = compact_points(many, "explain"), compact_points(many, "explain", follow_up=True)
    assert sum(len(line.split()) for line in followed) <= FOLLOW_UP_WORDS < sum(len(line.split()) for line in alone)
