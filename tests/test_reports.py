"""Many reports: document metadata, a document filter, differing figures across documents,
and documents added while the chain is running. Real embedder, Chroma and local model."""

import shutil
from pathlib import Path

import pytest

from amzn_qa.ingest.catalog import (
    DocumentInfo, corpus_title, document_info, example_questions, read_catalog, with_info,
)
from amzn_qa.ingest.convert import DocumentError
from amzn_qa.ingest.documents import chunk_markdown
from amzn_qa.ingest.index import ingest, load_units, open_client

from .conftest import CORPUS, DOCUMENT, ingested, write

FIXTURES = Path(__file__).parent / "fixtures"
UPDATE = FIXTURES / "amzn-technical-update-2026-04-15.md"
ANALYSIS_LABEL = "Amazon.com, Inc. (AMZN) – Technical Analysis (2026-01-23)"
UPDATE_LABEL = "Amazon.com, Inc. (AMZN) – Technical Update (2026-04-15)"


def test_metadata_comes_from_heading_file_name_and_date_field():
    info = document_info(DOCUMENT.name, DOCUMENT.read_text(encoding="utf-8"))
    assert info == DocumentInfo(DOCUMENT.name, "Amazon.com, Inc. (AMZN) – Technical Analysis", "AMZN", "2026-01-23")
    # Without a date in the name, a "Date:" field near the top gives it.
    text = "# Peer Corp (PEER) review\n\n**Report Date:** March 3, 2025\n\nBody.\n"
    assert document_info("peer.md", text) == DocumentInfo("peer.md", "Peer Corp (PEER) review", "PEER", "2025-03-03")
    assert document_info("notes.txt", "no heading at all") == DocumentInfo("notes.txt", "notes", "", "")


def test_front_matter_wins_over_the_text_and_is_not_indexed():
    text = "---\ntitle: \"Zeta outlook\"\nticker: zeta\ndate: 2024-12-01\n---\n# Other heading (OTH)\n\nZeta sells widgets.\n"
    assert document_info("z-2020-01-01.md", text) == DocumentInfo("z-2020-01-01.md", "Zeta outlook", "ZETA", "2024-12-01")
    commented = "---\n# set by the desk\nticker: ZETA\n---\n# Zeta review\n"
    assert document_info("z.md", commented).title == "Zeta review"
    units = chunk_markdown(text, "z.md")
    assert [u.text for u in units] == ["Zeta sells widgets."] and units[0].start_line == 8


def test_documents_toml_overrides_and_gives_examples(tmp_path):
    write(tmp_path / "documents.toml", 'examples = ["Q one?", "Q two?"]\n\n["a.md"]\ntitle = "Alpha"\ndate = "2025-05-06"\n')
    catalog = read_catalog(tmp_path)
    info = document_info("a.md", "# Heading (HD)\n", catalog["a.md"])
    assert info == DocumentInfo("a.md", "Alpha", "", "2025-05-06")
    assert example_questions(catalog, []) == ["Q one?", "Q two?"]
    write(tmp_path / "documents.toml", "examples = [unclosed")
    with pytest.raises(DocumentError, match="documents.toml: not valid TOML"):
        read_catalog(tmp_path)


def test_examples_and_title_are_drawn_from_any_report_structure():
    text = UPDATE.read_text(encoding="utf-8")
    info = document_info(UPDATE.name, text)
    units = with_info(chunk_markdown(text, UPDATE.name), info)
    examples = example_questions({}, units)
    assert examples[0] == "In Data Center & Power Infrastructure, what is the Current for Power Capacity (GW)?"
    assert len({e.split(",")[0] for e in examples}) == len(examples)  # one per table
    analysis = document_info(DOCUMENT.name, DOCUMENT.read_text(encoding="utf-8"))
    assert corpus_title([info]) == UPDATE_LABEL
    assert corpus_title([info, analysis]) == "AMZN: 2 reports, 2026-01-23 to 2026-04-15"


@pytest.mark.embedder
def test_metadata_is_stored_in_the_index_and_a_changed_entry_reingests(make_settings):
    settings = make_settings()
    ingest(settings, progress=False)
    units = load_units(settings, open_client(settings))
    assert {(u.document_title, u.document_date, u.ticker) for u in units} == {
        ("Amazon.com, Inc. (AMZN) – Technical Analysis", "2026-01-23", "AMZN")}
    write(settings.corpus_dir / "documents.toml", f'["{DOCUMENT.name}"]\ntitle = "AMZN deep dive"\n')
    assert ingest(settings, progress=False).updated == [DOCUMENT.name]
    assert {u.document_title for u in load_units(settings, open_client(settings))} == {"AMZN deep dive"}


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory):
    from amzn_qa.answer.chain import AnswerChain
    from amzn_qa.config import Settings

    root = tmp_path_factory.mktemp("reports")
    shutil.copytree(CORPUS, root / "corpus")
    shutil.copy(UPDATE, root / "corpus" / UPDATE.name)
    return AnswerChain(ingested(Settings(corpus_dir=root / "corpus", index_dir=root / "index")))


@pytest.mark.parametrize("question, old, new", [
    ("Roughly what does one Trainium 2 chip cost?", "~$50-70K per chip (estimate)", "~$40-55K per chip (estimate)"),
    ("What is the current scale of Project Rainier?", "500K Trainium 2 chips", "900K Trainium 2 chips"),
])
@pytest.mark.llm
def test_differing_figures_are_both_given_with_their_documents_and_the_newest_named(two_reports, question, old, new):
    answer = two_reports.ask(question)
    assert not answer.refused
    assert f"{ANALYSIS_LABEL} gives “{old}”" in answer.answer
    assert f"{UPDATE_LABEL} gives “{new}”" in answer.answer
    assert f"The newest is {UPDATE_LABEL}." in answer.answer
    cited = {c.source: c for c in answer.citations}
    assert set(cited) == {DOCUMENT.name, UPDATE.name}
    assert cited[UPDATE.name].document_date == "2026-04-15" and cited[UPDATE.name].ticker == "AMZN"
    assert cited[DOCUMENT.name].document_title == "Amazon.com, Inc. (AMZN) – Technical Analysis"
    markers = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations}


@pytest.mark.llm
def test_figures_the_documents_agree_on_are_given_once(two_reports):
    answer = two_reports.ask("How many active customers use Rufus?")
    assert "250M" in answer.answer and "differ" not in answer.answer


@pytest.mark.llm
def test_a_document_filter_keeps_the_other_documents_out(two_reports):
    answer = two_reports.ask("Roughly what does one Trainium 2 chip cost?", documents=[UPDATE.name])
    assert "$40-55K" in answer.answer and "$50-70K" not in answer.answer and "differ" not in answer.answer
    assert {c.source for c in answer.citations} == {UPDATE.name}
    hits = two_reports.retriever.retrieve("Trainium price per chip", 10, [DOCUMENT.name])
    assert hits and {h.unit.source for h in hits} == {DOCUMENT.name}


@pytest.mark.llm
def test_a_document_ingested_while_running_is_found_after_reload(make_settings):
    from amzn_qa.answer.chain import AnswerChain

    settings = ingested(make_settings())
    chain = AnswerChain(settings)
    write(settings.corpus_dir / "zeta-2025-02-02.md", "# Zeta Corp (ZETA)\n\n## Widgets\n\n| Widget | Price |\n|---|---|\n| **Zeta Flux** | $9K per unit |\n")
    ingest(settings, progress=False)
    assert not any(h.unit.source.startswith("zeta") for h in chain.retriever.retrieve("Zeta Flux price", 5))
    chain.reload()
    answer = chain.ask("What does the Zeta Flux cost?")
    assert "$9K" in answer.answer and answer.citations[0].source == "zeta-2025-02-02.md"
    assert answer.citations[0].ticker == "ZETA" and answer.citations[0].document_date == "2025-02-02"
