"""One writer at a time: ingest, `amzn-qa add` and the chat's upload take turns on the index's
write lock (a second one waits, with one message, or gives up with one line), and a running
server sees what an `amzn-qa ingest` beside it wrote at its next question."""

import fcntl
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from amzn_qa.config import Settings
from amzn_qa.ingest import index
from amzn_qa.ingest.index import LOCK_FILE, add_document, ingest, load_units, open_client, writing
from amzn_qa.ingest.lock import LockTimeout, exclusive

from .conftest import CORPUS, write
from .test_cli import run
from .test_faults import expected_ids

WAITING = "another ingest is writing the index"
NEW = "zeta-notes.md"
ZETA = "# Zeta Corp (ZETA) – Notes\n\n## Widgets\n\n| Widget | Price |\n|---|---|\n| **Zeta Flux** | $9K per unit |\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """An index of the corpus, built once; each test writes to its own copy."""
    root = tmp_path_factory.mktemp("template")
    shutil.copytree(CORPUS, root / "corpus")
    ingest(Settings(corpus_dir=root / "corpus", index_dir=root / "index"), progress=False)
    return root / "index"


@pytest.fixture
def indexed(make_settings, template, tmp_path) -> Settings:
    settings = make_settings(feedback_db=tmp_path / "feedback.sqlite3")
    shutil.copytree(template, settings.index_dir)
    return settings


@contextmanager
def held(settings):
    """The index's write lock, taken as any other writer would: its own open file, flock."""
    with open(settings.index_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


def eventually(check, seconds: float = 180) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def sources(settings) -> list[str]:
    return [u.source for u in load_units(settings, open_client(settings))]


def waits(caplog) -> int:
    return sum(WAITING in record.getMessage() for record in caplog.records)


def started(name: str, work, results: dict) -> threading.Thread:
    def keep_result():
        try:
            results[name] = work()
        except Exception as err:  # the test names what went wrong
            results[name] = err

    thread = threading.Thread(target=keep_result, name=name, daemon=True)
    thread.start()
    return thread


@pytest.mark.embedder
def test_an_add_during_an_ingest_waits_for_it_and_no_unit_is_lost_or_doubled(indexed, monkeypatch, caplog, tmp_path):
    # The ingest stops between reading the corpus and writing. An add that went ahead then would
    # be undone: the ingest, resumed, finds units of a document it did not read and deletes them.
    planned, resume = threading.Event(), threading.Event()
    plan = index._plan

    def pausing_plan(settings, report):
        result = plan(settings, report)
        if threading.current_thread().name == "ingest":
            planned.set()
            resume.wait(300)
        return result

    monkeypatch.setattr(index, "_plan", pausing_plan)
    new = write(tmp_path / "incoming" / NEW, ZETA)
    results: dict = {}
    caplog.set_level(logging.WARNING)
    try:
        first = started("ingest", lambda: ingest(indexed, progress=False), results)
        assert planned.wait(180)
        second = started("add", lambda: add_document(indexed, new), results)
        assert eventually(lambda: waits(caplog) or not second.is_alive())
        assert waits(caplog) == 1, f"the add did not wait for the ingest: {results}"
        assert second.is_alive() and not (indexed.corpus_dir / NEW).exists()  # it copies nothing while waiting
    finally:
        resume.set()
    first.join(300)
    second.join(300)
    assert results["ingest"].unchanged == ["amzn-technical-analysis-2026-01-23.md"], results
    assert results["add"].added == [NEW], results
    units = load_units(indexed, open_client(indexed))
    ids = [u.id for u in units]
    assert len(ids) == len(set(ids)) == len(expected_ids(indexed))  # what a fresh ingest writes
    assert set(ids) == expected_ids(indexed) and NEW in {u.source for u in units}
    assert waits(caplog) == 1


@pytest.mark.embedder
def test_an_ingest_in_another_process_waits_for_the_lock_then_writes(indexed):
    write(indexed.corpus_dir / NEW, ZETA)
    env = {**os.environ, "AMZN_QA_CORPUS_DIR": str(indexed.corpus_dir), "AMZN_QA_INDEX_DIR": str(indexed.index_dir)}
    lines: list[str] = []
    with held(indexed):
        proc = subprocess.Popen([sys.executable, "-m", "amzn_qa.frontends.cli", "ingest"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        assert eventually(lambda: any(WAITING in line for line in lines) or proc.poll() is not None), lines
        assert proc.poll() is None, f"the ingest did not wait: {lines}"
        time.sleep(1)
        assert proc.poll() is None and NEW not in sources(indexed)  # nothing written while it waits
    assert proc.wait(300) == 0
    reader.join(10)
    assert sum(WAITING in line for line in lines) == 1 and "Traceback" not in "".join(lines)
    assert any("1 added" in line for line in lines) and NEW in sources(indexed)


@pytest.mark.embedder
def test_a_writer_that_waits_too_long_gives_up_in_one_line_and_copies_nothing(indexed, tmp_path, monkeypatch):
    new = write(tmp_path / "incoming" / NEW, ZETA)
    monkeypatch.setenv("AMZN_QA_WRITE_LOCK_SECONDS", "1")
    with held(indexed):
        proc = run(indexed, "add", str(new))  # run() fails on a traceback
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert sum(WAITING in line for line in lines) == 1
    assert lines[-1].startswith(f"amzn-qa: another ingest was still writing the index at {indexed.index_dir} after 1 s")
    assert "AMZN_QA_WRITE_LOCK_SECONDS" in lines[-1]
    assert not (indexed.corpus_dir / NEW).exists() and NEW not in sources(indexed)


@pytest.mark.embedder
def test_a_running_server_sees_an_external_ingest_at_its_next_question(indexed):
    from fastapi.testclient import TestClient

    from amzn_qa.frontends.api import create_app

    app = create_app(indexed, with_ui=False)
    client = TestClient(app)

    def documents() -> set[str]:
        return {d["name"] for d in client.get("/api/health").json()["index"]["documents"]}

    assert NEW not in documents()
    write(indexed.corpus_dir / NEW, ZETA)
    assert "1 added" in run(indexed, "ingest").stdout  # another process
    assert NEW in documents()
    hits = app.state.backend.chain().retriever.retrieve("What does the Zeta Flux widget cost?", 3)
    # Found by the vector search too (a store opened before the ingest would not see it), not
    # only by keywords.
    assert hits[0].unit.source == NEW and hits[0].similarity > 0.3


def test_the_lock_is_reentrant_in_a_thread_and_keeps_other_threads_out(tmp_path, caplog):
    path = tmp_path / "index" / LOCK_FILE
    caplog.set_level(logging.WARNING)
    outcome: dict = {}
    with exclusive(path, 5, "busy; waiting"):
        with exclusive(path, 0, "busy; waiting"):  # add_document holds it and calls ingest
            pass
        other = started("other", lambda: exclusive(path, 0.3, "busy; waiting").__enter__(), outcome)
        other.join(10)
    assert isinstance(outcome["other"], LockTimeout)
    assert [r.getMessage() for r in caplog.records] == ["busy; waiting"]
    after = started("after", lambda: exclusive(path, 0, "busy; waiting").__enter__(), outcome)
    after.join(10)
    assert outcome["after"] is None  # released: taken at once


def test_clearing_a_damaged_store_for_a_rebuild_keeps_the_held_lock_file(make_settings):
    settings = make_settings()
    write(settings.index_dir / "chroma.sqlite3", b"not a database")
    write(settings.index_dir / "segment" / "data_level0.bin", b"\x00" * 64)
    with writing(settings):
        inode = (settings.index_dir / LOCK_FILE).stat().st_ino
        index._clear_index_dir(settings)
        assert [p.name for p in settings.index_dir.iterdir()] == [LOCK_FILE]
        assert (settings.index_dir / LOCK_FILE).stat().st_ino == inode
        outcome: dict = {}
        started("other", lambda: exclusive(settings.index_dir / LOCK_FILE, 0, "busy").__enter__(), outcome).join(10)
        assert isinstance(outcome["other"], LockTimeout)  # still held: no second writer gets in
