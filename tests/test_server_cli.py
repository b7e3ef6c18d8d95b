"""`amzn-qa ask/chat --server URL`: the question goes to a running `amzn-qa serve`, no models load."""

import json
import os
import subprocess
import sys

import httpx
import pytest

KIVA = "When did Amazon acquire Kiva?"
# Prints the command's output, then whether the models' libraries were imported.
PROBE = "import sys; from amzn_qa.frontends.cli import main; code = main(sys.argv[1:]); " \
        "print(sorted({'torch', 'chromadb', 'llama_cpp'} & set(sys.modules))); sys.exit(code)"


def cli(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.mark.llm
def test_ask_json_through_the_server_equals_api_ask_without_loading_models(server):
    proc = cli("ask", "--json", "--server", server.url, KIVA)
    printed, loaded = proc.stdout.strip().splitlines()
    expected = httpx.post(f"{server.url}/api/ask", json={"question": KIVA}, timeout=300).json()
    answer = json.loads(printed)
    assert proc.returncode == 0 and loaded == "[]"
    assert answer["answer"] == expected["answer"] and answer["citations"] == expected["citations"]


@pytest.mark.llm
def test_chat_takes_the_server_from_the_environment(server):
    proc = cli("chat", stdin=KIVA + "\n\n", AMZN_QA_SERVER_URL=server.url)
    assert proc.returncode == 0 and "2012" in proc.stdout and "[1] amzn-technical-analysis" in proc.stdout
    assert proc.stdout.strip().endswith("[]")


def test_unreachable_server_is_a_one_line_error():
    proc = cli("ask", "--server", "http://127.0.0.1:9", KIVA)
    assert proc.returncode == 2 and "cannot reach the server at http://127.0.0.1:9" in proc.stderr


@pytest.mark.embedder
def test_refused_question_reports_the_servers_message(server):
    proc = cli("ask", "--server", server.url, "   ")
    assert proc.returncode == 2 and "the server answered 400" in proc.stderr and "empty" in proc.stderr


@pytest.mark.embedder
def test_the_servers_warm_up_opens_the_index_and_leaves_a_missing_one_to_the_first_question(shared_settings, make_settings):
    from amzn_qa.frontends.backend import Backend
    from amzn_qa.ingest import index

    warmed = Backend(shared_settings)
    warmed.warm()
    assert list(warmed._chains) == [shared_settings.llm] and index._loaded_embedder.cache_info().currsize == 1
    missing = Backend(make_settings())
    missing.warm()  # no index yet: nothing raised here; the question reports it
    assert missing._chains == {}
