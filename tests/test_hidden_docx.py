"""DOCX text a Word reader does not see is not indexed (indirect prompt injection): hidden runs,
text coloured like its background, tiny fonts and deleted revisions are left out and reported
by paragraph, while the visible text around them and tracked insertions stay.

The documents are written here as minimal DOCX zips, so that each holds exactly one technique;
one is pandoc's, to check that rewriting a real document changes nothing else.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import mammoth
import pytest

from amzn_qa.ingest.convert import Converted, to_markdown
from amzn_qa.ingest.documents import chunk_markdown
from amzn_qa.ingest.hidden import Hidden
from amzn_qa.ingest.hidden.docx import without_hidden_text

from .conftest import write
from .formats import write_docx

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
SECRET = "$777K"  # the planted figure: never in a unit
VISIBLE = "AWS operating margin per rack was"  # the visible text around it: always in one
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>'
)
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="word/document.xml"/>'
    '</Relationships>'
)
DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>'
)


def docx(body: str, styles: str = "") -> bytes:
    """A minimal DOCX: `body` is the content of w:body, `styles` of w:styles."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("word/_rels/document.xml.rels", DOCUMENT_RELS)
        archive.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{W}" xmlns:mc="{MC}" mc:Ignorable="w14">'
            f"<w:body>{body}</w:body></w:document>"
        ))
        archive.writestr("word/styles.xml",
                         f'<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="{W}">{styles}</w:styles>')
    return out.getvalue()


def run(text: str, properties: str = "") -> str:
    return f'<w:r><w:rPr>{properties}</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'


def paragraph(*runs: str, properties: str = "") -> str:
    return f"<w:p><w:pPr>{properties}</w:pPr>{''.join(runs)}</w:p>"


def memo(*second_paragraph: str, styles: str = "", properties: str = "") -> bytes:
    """A visible first paragraph, then the runs given (paragraph 2, with `properties`)."""
    first = paragraph(run("Revenue grew in 2025."))
    return docx(first + paragraph(*second_paragraph, properties=properties), styles)


def converted(tmp_path: Path, raw: bytes) -> tuple[Converted, str]:
    """The DOCX converted, and the text of all its units."""
    result = to_markdown(write(tmp_path / "memo.docx", raw))
    return result, " ".join(unit.text for unit in chunk_markdown(result.text, "memo.docx"))


def assert_left_out(tmp_path: Path, raw: bytes, *hidden: Hidden) -> str:
    result, units = converted(tmp_path, raw)
    assert SECRET not in units
    assert "Revenue grew in 2025." in units
    assert result.hidden == hidden
    return units


RUN_TECHNIQUES = {
    "vanish": ("<w:vanish/>", "marked hidden (w:vanish)"),
    "vanish-true": ('<w:vanish w:val="true"/>', "marked hidden (w:vanish)"),
    "specVanish": ("<w:specVanish/>", "marked hidden (w:specVanish)"),
    "white": ('<w:color w:val="FFFFFF"/>', "text colour FFFFFF on FFFFFF"),
    "near-white": ('<w:color w:val="fafafa"/>', "text colour FAFAFA on FFFFFF"),
    "highlight": ('<w:color w:val="FFFF00"/><w:highlight w:val="yellow"/>', "text colour FFFF00 on FFFF00"),
    "run-shading": ('<w:color w:val="203040"/><w:shd w:val="clear" w:color="auto" w:fill="203040"/>',
                    "text colour 203040 on 203040"),
    "tiny-sz": ('<w:sz w:val="2"/>', "font size 1pt"),
    "tiny-szCs": ('<w:sz w:val="24"/><w:szCs w:val="7"/>', "font size 3.5pt"),
}


@pytest.mark.parametrize("technique", RUN_TECHNIQUES)
def test_a_run_a_reader_does_not_see_is_left_out_and_reported(tmp_path, technique):
    properties, reason = RUN_TECHNIQUES[technique]
    raw = memo(run(f"{VISIBLE} "), run(SECRET, properties), run("this quarter."))
    units = assert_left_out(tmp_path, raw, Hidden("paragraph 2", reason, 1))
    assert f"{VISIBLE} this quarter." in units


def test_a_run_a_reader_sees_stays_next_to_one_left_out(tmp_path):
    """Automatic colour, grey, white on a dark shading or highlight, vanish turned off, 4 pt:
    all visible; only the white run on the page is left out."""
    seen = [run("auto ", '<w:color w:val="auto"/>'), run("grey ", '<w:color w:val="999999"/>'),
            run("reversed ", '<w:color w:val="FFFFFF"/><w:shd w:val="clear" w:color="auto" w:fill="1F3864"/>'),
            run("marked ", '<w:color w:val="FFFFFF"/><w:highlight w:val="darkBlue"/>'),
            run("shown ", '<w:vanish w:val="0"/>'), run("small", '<w:sz w:val="8"/>')]
    raw = memo(*seen, run(SECRET, '<w:color w:val="FFFFFF"/>'))
    units = assert_left_out(tmp_path, raw, Hidden("paragraph 2", "text colour FFFFFF on FFFFFF", 1))
    assert "auto grey reversed marked shown small" in units


STYLES = (
    '<w:docDefaults><w:rPrDefault><w:rPr><w:sz w:val="22"/></w:rPr></w:rPrDefault></w:docDefaults>'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
    '<w:style w:type="character" w:styleId="Ghost"><w:rPr><w:vanish/></w:rPr></w:style>'
    '<w:style w:type="character" w:styleId="Aside"><w:basedOn w:val="Ghost"/></w:style>'
    '<w:style w:type="character" w:styleId="Unhide"><w:rPr><w:vanish w:val="0"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Fine"><w:basedOn w:val="Normal"/>'
    '<w:rPr><w:sz w:val="3"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Boxed"><w:pPr><w:shd w:val="clear" w:fill="000000"/></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Secret"><w:rPr><w:vanish/></w:rPr></w:style>'
    # basedOn loops: a hostile file must not hang the ingest
    '<w:style w:type="character" w:styleId="Loop1"><w:basedOn w:val="Loop2"/></w:style>'
    '<w:style w:type="character" w:styleId="Loop2"><w:basedOn w:val="Loop1"/></w:style>'
)


def test_a_character_style_that_hides_is_followed_through_based_on(tmp_path):
    raw = memo(run(f"{VISIBLE} ", '<w:rStyle w:val="Loop1"/>'), run(SECRET, '<w:rStyle w:val="Aside"/>'),
               styles=STYLES)
    assert VISIBLE in assert_left_out(tmp_path, raw, Hidden("paragraph 2", "marked hidden (w:vanish)", 1))


def test_a_paragraph_style_that_hides_hides_its_runs(tmp_path):
    raw = memo(run(SECRET), run(" per rack"), styles=STYLES, properties='<w:pStyle w:val="Fine"/>')
    assert_left_out(tmp_path, raw, Hidden("paragraph 2", "font size 1.5pt", 2))


def test_a_style_turning_vanish_off_does_not_show_what_another_style_hides(tmp_path):
    """w:vanish toggles: in a style, "off" changes nothing (Word still hides the run); only the
    run's own "off" shows it."""
    raw = memo(run(f"{VISIBLE} ", '<w:vanish w:val="false"/>'), run(SECRET, '<w:rStyle w:val="Unhide"/>'),
               styles=STYLES, properties='<w:pStyle w:val="Secret"/>')
    assert VISIBLE in assert_left_out(tmp_path, raw, Hidden("paragraph 2", "marked hidden (w:vanish)", 1))


def test_black_text_on_a_black_paragraph_style_is_left_out(tmp_path):
    white, black = '<w:color w:val="FFFFFF"/>', '<w:color w:val="000000"/>'
    raw = memo(run(f"{VISIBLE} ", white), run(SECRET, black), styles=STYLES, properties='<w:pStyle w:val="Boxed"/>')
    units = assert_left_out(tmp_path, raw, Hidden("paragraph 2", "text colour 000000 on 000000", 1))
    assert VISIBLE in units  # white on the black paragraph: seen


def test_text_coloured_like_its_table_cell_is_left_out(tmp_path):
    cell = ('<w:tc><w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="1F3864"/></w:tcPr>'
            + paragraph(run("Margin ", '<w:color w:val="FFFFFF"/>'), run(SECRET, '<w:color w:val="1E3763"/>'))
            + "</w:tc>")
    raw = docx(paragraph(run("Revenue grew in 2025.")) + f"<w:tbl><w:tr>{cell}</w:tr></w:tbl>")
    units = assert_left_out(tmp_path, raw, Hidden("paragraph 2", "text colour 1E3763 on 1F3864", 1))
    assert "Margin" in units


def test_deleted_revisions_are_left_out_and_insertions_kept(tmp_path):
    """mammoth already skips w:del, w:delText and w:moveFrom: here they are also reported."""
    raw = memo(
        run(f"{VISIBLE} "),
        '<w:ins w:id="1" w:author="Analyst">' + run("$120K") + "</w:ins>",
        '<w:del w:id="2" w:author="Analyst"><w:r><w:delText xml:space="preserve"> $777K</w:delText></w:r></w:del>',
        '<w:moveFrom w:id="3" w:author="Analyst">' + run(f" {SECRET} moved") + "</w:moveFrom>",
        '<w:r><w:delText>$777K</w:delText></w:r>',  # deleted text outside a w:del
        '<w:moveTo w:id="4" w:author="Analyst">' + run(" in Q3.") + "</w:moveTo>",
    )
    units = assert_left_out(tmp_path, raw, Hidden("paragraph 2", "deleted revision", 2),
                            Hidden("paragraph 2", "moved-away revision", 1))
    assert f"{VISIBLE} $120K in Q3." in units


def test_only_the_document_part_changes_and_its_prefixes_stay(tmp_path):
    raw = memo(run(VISIBLE), run(SECRET, "<w:vanish/>"))
    cleaned, _ = without_hidden_text(raw)
    before, after = zipfile.ZipFile(io.BytesIO(raw)), zipfile.ZipFile(io.BytesIO(cleaned))
    assert before.namelist() == after.namelist()
    for name in before.namelist():
        if name != "word/document.xml":
            assert after.read(name) == before.read(name)
    document = after.read("word/document.xml")
    assert SECRET.encode() not in document
    assert f'<w:document xmlns:w="{W}" xmlns:mc="{MC}" mc:Ignorable="w14">'.encode() in document


def test_a_pandoc_document_converts_as_before_but_for_the_hidden_run(tmp_path):
    markdown = write(tmp_path / "memo.md",
                     "# Memo\n\nRevenue grew in 2025.\n\n| Chip | Price |\n|---|---|\n| Zeta | $9K |\n")
    original = write_docx(markdown, tmp_path / "original.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as archive:
        document = archive.read("word/document.xml")
    planted = document.replace(b"<w:body>", b"<w:body>" + paragraph(run(SECRET, "<w:vanish/>")).encode(), 1)
    assert planted != document
    cleaned, hidden = without_hidden_text(_replaced(original, "word/document.xml", planted))
    assert hidden == [Hidden("paragraph 1", "marked hidden (w:vanish)", 1)]
    assert _html(cleaned) == _html(original)


def test_a_file_that_is_not_a_zip_raises_bad_zip_file():
    with pytest.raises(zipfile.BadZipFile):
        without_hidden_text(b"PK\x03\x04 not really a zip")


def _replaced(raw: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            copy.writestr(info.filename, data if info.filename == name else source.read(info))
    return out.getvalue()


def _html(raw: bytes) -> str:
    return mammoth.convert_to_html(io.BytesIO(raw)).value
