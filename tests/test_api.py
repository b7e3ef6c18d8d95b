"""The HTTP API over real HTTP against a running `amzn-qa serve` (real index and local model)."""

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .conftest import serving

KEYS = {"question", "answer", "refused", "grounded", "citations", "timings", "model", "mode", "trace"}


def post(server, path, **kwargs):
    return httpx.post(f"{server.url}{path}", timeout=300, **kwargs)


@pytest.mark.llm
def test_ask_returns_the_cli_json_shape(server):
    response = post(server, "/api/ask", json={"question": "How many robots has Amazon deployed?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == KEYS
    assert "1M+" in body["answer"] and body["citations"]


@pytest.mark.llm
def test_history_makes_a_follow_up_answerable(server):
    history = [
        {"role": "user", "content": "How many developers adopted Curo in its first days?"},
        {"role": "assistant", "content": "100K+ developers [1]."},
    ]
    body = post(server, "/api/ask", json={"question": "What does it compete with?", "history": history}).json()
    assert "GitHub Copilot" in body["answer"]  # "it" is Curo, from the earlier turn
    assert any("Curo" in c["section"] for c in body["citations"])


@pytest.mark.llm
def test_stream_sends_the_models_tokens_then_the_answer_they_make(server):
    with httpx.stream("POST", f"{server.url}/api/ask/stream", json={"question": "When did Amazon acquire Kiva?"},
                      timeout=300) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = list(response.iter_lines())
    events = [(line.removeprefix("event: "), json.loads(data.removeprefix("data: ")))
              for line, data in zip(lines, lines[1:]) if line.startswith("event: ")]
    *tokens, (last, answer) = events
    assert tokens and {kind for kind, _ in tokens} == {"token"} and last == "answer"
    # The model's draft passed every check unchanged, so the tokens shown are the answer.
    assert [entry["rule"] for entry in answer["trace"] if "rule" in entry] == ["passed_checks"]
    assert "".join(data["text"] for _, data in tokens).strip() == answer["answer"] and "2012" in answer["answer"]


@pytest.mark.parametrize(
    "payload, status, message",
    [
        ({"question": ""}, 400, "empty"),
        ({"question": "   "}, 400, "empty"),
        ({"question": "x" * 501}, 400, "limit is 500"),
        ({"question": "Trainium?", "k": 0}, 422, ""),
        ({}, 422, ""),
    ],
)
@pytest.mark.embedder
def test_bad_input_gets_a_4xx_with_a_message(server, payload, status, message):
    response = post(server, "/api/ask", json=payload)
    assert response.status_code == status
    assert message in json.dumps(response.json())


TRAINIUM = "Roughly what does one Trainium 2 chip cost?"


@pytest.mark.parametrize("limit", [{"documents": ["amzn-technical-analysis-2026-01-23.md"]}, {"ticker": "amzn"}])
@pytest.mark.embedder
def test_a_document_or_ticker_filter_limits_the_sources(server, limit):
    body = post(server, "/api/ask", json={"question": "What is the Zeta widget price?", **limit}).json()
    assert all(c["source"] == "amzn-technical-analysis-2026-01-23.md" for c in body["citations"])
    assert "$9K" not in body["answer"]


@pytest.mark.llm
def test_filtered_stream_answers_from_the_chosen_document_with_its_metadata(server):
    body = {"question": TRAINIUM, "documents": ["amzn-technical-analysis-2026-01-23.md"]}
    with httpx.stream("POST", f"{server.url}/api/ask/stream", json=body, timeout=300) as response:
        answer = json.loads([line for line in response.iter_lines() if line.startswith("data: ")][-1][6:])
    assert "$50-70K" in answer["answer"]
    assert {(c["document_title"], c["document_date"], c["ticker"]) for c in answer["citations"]} == {
        ("Amazon.com, Inc. (AMZN) – Technical Analysis", "2026-01-23", "AMZN")}
    zeta_only = post(server, "/api/ask", json={"question": TRAINIUM, "documents": ["zeta-notes.md"]}).json()
    assert "$50-70K" not in zeta_only["answer"]
    assert all(c["source"] == "zeta-notes.md" for c in zeta_only["citations"])


@pytest.mark.parametrize("payload, status, message", [
    ({"documents": ["nope.md"]}, 400, "No such document: nope.md. The documents are: amzn-technical"),
    ({"ticker": "MSFT"}, 400, "No document matches ticker MSFT. The tickers are: AMZN, ZETA"),
    ({"documents": []}, 422, "documents"),
    ({"documents": "zeta-notes.md"}, 422, "documents"),
    ({"ticker": 5}, 422, "ticker"),
])
@pytest.mark.embedder
def test_a_bad_filter_is_a_4xx_naming_what_there_is(server, payload, status, message):
    for path in ("/api/ask", "/api/ask/stream"):
        response = post(server, path, json={"question": TRAINIUM, **payload})
        assert response.status_code == status and message in response.json()["error"]


@pytest.mark.embedder
def test_malformed_json_and_oversized_bodies_are_rejected(server):
    assert post(server, "/api/ask", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
    big = json.dumps({"question": "x" * 200_000}).encode()
    assert post(server, "/api/ask", content=big, headers={"content-type": "application/json"}).status_code == 413


@pytest.mark.embedder
def test_health_and_openapi(server):
    health = httpx.get(f"{server.url}/api/health", timeout=60).json()
    assert health["status"] == "ok" and health["index"]["units"] > 100
    documents = {d["name"]: d for d in health["index"]["documents"]}
    assert documents["zeta-notes.md"] == {"name": "zeta-notes.md", "title": "Zeta Corp (ZETA) – Notes",
                                          "ticker": "ZETA", "date": "", "units": documents["zeta-notes.md"]["units"]}
    analysis = documents["amzn-technical-analysis-2026-01-23.md"]
    assert (analysis["ticker"], analysis["date"]) == ("AMZN", "2026-01-23") and analysis["units"] > 100
    schema = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    assert {"/api/ask", "/api/ask/stream", "/api/health"} <= set(schema["paths"])


@pytest.mark.llm
def test_eight_concurrent_requests_are_all_answered(server):
    questions = [
        "How many robots has Amazon deployed?", "When did Amazon acquire Kiva?",
        "How many active customers use Rufus?", "What is Trainium 2's power draw?",
        "How many cities get perishable grocery delivery?", "Who is the CEO of Amazon?",
        "How many CloudFront edge locations are there?", "What share of EC2 instances use Graviton?",
    ]
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda q: post(server, "/api/ask", json={"question": q}), questions))
    assert [r.status_code for r in responses] == [200] * 8
    assert all(set(r.json()) == KEYS for r in responses)


def test_without_an_index_every_question_gets_a_503_naming_ingest(make_settings, tmp_path):
    settings = make_settings(feedback_db=tmp_path / "f.db")
    client = client_for(settings)
    message = f"the index at {settings.index_dir} is empty or missing: run `amzn-qa ingest`"
    for path in ("/api/ask", "/api/ask/stream"):
        response = client.post(path, json={"question": QUESTION})
        assert response.status_code == 503 and response.json()["error"].startswith(message)
    completion = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]})
    assert completion.status_code == 503 and completion.json()["error"]["message"].startswith(message)
    health = client.get("/api/health").json()
    assert health["status"] == "degraded" and health["index"]["error"].startswith(message)


@pytest.mark.embedder
def test_login_when_configured(shared_settings, tmp_path):
    from fastapi.testclient import TestClient

    from amzn_qa.frontends.api import create_app

    settings = shared_settings.model_copy(update={
        "auth_username": "analyst", "auth_password": "s3cret", "feedback_db": tmp_path / "f.db"})
    client = TestClient(create_app(settings, with_ui=False))
    assert client.post("/api/ask", json={"question": "Kiva?"}).status_code == 401
    assert client.post("/api/ask", json={"question": "Kiva?"}, auth=("analyst", "wrong")).status_code == 401
    assert client.post("/api/ask", json={"question": ""}, auth=("analyst", "s3cret")).status_code == 400


# --- Hardening: body limits, strict JSON, JSON errors, the login gate (real app, in-process) ---

QUESTION = "When did Amazon acquire Kiva?"
LOGIN = ("analyst", "s3cret")


def client_for(settings, with_ui=False):
    from fastapi.testclient import TestClient

    from amzn_qa.frontends.api import create_app

    return TestClient(create_app(settings, with_ui=with_ui))


@pytest.fixture(scope="module")
def guarded_settings(shared_settings, tmp_path_factory):
    return shared_settings.model_copy(update={
        "auth_username": LOGIN[0], "auth_password": LOGIN[1],
        "feedback_db": tmp_path_factory.mktemp("guarded") / "feedback.sqlite3"})


@pytest.fixture(scope="module")
def live_guarded(guarded_settings):
    """The API (login on) under a real uvicorn on loopback: chunked uploads need real HTTP."""
    with serving(guarded_settings, with_ui=False) as url:
        yield url


@pytest.mark.embedder
def test_a_chunked_body_over_the_limit_gets_413_before_the_login_is_checked(live_guarded):
    sent = []

    def chunks():  # no Content-Length: a 26 MB chunked body
        yield b'{"question": "'
        for _ in range(400):
            sent.append(1)
            yield b"x" * 65536
        yield b'"}'

    response = httpx.post(f"{live_guarded}/api/ask", content=chunks(), timeout=60,
                          headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "65536 bytes" in response.json()["error"]
    assert len(sent) < 400  # answered while the body was still arriving


@pytest.mark.embedder
def test_a_chunked_body_within_the_limit_is_read_whole(live_guarded):
    def chunks():
        yield b'{"question": '
        yield b'"   "}'

    response = httpx.post(f"{live_guarded}/api/ask/stream", content=chunks(), auth=LOGIN, timeout=60,
                          headers={"content-type": "application/json"})
    assert response.status_code == 400 and "empty" in response.json()["error"]


@pytest.fixture(scope="module")
def api(shared_settings, tmp_path_factory):
    settings = shared_settings.model_copy(update={"feedback_db": tmp_path_factory.mktemp("api") / "f.db"})
    return client_for(settings)


@pytest.mark.parametrize("history, message", [
    ([{"role": "user", "content": "Trainium?"}, {"role": "assistant", "content": "About $50-70K [1]."}] * 11,
     "22 turns; the limit is 20"),
    ([{"role": "user", "content": "x" * 4001}], "4001 characters long; the limit is 4000"),
])
@pytest.mark.embedder
def test_history_over_the_limits_gets_400(api, history, message):
    response = api.post("/api/ask", json={"question": QUESTION, "history": history})
    assert response.status_code == 400 and message in response.json()["error"]


@pytest.mark.parametrize("body", [
    b'{"question": "When did Amazon acquire Kiva?", "k": NaN}',
    b'{"question": "When did Amazon acquire Kiva?", "extra": Infinity}',
    b'{"question": "When did Amazon acquire Kiva?", "history": [], "k": 3, "x": [-Infinity]}',
    b'{"question": "When did Amazon acquire Kiva?", "x": {"y": 1e400}}',
    b'{"question": "When did Amazon acquire Kiva \\ud800?"}',
    b'{"question": "When did Amazon acquire Kiva?", "history": [{"role": "user", "content": "\\udfff"}]}',
    b'{"question": "When did Amazon acquire Kiva?", "x": 1' + b"0" * 5000 + b"}",
    b'{"question": "When did Amazon acquire Kiva?", "x": "\xff\xfe"}',
    b"[" * 20_000 + b"]" * 20_000,
])
@pytest.mark.embedder
def test_json_that_is_not_rfc_json_is_a_422_json_error(api, body):
    response = api.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"].startswith("The body is not valid JSON")


@pytest.mark.parametrize("body, field", [
    ({"question": QUESTION, "k": True}, "k"),
    ({"question": QUESTION, "k": 5.0}, "k"),
    ({"question": QUESTION, "k": "5"}, "k"),
    ({"question": 42}, "question"),
    ({"question": QUESTION, "history": [{"role": "system", "content": "x"}]}, "history.0.role"),
    ({"question": QUESTION, "history": [{"role": "user", "content": "x", "name": "y"}]}, "history.0.name"),
    ({}, "question: Field required"),
])
@pytest.mark.embedder
def test_wrong_types_are_a_422_with_a_readable_error(api, body, field):
    response = api.post("/api/ask", json=body)
    assert response.status_code == 422
    assert set(response.json()) == {"error"} and field in response.json()["error"]


@pytest.fixture(scope="module")
def chat(guarded_settings):
    with client_for(guarded_settings, with_ui=True) as client:
        yield client


@pytest.mark.parametrize("path, method, status", [
    ("/api/nowhere", "GET", 404), ("/api/ask", "GET", 405), ("/api/ask", "DELETE", 405),
])
@pytest.mark.embedder
def test_unknown_api_routes_are_json_errors_even_with_the_chat_mounted(chat, path, method, status):
    response = chat.request(method, path, auth=LOGIN)
    assert response.status_code == status and "error" in response.json()


@pytest.mark.parametrize("method, path", [
    ("GET", "/docs"), ("GET", "/redoc"), ("GET", "/openapi.json"), ("POST", "/api/ask"),
    ("GET", "/config"), ("GET", "/gradio_api/info"), ("GET", "/gradio_api/openapi.json"),
    ("GET", "/gradio_api/app_id"), ("GET", "/gradio_api/token"), ("GET", "/gradio_api/user"),
    ("GET", "/gradio_api/startup-events"), ("GET", "/gradio_api/runs"), ("POST", "/gradio_api/cancel"),
    ("POST", "/gradio_api/reset"), ("POST", "/gradio_api/queue/join"), ("POST", "/gradio_api/stream/e1"),
    ("GET", "/gradio_api/file=/etc/passwd"), ("GET", "/monitoring/key"), ("GET", "/anything/else"),
])
@pytest.mark.embedder
def test_with_a_login_nothing_else_is_reachable_without_credentials(chat, method, path):
    response = chat.request(method, path, json={})
    assert response.status_code == 401
    assert response.json() == {"error": "Login required."}


@pytest.mark.embedder
def test_without_credentials_the_login_page_shows_no_api_and_health_only_its_status(chat):
    import re

    page = chat.get("/")
    assert page.status_code == 200
    api_info = json.loads(re.search(r"gradio_api_info = (\{.*?\});", page.text).group(1))
    assert api_info == {"named_endpoints": {}, "unnamed_endpoints": {}}
    assert chat.get("/api/health").json() == {"status": "ok"}
    assert chat.get("/api/health", auth=LOGIN).json()["index"]["units"] > 100


@pytest.mark.embedder
def test_a_chat_session_opens_the_docs_but_not_the_api(guarded_settings):
    with client_for(guarded_settings, with_ui=True) as client:
        assert client.post("/login", data={"username": LOGIN[0], "password": LOGIN[1]}).status_code == 200
        assert client.get("/docs").status_code == 200 and client.get("/config").status_code == 200
        assert "/api/ask" in client.get("/openapi.json").json()["paths"]
        assert client.post("/api/ask", json={"question": ""}).status_code == 401
        assert client.post("/api/ask", json={"question": ""}, auth=LOGIN).status_code == 400


@pytest.mark.embedder
def test_a_logged_in_session_cannot_read_the_apps_files(guarded_settings, tmp_path, monkeypatch):
    import os
    import urllib.parse

    config = tmp_path / "amzn-qa.toml"
    config.write_text('openai_api_key = "sk-config-secret"\n')
    monkeypatch.setenv("AMZN_QA_CONFIG", str(config))
    monkeypatch.chdir(tmp_path)
    settings = guarded_settings.model_copy(update={"feedback_db": tmp_path / "feedback.sqlite3"})
    index_file = settings.index_dir / "chroma.sqlite3"
    document = settings.corpus_dir / "amzn-technical-analysis-2026-01-23.md"
    targets = [str(settings.feedback_db), "feedback.sqlite3", str(config), "amzn-qa.toml", str(index_file),
               os.path.relpath(index_file, tmp_path), "/etc/passwd", str(document)]
    targets += [urllib.parse.quote(target, safe="") for target in targets if target.startswith(("..", "/"))]
    targets.append("..%2F" * 12 + "etc%2Fpasswd")
    with client_for(settings, with_ui=True) as client:
        assert client.post("/login", data={"username": LOGIN[0], "password": LOGIN[1]}).status_code == 200
        for target in targets:
            for route in ("/gradio_api/file=", "/gradio_api/file/", "/file="):
                response = client.get(route + target)
                assert response.status_code in (403, 404), (route, target)
                assert b"SQLite format 3" not in response.content and b"sk-config-secret" not in response.content
                assert b"root:" not in response.content


@pytest.mark.parametrize("path", ["/gradio_api/queue/join", "/gradio_api/run/predict", "/gradio_api/call/predict",
                                  "/gradio_api/api/predict", "/gradio_api/component_server", "/login"])
@pytest.mark.embedder
def test_the_chats_gradio_routes_have_a_body_limit(chat, path):
    big = json.dumps({"data": ["x" * 1_100_000], "fn_index": 0, "session_hash": "s"}).encode()
    response = chat.post(path, content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "1048576 bytes" in response.json()["error"]
    long_conversation = json.dumps({"data": ["x" * 70_000], "fn_index": 0, "session_hash": "s"}).encode()
    assert chat.post(path, content=long_conversation, headers={"content-type": "application/json"}).status_code != 413
    small = chat.post(path, json={"data": ["Kiva?"], "fn_index": 0, "session_hash": "s"})
    assert small.status_code != 413


@pytest.mark.embedder
def test_the_chats_upload_takes_a_document_up_to_the_document_limit(guarded_settings):
    document = b"# Notes\n\n" + b"Widgets sell well in every region. " * 6000  # ~200 KB: over the JSON limit
    too_big = b"x" * (guarded_settings.max_document_bytes + guarded_settings.max_body_bytes)
    with client_for(guarded_settings, with_ui=True) as client:
        assert client.post("/login", data={"username": LOGIN[0], "password": LOGIN[1]}).status_code == 200
        response = client.post("/gradio_api/upload", files={"files": ("notes.md", document, "text/markdown")})
        assert response.status_code == 200 and len(response.json()) == 1
        response = client.post("/gradio_api/upload", files={"files": ("big.md", too_big, "text/markdown")})
        assert response.status_code == 413
