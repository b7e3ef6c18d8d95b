"""The OpenAI-compatible API (/v1) through the official openai client, against a running
`amzn-qa serve` (real index and local model)."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

KIVA = "When did Amazon acquire Kiva?"


def client(url: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, timeout=300, max_retries=0)


@pytest.mark.embedder
def test_models_lists_the_one_model(server):
    assert [model.id for model in client(server.url).models.list()] == ["amzn-qa"]


@pytest.mark.llm
def test_completion_carries_markers_sources_and_citations(server):
    completion = client(server.url).chat.completions.create(
        model="amzn-qa", messages=[{"role": "system", "content": "Answer in French."},
                                   {"role": "user", "content": KIVA}],
        temperature=0.7, max_tokens=5)
    text = completion.choices[0].message.content
    citations = completion.model_extra["citations"]
    assert "2012" in text and "[1]" in text
    assert citations and {"n", "chunk_id", "source", "section", "start_line", "end_line", "quote"} <= set(citations[0])
    first = citations[0]
    assert f"[1] {first['section']} (" in text and f"{first['source']}, lines {first['start_line']}–{first['end_line']})" in text
    assert completion.choices[0].finish_reason == "stop"


@pytest.mark.llm
def test_stream_sends_chunks_with_citations_on_the_last(server):
    stream = client(server.url).chat.completions.create(
        model="amzn-qa", messages=[{"role": "user", "content": KIVA}], stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert "2012" in text and "Sources:" in text
    assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_extra["citations"]


@pytest.mark.llm
def test_earlier_turns_are_the_history(server):
    completion = client(server.url).chat.completions.create(model="amzn-qa", messages=[
        {"role": "user", "content": "How many developers adopted Curo in its first days?"},
        {"role": "assistant", "content": "100K+ developers [1].\n\nSources:\n[1] doc.md, Curo, lines 1-2"},
        {"role": "user", "content": "What does it compete with?"},
    ])
    assert "GitHub Copilot" in completion.choices[0].message.content  # "it" is Curo, from the earlier turns
    assert any("Curo" in c["section"] for c in completion.model_extra["citations"])


@pytest.mark.parametrize("extra, message", [
    ({"n": 2}, "n=1"),
    ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}, "tools"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/a.png"}}]}]},
     "image_url"),
    ({"messages": [{"role": "user", "content": ""}]}, "empty"),
    ({"messages": [{"role": "user", "content": "Kiva?"}, {"role": "assistant", "content": "2012"}]}, "last message"),
])
@pytest.mark.embedder
def test_unsupported_requests_get_400_in_openai_error_shape(server, extra, message):
    request = {"model": "amzn-qa", "messages": [{"role": "user", "content": KIVA}], **extra}
    with pytest.raises(openai.BadRequestError) as raised:
        client(server.url).chat.completions.create(**request)
    error = raised.value.response.json()["error"]
    assert message in error["message"] and error["type"] == "invalid_request_error" and error["code"]


@pytest.mark.embedder
def test_malformed_body_gets_400_in_openai_error_shape(server):
    response = httpx.post(f"{server.url}/v1/chat/completions", content=b"{nope",
                          headers={"content-type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]["message"]


@pytest.mark.llm
def test_eight_concurrent_streams_are_all_answered(server):
    def ask(_) -> str:
        stream = client(server.url).chat.completions.create(
            model="amzn-qa", messages=[{"role": "user", "content": KIVA}], stream=True)
        return "".join(c.choices[0].delta.content or "" for c in stream)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    assert all("2012" in answer for answer in answers)


@pytest.mark.embedder
def test_configured_keys_are_required(keyed_server):
    without = httpx.get(f"{keyed_server}/v1/models")
    assert without.status_code == 401 and without.json()["error"]["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError) as raised:
        client(keyed_server, "key-3").models.list()
    assert raised.value.response.json()["error"]["code"] == "invalid_api_key"
    assert httpx.post(f"{keyed_server}/mcp", json={}).status_code == 401
    assert [model.id for model in client(keyed_server, "key-2").models.list()] == ["amzn-qa"]


@pytest.mark.embedder
def test_with_a_login_v1_takes_a_key_or_basic_but_not_the_chat_session(shared_settings):
    from fastapi.testclient import TestClient

    from amzn_qa.frontends.api import create_app

    settings = shared_settings.model_copy(update={"auth_username": "analyst", "auth_password": "s3cret",
                                                  "api_keys": ["key-1"]})
    with TestClient(create_app(settings, with_ui=True)) as app:
        assert app.get("/v1/models").status_code == 401
        assert app.get("/v1/models", auth=("analyst", "wrong")).status_code == 401
        assert app.get("/v1/models", auth=("analyst", "s3cret")).status_code == 200
        assert app.get("/v1/models", headers={"Authorization": "Bearer key-1"}).status_code == 200
        assert app.post("/api/ask", json={"question": ""}, headers={"Authorization": "Bearer key-1"}).status_code == 401
        assert app.post("/login", data={"username": "analyst", "password": "s3cret"}).status_code == 200
        assert app.get("/v1/models").status_code == 401  # the chat's session cookie is not a key
