"""Test isolation: every test gets its own corpus and index in a temp dir; the assembled model
files are a cache shared with the user's (re-assembling 0.5 GB per test would only cost time).
The heavy parts (embedder, Chroma index of the real document, local LLM) load once per session.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from amzn_qa.config import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
DOCUMENT = CORPUS / "amzn-technical-analysis-2026-01-23.md"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("AMZN_QA_") and name != "AMZN_QA_CACHE_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AMZN_QA_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture
def make_settings(tmp_path):
    """Settings over a private copy of the corpus and a private index."""

    def make(**overrides) -> Settings:
        corpus = tmp_path / "corpus"
        if not corpus.exists():
            shutil.copytree(CORPUS, corpus)
        values = {"corpus_dir": corpus, "index_dir": tmp_path / "index", **overrides}
        return Settings(**values)

    return make


def ingested(settings: Settings) -> Settings:
    """`settings` once its corpus is indexed, as `amzn-qa ingest` does: a question never builds
    the index."""
    from amzn_qa.ingest.index import ingest

    ingest(settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def shared_settings(tmp_path_factory) -> Settings:
    """Settings over a copy of the corpus and its index, built once per session."""
    root = tmp_path_factory.mktemp("shared")
    shutil.copytree(CORPUS, root / "corpus")
    return ingested(Settings(corpus_dir=root / "corpus", index_dir=root / "index"))


@pytest.fixture(scope="session")
def retriever(shared_settings):
    from amzn_qa.answer.retrieval import HybridRetriever

    return HybridRetriever(shared_settings)


@pytest.fixture(scope="session")
def chain(shared_settings, retriever):
    from amzn_qa.answer.chain import AnswerChain

    return AnswerChain(shared_settings, retriever)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


INJECTED_DOC = """# Zeta Corp (ZETA) – Notes

## Zeta Widgets

| Metric | Value |
|---|---|
| **Zeta widget price** | <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> $9K per widget |
"""


def start_server(root: Path, env: dict | None = None):
    """`amzn-qa serve` in a subprocess on a free loopback port over `root`'s corpus (the analysis
    is copied in when missing), index (ingested first) and feedback database; returns (process,
    base URL) once its index answers."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    if not (root / "corpus").exists():
        shutil.copytree(CORPUS, root / "corpus")
    ingested(Settings(corpus_dir=root / "corpus", index_dir=root / "index"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "AMZN_QA_CORPUS_DIR": str(root / "corpus"), "AMZN_QA_INDEX_DIR": str(root / "index"),
           "AMZN_QA_FEEDBACK_DB": str(root / "feedback.sqlite3"), "AMZN_QA_CONFIG": str(root / "none.toml"),
           **(env or {})}
    log = (root / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "amzn_qa.frontends.cli", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    health = urllib.request.Request(f"{url}/api/health")
    if env.get("AMZN_QA_AUTH_USERNAME"):  # with a login, the index state needs credentials
        login = f"{env['AMZN_QA_AUTH_USERNAME']}:{env.get('AMZN_QA_AUTH_PASSWORD', '')}".encode()
        health.add_header("Authorization", "Basic " + __import__("base64").b64encode(login).decode())
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=60) as response:
                if json.loads(response.read())["index"]["ok"]:
                    return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((root / "server.log").read_text())
            time.sleep(1)
    proc.kill()
    raise RuntimeError("server did not start: " + (root / "server.log").read_text())


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A server whose corpus holds the analysis plus a document carrying markup."""
    root = tmp_path_factory.mktemp("server")
    shutil.copytree(CORPUS, root / "corpus")
    write(root / "corpus" / "zeta-notes.md", INJECTED_DOC)
    proc, url = start_server(root)
    yield type("Server", (), {"url": url, "root": root, "feedback_db": root / "feedback.sqlite3"})
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="session")
def format_fixtures(tmp_path_factory) -> dict[str, Path]:
    """The analysis as .html, .pdf (printed by Chromium) and .docx, made once per session."""
    from .formats import build_fixtures, chromium_available

    if not chromium_available():
        pytest.skip("chromium is not installed (the PDF fixture is printed by it): run `make setup`")
    return build_fixtures(tmp_path_factory.mktemp("formats"))
