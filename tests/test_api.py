"""The HTTP API over real HTTP against a running `amzn-qa serve` (real index and local model)."""

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

KEYS = {"question", "answer", "refused", "grounded", "citations", "timings", "model", "mode"}


def post(server, path, **kwargs):
    return httpx.post(f"{server.url}{path}", timeout=300, **kwargs)


def test_ask_returns_the_cli_json_shape(server):
    response = post(server, "/api/ask", json={"question": "How many robots has Amazon deployed?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == KEYS
    assert "1M+" in body["answer"] and body["citations"]


def test_history_makes_a_follow_up_answerable(server):
    history = [
        {"role": "user", "content": "How many developers adopted Curo in its first days?"},
        {"role": "assistant", "content": "100K+ developers [1]."},
    ]
    body = post(server, "/api/ask", json={"question": "What does it compete with?", "history": history}).json()
    assert any("Curo" in c["section"] for c in body["citations"])


def test_stream_sends_tokens_then_the_answer(server):
    with httpx.stream("POST", f"{server.url}/api/ask/stream", json={"question": "When did Amazon acquire Kiva?"},
                      timeout=300) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line.removeprefix("event: ") for line in response.iter_lines() if line.startswith("event: ")]
    assert events.count("token") >= 1 and events[-1] == "answer"


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
def test_bad_input_gets_a_4xx_with_a_message(server, payload, status, message):
    response = post(server, "/api/ask", json=payload)
    assert response.status_code == status
    assert message in json.dumps(response.json())


def test_malformed_json_and_oversized_bodies_are_rejected(server):
    assert post(server, "/api/ask", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
    big = json.dumps({"question": "x" * 200_000}).encode()
    assert post(server, "/api/ask", content=big, headers={"content-type": "application/json"}).status_code == 413


def test_health_and_openapi(server):
    health = httpx.get(f"{server.url}/api/health", timeout=60).json()
    assert health["status"] == "ok" and health["index"]["units"] > 100
    assert "zeta-notes.md" in health["index"]["documents"]
    schema = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
    assert {"/api/ask", "/api/ask/stream", "/api/health"} <= set(schema["paths"])


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


def test_login_when_configured(shared_settings, tmp_path):
    from fastapi.testclient import TestClient

    from amzn_qa.api import create_app

    settings = shared_settings.model_copy(update={
        "auth_username": "analyst", "auth_password": "s3cret", "feedback_db": tmp_path / "f.db"})
    client = TestClient(create_app(settings, with_ui=False))
    assert client.post("/api/ask", json={"question": "Kiva?"}).status_code == 401
    assert client.post("/api/ask", json={"question": "Kiva?"}, auth=("analyst", "wrong")).status_code == 401
    assert client.post("/api/ask", json={"question": ""}, auth=("analyst", "s3cret")).status_code == 400
