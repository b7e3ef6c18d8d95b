"""The installed `amzn-qa` command, run as a user would, in a subprocess."""

import json
import os
import subprocess
import sys

import pytest

from .conftest import write

KEYS = {"question", "answer", "refused", "grounded", "citations", "timings", "model", "mode", "trace"}
CITATION_KEYS = {"n", "chunk_id", "source", "section", "start_line", "end_line", "quote", "document_title",
                 "document_date", "ticker", "page"}


def run(settings, *args, check=False, stdin=None):
    env = {
        **os.environ,
        "AMZN_QA_CORPUS_DIR": str(settings.corpus_dir),
        "AMZN_QA_INDEX_DIR": str(settings.index_dir),
        "AMZN_QA_CACHE_DIR": str(settings.cache_dir),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "amzn_qa.frontends.cli", *args], capture_output=True, text=True, env=env, timeout=600,
        input=stdin,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.mark.llm
def test_ask_json_prints_one_object_in_the_documented_shape(shared_settings):
    proc = run(shared_settings, "ask", "--json", "Roughly what does one Trainium 2 chip cost?")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # exactly one JSON document on stdout
    assert set(result) == KEYS
    assert "$50-70K" in result["answer"] and result["refused"] is False and result["grounded"] is True
    assert result["citations"] and all(set(c) == CITATION_KEYS for c in result["citations"])
    assert all(c["page"] is None for c in result["citations"])  # a markdown document has no pages
    assert any("Trainium" in c["section"] and c["start_line"] == 65 for c in result["citations"])
    assert {(c["document_title"], c["document_date"], c["ticker"]) for c in result["citations"]} == {
        ("Amazon.com, Inc. (AMZN) – Technical Analysis", "2026-01-23", "AMZN")}
    assert set(result["timings"]) == {"retrieve_ms", "ttft_ms", "total_ms"}
    assert result["model"].startswith("local:")


@pytest.mark.embedder
def test_ask_json_refuses_what_the_document_does_not_say(shared_settings):
    proc = run(shared_settings, "ask", "--json", "Who is the CEO of Amazon?")
    result = json.loads(proc.stdout)
    assert result["refused"] is True and result["citations"] == []


@pytest.mark.llm
def test_ask_can_be_limited_to_a_document_and_names_the_documents_when_it_is_unknown(shared_settings):
    document = "amzn-technical-analysis-2026-01-23.md"
    proc = run(shared_settings, "ask", "--json", "--document", document, "When did Amazon acquire Kiva?")
    assert proc.returncode == 0, proc.stderr
    assert {c["source"] for c in json.loads(proc.stdout)["citations"]} == {document}
    proc = run(shared_settings, "ask", "--document", "nope.md", "When did Amazon acquire Kiva?")
    assert proc.returncode == 2 and f"No such document: nope.md. The documents are: {document}" in proc.stderr
    proc = run(shared_settings, "ask", "--ticker", "MSFT", "When did Amazon acquire Kiva?")
    assert proc.returncode == 2 and "No document matches ticker MSFT. The tickers are: AMZN" in proc.stderr


@pytest.mark.parametrize("question, message", [("", "The question is empty"), ("?" * 600, "the limit is 500")])
@pytest.mark.embedder
def test_bad_question_is_a_one_line_error(shared_settings, question, message):
    proc = run(shared_settings, "ask", question)
    assert proc.returncode == 2 and message in proc.stderr


@pytest.mark.parametrize("command", [["ask", "When did Amazon acquire Kiva?"], ["chat"],
                                     ["eval", "--retrieval-only", "--limit", "1", "--no-gate"]])
def test_without_an_index_a_question_is_a_one_line_error_naming_ingest(make_settings, tmp_path, command):
    settings = make_settings()
    out = ["--out", str(tmp_path / "report")] if command[0] == "eval" else []
    proc = run(settings, *command, *out, stdin="When did Amazon acquire Kiva?\n")  # run() fails on a traceback
    assert proc.returncode == 2 and proc.stderr.strip() == (
        f"amzn-qa: the index at {settings.index_dir} is empty or missing: run `amzn-qa ingest` to index the "
        f"documents in {settings.corpus_dir}")


@pytest.mark.embedder
def test_corrupt_index_names_the_rebuild_command(make_settings):
    settings = make_settings()
    write(settings.index_dir / "chroma.sqlite3", b"garbage" * 1000)
    proc = run(settings, "ask", "What does Trainium cost?")
    assert proc.returncode == 2
    assert "amzn-qa ingest --rebuild" in proc.stderr
    rebuilt = run(settings, "ingest", "--rebuild")
    assert rebuilt.returncode == 0 and "units" in rebuilt.stdout


@pytest.mark.embedder
def test_ingest_names_a_broken_file_and_indexes_the_rest(make_settings):
    settings = make_settings()
    write(settings.corpus_dir / "broken.md", b"\xff\xfe\x00bad")
    proc = run(settings, "ingest")
    assert proc.returncode == 0
    assert "skipped broken.md: not UTF-8" in proc.stdout
    assert "1 added" in proc.stdout


@pytest.mark.embedder
def test_invalid_setting_is_reported(shared_settings, monkeypatch):
    monkeypatch.setenv("AMZN_QA_K", "zero")
    proc = run(shared_settings, "ask", "Trainium price?")
    assert proc.returncode == 2 and "invalid setting" in proc.stderr


@pytest.mark.llm
def test_add_copies_a_checked_document_into_the_corpus_and_indexes_it(make_settings, tmp_path):
    settings = make_settings()
    run(settings, "ingest", check=True)
    new = write(tmp_path / "incoming" / "zeta-2025-02-02.md", "# Zeta Corp (ZETA)\n\n| Widget | Price |\n|---|---|\n| Flux | $9K |\n")
    proc = run(settings, "add", str(new))
    assert proc.returncode == 0, proc.stderr
    assert f"added zeta-2025-02-02.md to {settings.corpus_dir}" in proc.stdout and "1 added" in proc.stdout
    assert (settings.corpus_dir / new.name).read_text() == new.read_text()
    answer = json.loads(run(settings, "ask", "--json", "What does the Zeta Flux cost?").stdout)
    assert "$9K" in answer["answer"] and answer["citations"][0]["ticker"] == "ZETA"


@pytest.mark.parametrize("name, content, message", [
    ("notes.rtf", "{\\rtf1 x}", "notes.rtf: only .md, .markdown, .txt, .pdf, .docx, .html, .htm documents can be added"),
    ("latin1.md", b"caf\xe9", "latin1.md: not UTF-8"),
    ("empty.md", "  \n", "empty.md: the document is empty"),
    ("big.md", "x" * 2000, "big.md: 2000 bytes; the limit is 1000"),
    ("amzn-technical-analysis-2026-01-23.md", "# Other\n", "already has a different document of that name"),
])
def test_add_refuses_what_it_cannot_index_in_one_line(make_settings, tmp_path, monkeypatch, name, content, message):
    settings = make_settings()
    monkeypatch.setenv("AMZN_QA_MAX_DOCUMENT_BYTES", "1000")
    proc = run(settings, "add", str(write(tmp_path / "incoming" / name, content)))
    assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert (settings.corpus_dir / name).exists() == name.startswith("amzn")
