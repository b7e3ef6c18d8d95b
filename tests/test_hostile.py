"""Hostile request bodies (hypothesis) against the real app: /api/ask, /api/ask/stream and
/slack/events. No response may be a 5xx; a malformed question is refused (4xx) before the
chain, so the model never sees one; the server still answers a normal question afterwards.
"""

import hashlib
import hmac
import json
import socket
import time
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SECRET = "hostile-test-signing-secret"
QUESTION = "When did Amazon acquire Kiva?"
ROLES = ("user", "assistant")
ASK_PATHS = st.sampled_from(["/api/ask", "/api/ask/stream"])
HOSTILE = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=40))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=4), max_leaves=12)
CONTENT_TYPES = st.sampled_from([None, "application/json", "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=xyz", "application/xml", "application/octet-stream",
                                 "application/json; charset=utf-16", "text/html; charset=utf-8"])
# Not JSON to the API: everything but application/json and application/*+json.
WRONG_CONTENT_TYPES = st.sampled_from([None, "text/plain", "application/x-www-form-urlencoded", "application/xml",
                                       "multipart/form-data; boundary=xyz", "application/octet-stream", "text/json"])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dumps(value) -> bytes:
    return json.dumps(value).encode()


# --- malformed bodies: (content, content-type) pairs, none of them a valid question ---

def _wrong_question():
    not_text = VALUES.filter(lambda v: not isinstance(v, str))
    blank_or_long = st.one_of(st.text(" \t\n\r", max_size=20), st.text(min_size=501, max_size=3000))
    return st.one_of(not_text, blank_or_long).map(lambda q: {"question": q})


def _wrong_k():
    out_of_range = st.integers().filter(lambda n: not 1 <= n <= 20)
    wrong = st.one_of(st.booleans(), st.floats(), st.text(max_size=10), out_of_range, st.lists(SCALARS, max_size=3),
                      st.dictionaries(st.text(max_size=5), SCALARS, max_size=3))
    return wrong.map(lambda k: {"question": QUESTION, "k": k})


def _wrong_history():
    turn = st.fixed_dictionaries({"role": st.sampled_from(ROLES), "content": st.text(max_size=60)})
    bad_turn = st.one_of(
        VALUES.filter(lambda v: not isinstance(v, dict)),
        st.fixed_dictionaries({"role": st.text(max_size=12).filter(lambda r: r not in ROLES), "content": st.text()}),
        st.fixed_dictionaries({"role": st.sampled_from(ROLES),
                               "content": VALUES.filter(lambda v: not isinstance(v, str))}),
        st.fixed_dictionaries({"role": st.sampled_from(ROLES)}),
        st.fixed_dictionaries({"role": st.sampled_from(ROLES), "content": st.text(), "name": VALUES}),
        st.fixed_dictionaries({"role": st.sampled_from(ROLES), "content": st.text(min_size=4001, max_size=5000)}),
    )
    history = st.one_of(
        VALUES.filter(lambda v: not isinstance(v, list)),
        st.tuples(st.lists(turn, max_size=3), bad_turn, st.lists(turn, max_size=3)).map(lambda t: t[0] + [t[1]] + t[2]),
        st.lists(turn, min_size=21, max_size=40),
    )
    return history.map(lambda h: {"question": QUESTION, "history": h})


def _json_with(literal: bytes) -> st.SearchStrategy[bytes]:
    """A valid question with `literal` (not RFC JSON) put in some field or an extra key."""
    return st.sampled_from([
        b'{"question": "%s", "k": %s}', b'{"question": "%s", "extra": [%s]}', b'{"question": "%s", "x": {"y": %s}}',
        b'{"question": "%s", "history": [{"role": "user", "content": %s}]}',
    ]).map(lambda template: template % (QUESTION.encode(), literal))


NON_FINITE = st.one_of(
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400", b"1" + b"0" * 5000]),
    st.integers(min_value=309, max_value=100_000).map(lambda e: b"9.9e%d" % e),
).flatmap(_json_with)
SURROGATES = st.integers(0xD800, 0xDFFF).flatmap(lambda s: st.sampled_from([
    b'{"question": "Kiva \\u%04x?"}' % s,
    b'{"question": "%s", "history": [{"role": "user", "content": "\\u%04x"}]}' % (QUESTION.encode(), s),
]))
NESTED = st.integers(50, 30_000).flatmap(lambda depth: st.sampled_from([
    b"[" * depth + b"]" * depth,
    b'{"question": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}",
    b'{"question": "%s", "history": ' % QUESTION.encode() + b"[" * depth + b"]" * depth + b"}",
]))
GIANT = st.one_of(  # over the question limit (500), the turn limit (4000) or the body limit (64 KiB)
    st.integers(501, 200_000).map(lambda n: dumps({"question": "x" * n})),
    st.integers(4001, 200_000).map(lambda n: dumps({"question": QUESTION, "history": [{"role": "user",
                                                                                        "content": "y" * n}]})),
)
EMPTY = st.sampled_from([b"", b" ", b"\n", b"{}", b"[]", b"null", b'""', b"0", b"true", b"{", b'{"question"'])
JSON_BODIES = st.one_of(_wrong_question(), _wrong_k(), _wrong_history()).map(dumps)
MALFORMED = st.one_of(
    st.tuples(st.binary(max_size=3000), CONTENT_TYPES),
    st.tuples(st.sampled_from([dumps({"question": QUESTION}), dumps({"question": QUESTION, "k": 3})]),
              WRONG_CONTENT_TYPES),
    st.tuples(st.one_of(JSON_BODIES, NON_FINITE, SURROGATES, NESTED, GIANT, EMPTY), st.just("application/json")),
)


# --- the app under test ---

@pytest.fixture(scope="module")
def app(shared_settings, tmp_path_factory):
    """The real app (no chat UI), with the Slack endpoint when the Slack app can start while Slack
    is unreachable (its Web API URL is a closed loopback port: nothing leaves this machine)."""
    from fastapi.testclient import TestClient

    from amzn_qa.frontends.api import create_app

    settings = shared_settings.model_copy(update={"feedback_db": tmp_path_factory.mktemp("hostile") / "f.db"})
    slack_error = None
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SLACK_API_URL", f"http://127.0.0.1:{closed_port()}/")
        env.setenv("SLACK_BOT_TOKEN", "xoxb-hostile-test")
        env.setenv("SLACK_SIGNING_SECRET", SECRET)
        try:
            app = create_app(settings, with_ui=False)
        except OSError as err:  # the Slack app checks its token with Slack as it starts
            slack_error = err
            env.delenv("SLACK_BOT_TOKEN")
            app = create_app(settings, with_ui=False)
    return SimpleNamespace(client=TestClient(app, raise_server_exceptions=False), slack_error=slack_error)


@pytest.fixture
def api(app):
    return app.client


@pytest.fixture
def slack(app):
    if app.slack_error is not None:
        pytest.skip(f"the Slack app cannot start while Slack is unreachable in this build: {app.slack_error}")
    return app.client


def post(client, path: str, content: bytes, content_type: str | None, headers: dict | None = None):
    headers = {**({"content-type": content_type} if content_type else {}), **(headers or {})}
    return client.post(path, content=content, headers=headers)


@settings(max_examples=120, deadline=None, suppress_health_check=HOSTILE)
@given(body=MALFORMED, path=ASK_PATHS)
@pytest.mark.embedder
def test_malformed_questions_are_refused_with_a_json_4xx(api, body, path):
    response = post(api, path, *body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert isinstance(response.json()["error"], str)


def slack_signature(content: bytes, secret: str, age_s: int = 0) -> dict:
    timestamp = str(int(time.time()) - age_s)
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + content, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": timestamp, "x-slack-signature": f"v0={digest}"}


# What a sender without the signing secret can send: no signature, a forged one, or a replayed
# (stale) one. Bolt parses the body before it checks the signature.
SIGNATURES = st.sampled_from([
    lambda content: {},
    lambda content: slack_signature(content, "not-the-secret"),
    lambda content: slack_signature(content, SECRET, age_s=600),
])
SLACK_SHAPED = st.one_of(
    VALUES.map(lambda event: dumps({"type": "event_callback", "event_id": "Ev1", "event": event})),
    VALUES.map(lambda payload: b"payload=" + dumps(payload)),
    st.text(max_size=200).map(lambda text: b"payload=" + text.encode()),
    st.dictionaries(st.sampled_from(["command", "text", "ssl_check", "token", "payload"]), st.text(max_size=30)).map(
        lambda form: "&".join(f"{k}={v}" for k, v in form.items()).encode()),
    VALUES.map(lambda value: dumps({"type": "url_verification", "challenge": value})),
)


@settings(max_examples=100, deadline=None, suppress_health_check=HOSTILE)
@given(body=st.one_of(MALFORMED, st.tuples(SLACK_SHAPED, CONTENT_TYPES)), signature=SIGNATURES)
@pytest.mark.embedder
def test_slack_events_never_answer_malformed_bodies_with_a_5xx(slack, body, signature):
    content, content_type = body
    response = post(slack, "/slack/events", content, content_type, signature(content))
    assert response.status_code < 500, (response.status_code, response.text[:300])


@pytest.mark.llm
def test_the_server_still_answers_a_normal_question(api):
    response = api.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 200 and "2012" in response.json()["answer"]
    with api.stream("POST", "/api/ask/stream", json={"question": QUESTION}) as stream:
        events = [line for line in stream.iter_lines() if line.startswith("event: ")]
    assert events[-1] == "event: answer"
