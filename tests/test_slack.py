"""The real Bolt app in HTTP mode, with the real chain and local model, receiving signed Events
API requests while its WebClient talks to a local stand-in for the Slack Web API."""

import hashlib
import hmac
import contextlib
import json
import logging
import shutil
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from .conftest import CORPUS, ingested, write

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token-never-logged"
BOT = "UBOT"
RATE_LIMIT = 3
# A corpus document whose name, heading and text carry Slack markup: a broadcast and a disguised link.
HOSTILE_SOURCE = "zeta-<!channel>.md"
HOSTILE_DOC = """# Zeta Corp (ZETA) – Notes

## Update <!here> <http://evil.example/login|Amazon SSO>

Zeta Corp sells 12,000 widgets a month from its Lisbon warehouse & <!channel> depot.
"""
SLACK_MARKUP = ("<!here>", "<!channel>", "<http", "|Amazon SSO>")


class SlackStandIn(ThreadingHTTPServer):
    """Speaks the Slack Web API methods the bot uses and records every call."""

    def __init__(self, port: int = 0):
        super().__init__(("127.0.0.1", port), self.Handler)
        self.calls: list[tuple[str, dict]] = []
        self.threads: dict[str, list[dict]] = {}
        self._ts = 1000

    def next_ts(self) -> str:
        self._ts += 1
        return f"{self._ts}.000100"

    def wait_for(self, method, predicate=lambda p: True, timeout=240):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [p for m, p in list(self.calls) if m == method and predicate(p)]
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no {method} call; calls: {[m for m, _ in self.calls]}")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            if self.headers.get("content-type", "").startswith("application/json"):
                params = json.loads(raw or "{}")
            else:
                params = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
            method = self.path.rsplit("/", 1)[-1]
            server: SlackStandIn = self.server
            server.calls.append((method, params))
            reply = {"ok": True}
            if method == "auth.test":
                reply.update(user_id=BOT, bot_id="BBOT", team_id="T1", user="amzn-qa")
            elif method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
                reply.update(ts=params.get("ts") or server.next_ts(), channel=params.get("channel"))
            elif method == "conversations.replies":
                reply["messages"] = server.threads.get(params.get("ts"), [])
            body = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(app):
    """The FastAPI app served by uvicorn on a free loopback port; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True


def slack_app(settings, monkeypatch, api_url: str):
    from amzn_qa.frontends.api import create_app

    for key, value in {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url}.items():
        monkeypatch.setenv(key, value)
    return create_app(settings, with_ui=False)


@pytest.fixture(scope="module")
def slack_settings(shared_settings, tmp_path_factory):
    """The analysis plus a document carrying Slack markup, with its own index and feedback database."""
    root = tmp_path_factory.mktemp("slack")
    shutil.copytree(CORPUS, root / "corpus")
    write(root / "corpus" / HOSTILE_SOURCE, HOSTILE_DOC)
    return ingested(shared_settings.model_copy(update={
        "corpus_dir": root / "corpus", "index_dir": root / "index", "feedback_db": root / "feedback.sqlite3",
        "slack_rate_limit": RATE_LIMIT}))


@pytest.fixture(scope="module")
def slack(slack_settings):
    stand_in = SlackStandIn()
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    with pytest.MonkeyPatch.context() as mp:
        app = slack_app(slack_settings, mp, f"http://127.0.0.1:{stand_in.server_address[1]}/api/")
    with running(app) as url:
        yield type("Slack", (), {"url": f"{url}/slack/events", "api": stand_in})
    stand_in.shutdown()


def signed(body: str, timestamp: int | str | None = None, secret: str = SECRET) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/json"}


def send_event(url: str, event: dict, event_id: str, headers: dict | None = None, **sign) -> httpx.Response:
    body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
                       "event_time": int(time.time()), "event": event})
    return httpx.post(url, content=body, headers={**signed(body, **sign), **(headers or {})}, timeout=30)


def command(user: str, text: str) -> tuple[str, dict]:
    """A signed `/amzn-qa` slash command: its body and headers (each with its own trigger_id, as
    from Slack, so two commands sent in the same second are not taken for a replay)."""
    body = urllib.parse.urlencode({"command": "/amzn-qa", "text": text, "user_id": user, "channel_id": "C1",
                                   "team_id": "T1", "response_url": "http://127.0.0.1:9/unused",
                                   "trigger_id": str(time.time_ns())})
    return body, {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}


def ephemerals_to(slack, user: str) -> list[dict]:
    return [p for m, p in slack.api.calls if m == "chat.postEphemeral" and p.get("user") == user]


@pytest.mark.llm
def test_mention_gets_a_threaded_answer_with_citations(slack):
    event = {"type": "app_mention", "user": "U1", "channel": "C1", "ts": "100.000001",
             "text": f"<@{BOT}> Roughly what does one Trainium 2 chip cost?"}
    response = send_event(slack.url, event, "Ev1")
    assert response.status_code == 200
    thinking = slack.api.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == "100.000001")
    assert "thinking" in thinking[0]["text"]
    update = slack.api.wait_for("chat.update", lambda p: "$50-70K" in p.get("text", ""))[0]
    assert "• *[" in update["text"] and "Trainium (Training Silicon)" in update["text"]


@pytest.mark.llm
def test_follow_up_in_the_thread_uses_its_history(slack):
    slack.api.threads["200.000001"] = [
        {"user": "U1", "ts": "200.000001", "text": f"<@{BOT}> How many developers adopted Curo in its first days?"},
        {"user": BOT, "bot_id": "BBOT", "ts": "200.000002", "text": "100K+ developers [1].\n• *[1]* Curo"},
        {"user": "U1", "ts": "200.000003", "text": "What does it compete with?"},
    ]
    event = {"type": "message", "channel_type": "channel", "user": "U1", "channel": "C1",
             "ts": "200.000003", "thread_ts": "200.000001", "text": "What does it compete with?"}
    assert send_event(slack.url, event, "Ev2").status_code == 200
    slack.api.wait_for("conversations.replies", lambda p: p.get("ts") == "200.000001")
    update = slack.api.wait_for("chat.update", lambda p: "Curo" in p.get("text", ""))[0]
    assert "GitHub Copilot" in update["text"]  # "it" is Curo, from the thread


@pytest.mark.llm
def test_a_retry_is_not_answered_twice(slack):
    event = {"type": "app_mention", "user": "U2", "channel": "C1", "ts": "300.000001",
             "text": f"<@{BOT}> When did Amazon acquire Kiva?"}
    assert send_event(slack.url, event, "Ev3").status_code == 200
    retry = send_event(slack.url, event, "Ev3", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    slack.api.wait_for("chat.update", lambda p: "2012" in p.get("text", ""))
    time.sleep(1)
    posts = [p for m, p in slack.api.calls if m == "chat.postMessage" and p.get("thread_ts") == "300.000001"]
    assert len(posts) == 1


@pytest.mark.embedder
def test_bot_messages_are_ignored(slack):
    before = len(slack.api.calls)
    event = {"type": "message", "channel_type": "im", "bot_id": "BOTHER", "channel": "D1", "ts": "400.000001",
             "text": "How many robots?"}
    assert send_event(slack.url, event, "Ev4").status_code == 200
    time.sleep(2)
    assert slack.api.calls[before:] == []


@pytest.mark.parametrize("sign", [{"secret": "forged"}, {"timestamp": int(time.time()) - 301}])
@pytest.mark.embedder
def test_forged_or_stale_requests_get_401(slack, sign):
    event = {"type": "app_mention", "user": "U3", "channel": "C1", "ts": "500.000001", "text": f"<@{BOT}> hi"}
    assert send_event(slack.url, event, f"Ev5-{len(sign)}-{list(sign)[0]}", **sign).status_code == 401


@pytest.mark.embedder
def test_an_error_in_the_chain_becomes_a_polite_reply(slack, monkeypatch, caplog):
    from amzn_qa.answer.chain import AnswerChain

    def explode(self, *args, **kwargs):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(AnswerChain, "ask", explode)
    caplog.set_level(logging.DEBUG)
    event = {"type": "app_mention", "user": "U4", "channel": "C1", "ts": "600.000001",
             "text": f"<@{BOT}> How many robots has Amazon deployed?"}
    assert send_event(slack.url, event, "Ev6").status_code == 200
    slack.api.wait_for("chat.update", lambda p: "something went wrong" in p.get("text", ""), timeout=30)
    assert TOKEN not in caplog.text


@pytest.mark.llm
def test_slash_command_answers_ephemerally(slack):
    body, headers = command("U5", "How many robots has Amazon deployed?")
    response = httpx.post(slack.url, content=body, headers=headers, timeout=30)
    assert response.status_code == 200
    ephemeral = slack.api.wait_for("chat.postEphemeral", lambda p: p.get("user") == "U5")[0]
    assert "1M+" in ephemeral["text"]  # the number of robots, from the document


@pytest.mark.embedder
def test_oversized_and_malformed_bodies_get_4xx(slack):
    big = json.dumps({"type": "event_callback", "event": {"text": "x" * 200_000}})
    assert httpx.post(slack.url, content=big, headers=signed(big), timeout=30).status_code == 413
    garbage = "{not json"
    response = httpx.post(slack.url, content=garbage, headers=signed(garbage), timeout=30)
    assert 400 <= response.status_code < 500


@pytest.mark.llm
def test_document_markup_reaches_slack_escaped(slack):
    question = "How many widgets does Zeta Corp sell a month?"
    event = {"type": "app_mention", "user": "U6", "channel": "C1", "ts": "700.000001", "text": f"<@{BOT}> {question}"}
    assert send_event(slack.url, event, "Ev7").status_code == 200
    body, headers = command("U6", question)
    assert httpx.post(slack.url, content=body, headers=headers, timeout=30).status_code == 200
    answers = [slack.api.wait_for("chat.update", lambda p: "Zeta" in p.get("text", ""))[0],
               slack.api.wait_for("chat.postEphemeral", lambda p: p.get("user") == "U6")[0]]
    for answer in answers:
        assert "Update &lt;!here&gt; &lt;http://evil.example/login|Amazon SSO&gt;" in answer["text"]
        assert "zeta-&lt;!channel&gt;.md" in answer["text"]
    sent = [p.get("text", "") for m, p in slack.api.calls if m in ("chat.update", "chat.postMessage", "chat.postEphemeral")]
    assert not [text for text in sent if any(markup in text for markup in SLACK_MARKUP)]


@pytest.mark.embedder
def test_slash_commands_are_rate_limited_per_user(slack):
    for _ in range(RATE_LIMIT + 1):
        body, headers = command("U7", "Who is the CEO of Amazon?")
        assert httpx.post(slack.url, content=body, headers=headers, timeout=30).status_code == 200
    slack.api.wait_for("chat.postEphemeral", lambda p: p.get("user") == "U7" and "faster" in p["text"])
    deadline = time.time() + 120
    while len(ephemerals_to(slack, "U7")) < RATE_LIMIT + 1 and time.time() < deadline:
        time.sleep(0.2)
    texts = [p["text"] for p in ephemerals_to(slack, "U7")]
    assert len(texts) == RATE_LIMIT + 1 and sum("faster" in text for text in texts) == 1


@pytest.mark.parametrize("timestamp", ["abc", "", "1" + "0" * 400, "9" * 5000])
@pytest.mark.embedder
def test_a_malformed_timestamp_gets_401(slack, timestamp):
    body, _ = command("U8", "How many robots has Amazon deployed?")
    headers = {**signed(body, timestamp=timestamp), "Content-Type": "application/x-www-form-urlencoded"}
    assert httpx.post(slack.url, content=body, headers=headers, timeout=30).status_code == 401


@pytest.mark.embedder
def test_a_replayed_slash_command_is_answered_once(slack):
    body, headers = command("U9", "Who is the CEO of Amazon?")
    first = httpx.post(slack.url, content=body, headers=headers, timeout=30)
    replay = httpx.post(slack.url, content=body, headers=headers, timeout=30)
    assert (first.status_code, replay.status_code) == (200, 200)
    slack.api.wait_for("chat.postEphemeral", lambda p: p.get("user") == "U9")
    time.sleep(2)
    assert len(ephemerals_to(slack, "U9")) == 1


def test_remembered_signatures_are_bounded_and_expire():
    from amzn_qa.frontends.slack_bot import SeenKeys

    seen = SeenKeys(size=2, ttl=0.5)
    assert [seen.first_time(key) for key in ("a", "a", "b", "c")] == [True, False, True, True]
    assert seen.first_time("a"), "the oldest key is forgotten when the memory is full"
    assert not seen.first_time("c")
    time.sleep(0.6)
    assert seen.first_time("c"), "a key is forgotten once its window has passed"


@pytest.mark.embedder
def test_serve_starts_while_slack_is_unreachable_and_connects_later(slack_settings, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    port = free_port()  # nothing listens here yet
    app = slack_app(slack_settings, monkeypatch, f"http://127.0.0.1:{port}/api/")
    assert any(r.levelno == logging.WARNING and "Web API did not confirm" in r.getMessage() for r in caplog.records)
    # A reply in a thread the bot took part in: answering it needs the bot's user id from auth.test.
    event = {"type": "message", "channel_type": "channel", "user": "U10", "channel": "C1",
             "ts": "800.000003", "thread_ts": "800.000001", "text": "Who is the CEO of Amazon?"}
    with running(app) as url:
        health = httpx.get(f"{url}/api/health", timeout=60)
        assert health.status_code == 200 and health.json()["index"]["ok"]
        assert send_event(f"{url}/slack/events", event, "Ev8").status_code == 200  # declined, no 5xx
        stand_in = SlackStandIn(port)  # Slack is back
        stand_in.threads["800.000001"] = [{"user": "U10", "ts": "800.000001", "text": f"<@{BOT}> Who is Zeta?"},
                                          {"user": BOT, "bot_id": "BBOT", "ts": "800.000002", "text": "Zeta Corp [1]."}]
        threading.Thread(target=stand_in.serve_forever, daemon=True).start()
        assert send_event(f"{url}/slack/events", event, "Ev9").status_code == 200
        stand_in.wait_for("chat.update", lambda p: "thinking" not in p.get("text", ""), timeout=120)
    stand_in.shutdown()
    assert [m for m, _ in stand_in.calls].count("auth.test") == 1
    assert TOKEN not in caplog.text


def test_points_are_rendered_as_a_slack_list_with_their_sources():
    from amzn_qa.answer.chain import Answer, Citation
    from amzn_qa.frontends.slack_bot import to_mrkdwn

    citations = [Citation(n, f"id{n}", "doc.md", f"Area > Topic {n}", n, n, f"point {n}") for n in (1, 2)]
    answer = Answer("q", "- first point [1]\n- second <point> [2]", False, True, citations, {}, "m", mode="quote")
    text = to_mrkdwn(answer)
    assert text.startswith("• first point [1]\n• second &lt;point&gt; [2]\n")
    assert "• *[1]* Area &gt; Topic 1 (doc.md, lines 1–1)" in text and "“point 1”" not in text

    grouped = Answer("q", "- Chips:\n  - Price: $9K [1]\n  - Power: 9W [2]", False, True, citations, {}, "m", mode="quote")
    assert to_mrkdwn(grouped).startswith("• Chips:\n    ◦ Price: $9K [1]\n    ◦ Power: 9W [2]\n")


def test_citations_name_the_document_by_its_title_ticker_and_date_escaped():
    from amzn_qa.answer.chain import Answer, Citation
    from amzn_qa.frontends.slack_bot import to_mrkdwn

    cited = Citation(1, "id1", "r-2026-04-15.md", "Chips", 3, 3, "$9K", "<!here> Zeta & Co", "2026-04-15", "ZETA")
    text = to_mrkdwn(Answer("q", "$9K [1]", False, True, [cited], {}, "m"))
    assert "• *[1]* Chips (&lt;!here&gt; Zeta &amp; Co, ZETA, 2026-04-15 · r-2026-04-15.md, lines 3–3)" in text
