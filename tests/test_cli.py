"""The installed `amzn-qa` command, run as a user would, in a subprocess."""

import json
import os
import subprocess
import sys

import pytest

from .conftest import write

KEYS = {"question", "answer", "refused", "grounded", "citations", "timings", "model", "mode"}
CITATION_KEYS = {"n", "chunk_id", "source", "section", "start_line", "end_line", "quote", "page"}


def run(settings, *args, check=False):
    env = {
        **os.environ,
        "AMZN_QA_CORPUS_DIR": str(settings.corpus_dir),
        "AMZN_QA_INDEX_DIR": str(settings.index_dir),
        "AMZN_QA_CACHE_DIR": str(settings.cache_dir),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "amzn_qa.cli", *args], capture_output=True, text=True, env=env, timeout=600
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_ask_json_prints_one_object_in_the_documented_shape(shared_settings):
    proc = run(shared_settings, "ask", "--json", "Roughly what does one Trainium 2 chip cost?")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # exactly one JSON document on stdout
    assert set(result) == KEYS
    assert "$50-70K" in result["answer"] and result["refused"] is False and result["grounded"] is True
    assert result["citations"] and all(set(c) == CITATION_KEYS for c in result["citations"])
    assert all(c["page"] is None for c in result["citations"])  # a markdown document has no pages
    assert any("Trainium" in c["section"] and c["start_line"] == 65 for c in result["citations"])
    assert set(result["timings"]) == {"retrieve_ms", "ttft_ms", "total_ms"}
    assert result["model"].startswith("local:")


def test_ask_json_refuses_what_the_document_does_not_say(shared_settings):
    proc = run(shared_settings, "ask", "--json", "Who is the CEO of Amazon?")
    result = json.loads(proc.stdout)
    assert result["refused"] is True and result["citations"] == []


@pytest.mark.parametrize("question, message", [("", "The question is empty"), ("?" * 600, "the limit is 500")])
def test_bad_question_is_a_one_line_error(shared_settings, question, message):
    proc = run(shared_settings, "ask", question)
    assert proc.returncode == 2 and message in proc.stderr


def test_corrupt_index_names_the_rebuild_command(make_settings):
    settings = make_settings()
    write(settings.index_dir / "chroma.sqlite3", b"garbage" * 1000)
    proc = run(settings, "ask", "What does Trainium cost?")
    assert proc.returncode == 2
    assert "amzn-qa ingest --rebuild" in proc.stderr
    rebuilt = run(settings, "ingest", "--rebuild")
    assert rebuilt.returncode == 0 and "units" in rebuilt.stdout


def test_ingest_names_a_broken_file_and_indexes_the_rest(make_settings):
    settings = make_settings()
    write(settings.corpus_dir / "broken.md", b"\xff\xfe\x00bad")
    proc = run(settings, "ingest")
    assert proc.returncode == 0
    assert "skipped broken.md: not UTF-8" in proc.stdout
    assert "1 added" in proc.stdout


def test_invalid_setting_is_reported(shared_settings, monkeypatch):
    monkeypatch.setenv("AMZN_QA_K", "zero")
    proc = run(shared_settings, "ask", "Trainium price?")
    assert proc.returncode == 2 and "invalid setting" in proc.stderr
