"""The same code against real servers on loopback: a Chroma server instead of the embedded store,
and an OpenAI-compatible LLM server (llama-cpp-python's) instead of the in-process model."""

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from amzn_qa.answer.chain import AnswerChain
from amzn_qa.ingest.convert import to_markdown
from amzn_qa.ingest.documents import chunk_markdown, corpus_files
from amzn_qa.ingest.index import ingest, load_units, open_client
from amzn_qa.models import assembled_gguf

QUESTIONS = [
    "Roughly what does one Trainium 2 chip cost?",
    "How many robots has Amazon deployed?",
    "Who is the CEO of Amazon?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(cmd: list[str], ready_url: str, log: Path, timeout: float = 180) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            if httpx.get(ready_url, timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"{cmd[0]} did not start: {log.read_text()}")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("chroma")
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = start([str(chroma), "run", "--path", str(root / "data"), "--host", "127.0.0.1", "--port", str(port)],
                 f"http://127.0.0.1:{port}/api/v2/heartbeat", root / "chroma.log")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.llm
def test_chroma_server_gives_the_same_answers_and_citations(chroma_server, shared_settings, chain):
    settings = shared_settings.model_copy(update={"chroma_url": chroma_server, "collection": "same_answers"})
    report = ingest(settings, progress=False)
    assert report.units == len(chain.retriever.units)
    remote = AnswerChain(settings)
    for question in QUESTIONS:
        a, b = chain.ask(question), remote.ask(question)
        assert (a.answer, a.refused) == (b.answer, b.refused)
        assert [c.chunk_id for c in a.citations] == [c.chunk_id for c in b.citations]


@pytest.mark.embedder
def test_two_concurrent_ingests_neither_duplicate_nor_lose_units(chroma_server, shared_settings):
    env = {**os.environ, "AMZN_QA_CHROMA_URL": chroma_server, "AMZN_QA_COLLECTION": "concurrent",
           "AMZN_QA_CORPUS_DIR": str(shared_settings.corpus_dir)}
    procs = [subprocess.Popen([sys.executable, "-m", "amzn_qa.frontends.cli", "ingest"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    settings = shared_settings.model_copy(update={"chroma_url": chroma_server, "collection": "concurrent"})
    ids = [u.id for u in load_units(settings, open_client(settings))]
    expected = {u.id for p in corpus_files(settings.corpus_dir) for u in chunk_markdown(to_markdown(p).text, p.name)}
    assert len(ids) == len(set(ids)) and set(ids) == expected


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory, shared_settings):
    root = tmp_path_factory.mktemp("llm")
    port = free_port()
    model = assembled_gguf("local", shared_settings.cache_dir)
    proc = start([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                  "--port", str(port), "--n_threads", "2", "--n_ctx", "2048", "--model_alias", "local"],
                 f"http://127.0.0.1:{port}/v1/models", root / "llm.log")
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(timeout=30)


def openai_chain(settings, retriever, base_url, timeout=60.0):
    return AnswerChain(settings.model_copy(update={"llm": "openai", "openai_base_url": base_url,
                                                   "llm_timeout_s": timeout}), retriever)


@pytest.mark.llm
def test_openai_provider_against_a_real_llm_server(llm_server, shared_settings, retriever):
    remote = openai_chain(shared_settings, retriever, llm_server)
    answer = remote.ask("Roughly what does one Trainium 2 chip cost?")
    assert answer.model.startswith("openai:local@")
    assert set(answer.to_json()) == {"question", "answer", "refused", "grounded", "citations", "timings", "model", "mode", "trace"}
    assert "$50-70K" in answer.answer and answer.citations
    from amzn_qa.answer.chain import Token

    tokens = [e for e in remote.stream("How many robots has Amazon deployed?") if isinstance(e, Token)]
    assert len(tokens) > 1


class Misbehaving(ThreadingHTTPServer):
    """An 'LLM server' that is slow, or answers garbage."""

    def __init__(self, mode: str):
        self.mode = mode
        super().__init__(("127.0.0.1", 0), self.Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.server.mode == "slow":
                time.sleep(5)
            body = b"<html>this is not an OpenAI response</html>"
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except BrokenPipeError:
                pass


@pytest.mark.parametrize("failure", ["down", "slow", "garbage"])
@pytest.mark.embedder
def test_llm_server_failures_give_a_notice_and_the_evidence(failure, shared_settings, retriever):
    if failure == "down":
        url = f"http://127.0.0.1:{free_port()}/v1"
    else:
        server = Misbehaving(failure)
        url = server.url
    remote = openai_chain(shared_settings, retriever, url, timeout=1.5)
    started = time.time()
    answer = remote.ask("How many robots has Amazon deployed?")
    assert time.time() - started < 30  # no hang
    assert answer.refused and not answer.grounded
    expected = "The model did not answer in time" if failure == "slow" else "The model failed"
    assert answer.answer.startswith(expected)
    assert answer.citations and "1M+" in answer.citations[0].quote
    if failure != "down":
        server.shutdown()
