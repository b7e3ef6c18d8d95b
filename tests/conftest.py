"""Test isolation: every test gets its own corpus and index in a temp dir; the assembled model
files are a cache shared with the user's (re-assembling 0.5 GB per test would only cost time).
The heavy parts (embedder, Chroma index of the real document, local LLM) load once per session.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from amzn_qa.config import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"
DOCUMENT = CORPUS / "amzn-technical-analysis-2026-01-23.md"


def _clear_env(monkeypatch, config: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("AMZN_QA_") and name != "AMZN_QA_CACHE_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AMZN_QA_CONFIG", str(config))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    _clear_env(monkeypatch, tmp_path / "no-config.toml")


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


def _served_corpus(root: Path) -> None:
    """`root`'s corpus (the analysis is copied in when missing), indexed as `amzn-qa ingest` does."""
    if not (root / "corpus").exists():
        shutil.copytree(CORPUS, root / "corpus")
    ingested(Settings(corpus_dir=root / "corpus", index_dir=root / "index"))


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

    _served_corpus(root)
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
            time.sleep(0.1)  # the port opens once the libraries are imported and the app is built
    proc.kill()
    raise RuntimeError("server did not start: " + (root / "server.log").read_text())


def server_settings(root: Path, **overrides) -> Settings:
    """The settings `start_server` gives its subprocess, as an object: `root`'s corpus (the
    analysis copied in when missing, then ingested), index and feedback database, no config file
    and none of the user's AMZN_QA_* variables; `overrides` stand for the extra variables."""
    _served_corpus(root)
    with pytest.MonkeyPatch.context() as monkeypatch:  # session fixtures run outside _isolated_env
        _clear_env(monkeypatch, root / "none.toml")
        return Settings(corpus_dir=root / "corpus", index_dir=root / "index",
                        feedback_db=root / "feedback.sqlite3", **overrides)


@contextmanager
def serving(settings: Settings, with_ui: bool = True) -> Iterator[str]:
    """The app `amzn-qa serve` runs (`create_app`), under a real uvicorn in a thread of this
    process on a free loopback port; yields its base URL. Real HTTP, as in a subprocess, but the
    libraries are imported and the embedder loaded once per session here, so it starts (and
    answers its first question) in about a second, where a new `amzn-qa serve` takes ten or more.
    Only `server` tests the command itself."""
    import threading
    import time

    import uvicorn

    from amzn_qa.frontends.api import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(settings, with_ui=with_ui), host=settings.host, port=0,
                                           log_level="warning", timeout_graceful_shutdown=3))
    thread = threading.Thread(target=server.run, daemon=True, name="in-process amzn-qa serve")
    thread.start()
    deadline = time.time() + 120
    while not server.started:
        if not thread.is_alive() or time.time() > deadline:
            server.should_exit = True
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{settings.host}:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A real `amzn-qa serve` whose corpus holds the analysis plus a document carrying markup."""
    root = tmp_path_factory.mktemp("server")
    shutil.copytree(CORPUS, root / "corpus")
    write(root / "corpus" / "zeta-notes.md", INJECTED_DOC)
    proc, url = start_server(root)
    yield type("Server", (), {"url": url, "root": root, "feedback_db": root / "feedback.sqlite3"})
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="session")
def keyed_server(tmp_path_factory):
    """A server requiring API keys, for /v1 (test_openai_api) and /mcp (test_mcp): in-process,
    as what is tested is the app's key check, not the command."""
    with serving(server_settings(tmp_path_factory.mktemp("keyed"), api_keys=["key-1", "key-2"])) as url:
        yield url


@pytest.fixture(scope="session")
def format_fixtures(tmp_path_factory) -> dict[str, Path]:
    """The analysis as .html, .pdf (printed by Chromium) and .docx, made once per session."""
    from .formats import build_fixtures, chromium_available

    if not chromium_available():
        pytest.skip("chromium is not installed (the PDF fixture is printed by it): run `make setup`")
    return build_fixtures(tmp_path_factory.mktemp("formats"))
