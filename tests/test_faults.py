"""Crashes and interruptions: the index and the feedback survive them."""

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from amzn_qa.ingest.convert import to_markdown
from amzn_qa.ingest.documents import chunk_markdown, corpus_files
from amzn_qa.frontends.feedback import FeedbackStore
from amzn_qa.ingest.index import ingest, load_units, open_client
from amzn_qa.answer.retrieval import HybridRetriever

from .test_cli import run


DOCUMENT_NAME = "amzn-technical-analysis-2026-01-23.md"


def big_document(rows: int) -> str:
    body = "\n".join(f"| **Widget {i}** | {i} units | region {i % 7} |" for i in range(rows))
    return f"# Widgets Inc – Notes\n\n## Inventory\n\n| Item | Count | Where |\n|---|---|---|\n{body}\n"


def expected_ids(settings) -> set[str]:
    return {u.id for p in corpus_files(settings.corpus_dir) for u in chunk_markdown(to_markdown(p).text, p.name)}


@pytest.mark.embedder
def test_ingest_killed_midway_leaves_an_index_that_answers_and_the_next_ingest_completes(make_settings):
    settings = make_settings()
    ingest(settings, progress=False)
    (settings.corpus_dir / "widgets.md").write_text(big_document(3000))
    env_settings = settings
    proc = subprocess.Popen(
        [sys.executable, "-m", "amzn_qa.frontends.cli", "ingest"],
        env={**__import__("os").environ, "AMZN_QA_CORPUS_DIR": str(env_settings.corpus_dir),
             "AMZN_QA_INDEX_DIR": str(env_settings.index_dir)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    # Wait until the new document's units are being written, then kill without warning.
    deadline = time.time() + 240
    while time.time() < deadline:
        count = open_client(settings).get_collection(settings.collection).count()
        if count > 200:
            break
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert count > 200, "the ingest was not caught in the middle"

    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    # The previous index is whole and answers: every unit of the analysis is still there, and the
    # sources the chain would give the model (top 5) still hold the answer.
    retriever = HybridRetriever(settings)
    analysis = {u.id for u in retriever.units if u.source.startswith("amzn-")}
    assert analysis == {u.id for u in chunk_markdown(to_markdown(settings.corpus_dir / DOCUMENT_NAME).text, DOCUMENT_NAME)}
    hits = retriever.retrieve("Roughly what does one Trainium 2 chip cost?", 5)
    assert any("~$50-70K" in h.unit.text for h in hits), [h.unit.text[:60] for h in hits]

    report = ingest(settings, progress=False)
    assert "widgets.md" in report.added + report.updated
    assert {u.id for u in load_units(settings, open_client(settings))} == expected_ids(settings)


def test_feedback_killed_mid_write_loses_no_earlier_feedback(tmp_path):
    db = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(db)
    for i in range(5):
        store.record(f"question {i}", "answer", [{"n": 1}], True, "local")
    writer = subprocess.Popen([sys.executable, "-c", (
        "from pathlib import Path; from amzn_qa.frontends.feedback import FeedbackStore\n"
        f"s = FeedbackStore(Path({str(db)!r}))\n"
        "while True: s.record('q' * 10000, 'a' * 10000, [{'n': 1}], False, 'local')\n"
    )])
    time.sleep(2)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    rows = FeedbackStore(db).all()
    assert [r["question"] for r in rows[:5]] == [f"question {i}" for i in range(5)]
    assert len(rows) > 5  # the writer did get going before it was killed
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.embedder
def test_corrupt_index_files_give_the_rebuild_command(make_settings):
    settings = make_settings()
    ingest(settings, progress=False)
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    for path in settings.index_dir.rglob("*"):
        if path.is_file():
            path.write_bytes(b"\x00" * 512)
    proc = run(settings, "ask", "What does Trainium cost?")
    assert proc.returncode == 2 and "amzn-qa ingest --rebuild" in proc.stderr
