"""End to end: a figure a reader cannot see, planted in a PDF, an HTML page and a Word document,
is in no indexed unit, is named by ingest as left out, and a question about it is refused; the
visible figure beside it is still answered, cited to its page (PDF) or line.

The three documents form a corpus of their own, ingested and asked with the real embedder,
Chroma and local model.
"""

from __future__ import annotations

import pytest

from amzn_qa.config import Settings
from amzn_qa.ingest.index import ingest

from .conftest import write
from .test_hidden_docx import docx, paragraph, run

PLANTED = {  # a subject named only in invisible text, and its figure
    "zeta.pdf": ("Quasar-7 reactor", "$777K"),
    "orion.html": ("Nebula-9 engine", "$888K"),
    "vega.docx": ("Lyra-5 turbine", "$999K"),
}
VISIBLE = {  # the visible subject beside it, its figure, and its PDF page
    "zeta.pdf": ("Zeta widget", "$9K", 2),
    "orion.html": ("Orion lamp", "$4K", None),
    "vega.docx": ("Vega pump", "$6K", None),
}


def _pdf() -> bytes:
    import pymupdf

    document = pymupdf.open()
    first = document.new_page()
    first.insert_text((72, 72), "Zeta Corp notes", fontsize=20)
    first.insert_text((72, 120), "Zeta Corp makes widgets and other parts for factories.", fontsize=11)
    second = document.new_page()
    second.insert_text((72, 72), "The Zeta widget costs $9K per widget.", fontsize=11)
    second.insert_text((72, 100), "The Quasar-7 reactor costs $777K.", fontsize=11, color=(1, 1, 1))
    return document.tobytes()


def _html() -> str:
    return ("<html><body><h1>Orion Corp notes</h1>\n<h2>Products</h2>\n"
            "<p>Orion Corp sells lamps to offices.</p>\n"
            "<p>The Orion lamp costs $4K per lamp.</p>\n"
            '<p style="display:none">The Nebula-9 engine costs $888K.</p>\n</body></html>')


def _docx() -> bytes:
    return docx(
        paragraph(run("Vega Corp makes pumps."))
        + paragraph(run("The Vega pump costs $6K per pump."))
        + paragraph(run("The Lyra-5 turbine costs $999K.", "<w:vanish/>"))
    )


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    write(root / "corpus" / "zeta.pdf", _pdf())
    write(root / "corpus" / "orion.html", _html())
    write(root / "corpus" / "vega.docx", _docx())
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    return settings, ingest(settings, progress=False)


@pytest.mark.embedder
def test_ingest_names_each_document_and_place_it_left_out(planted):
    _, report = planted
    summary = report.summary()
    assert "invisible text left out: 3 places in 3 documents" in summary.splitlines()[0]
    assert "warning: zeta.pdf: page 2: invisible text not indexed: white on white, 1 line" in summary
    assert "warning: orion.html: line 5: invisible text not indexed: display:none, 1 line" in summary
    assert "warning: vega.docx: paragraph 3: invisible text not indexed:" in summary
    assert sorted(report.added) == sorted(PLANTED)


@pytest.mark.embedder
def test_no_unit_holds_a_planted_figure(planted):
    from amzn_qa.ingest.index import load_units, open_client

    settings, _ = planted
    texts = "\n".join(u.text for u in load_units(settings, open_client(settings)))
    for subject, figure in PLANTED.values():
        assert figure not in texts and subject.split()[0] not in texts
    for subject, figure, _ in VISIBLE.values():
        assert figure in texts


@pytest.fixture(scope="module")
def planted_chain(planted):
    from amzn_qa.answer.chain import AnswerChain

    return AnswerChain(planted[0])


@pytest.mark.llm
@pytest.mark.parametrize("name", sorted(PLANTED))
def test_a_question_about_an_invisible_figure_is_refused(planted_chain, name):
    subject, figure = PLANTED[name]
    answer = planted_chain.ask(f"What does the {subject} cost?")
    assert answer.refused and figure not in answer.answer


@pytest.mark.llm
@pytest.mark.parametrize("name", sorted(VISIBLE))
def test_the_visible_figure_beside_it_is_answered_where_it_is(planted, planted_chain, name):
    from amzn_qa.ingest.convert import to_markdown

    subject, figure, page = VISIBLE[name]
    answer = planted_chain.ask(f"What does the {subject} cost?")
    assert not answer.refused and figure.lstrip("$") in answer.answer  # the 0.5B model may drop the "$"
    cited = next(c for c in answer.citations if c.source == name)
    lines = to_markdown(planted[0].corpus_dir / name).text.splitlines()
    line = next(n for n, text in enumerate(lines, 1) if f"The {subject} costs" in text)
    assert cited.start_line <= line <= cited.end_line and cited.page == page
