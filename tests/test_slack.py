"""The real Bolt app in HTTP mode, with the real chain and local model, receiving signed Events
API requests while its WebClient talks to a local stand-in for the Slack Web API."""

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token-never-logged"
BOT = "UBOT"


class SlackStandIn(ThreadingHTTPServer):
    """Speaks the Slack Web API methods the bot uses and records every call."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), self.Handler)
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


@pytest.fixture(scope="module")
def slack(shared_settings, tmp_path_factory):
    import uvicorn

    from amzn_qa.api import create_app

    stand_in = SlackStandIn()
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": f"http://127.0.0.1:{stand_in.server_address[1]}/api/"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        settings = shared_settings.model_copy(update={"feedback_db": tmp_path_factory.mktemp("fb") / "f.db"})
        app = create_app(settings, with_ui=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.1)
    yield type("Slack", (), {"url": f"http://127.0.0.1:{port}/slack/events", "api": stand_in})
    server.should_exit = True
    stand_in.shutdown()


def signed(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict:
    timestamp = timestamp or int(time.time())
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/json"}


def send_event(slack, event: dict, event_id: str, headers: dict | None = None, **sign) -> httpx.Response:
    body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
                       "event_time": int(time.time()), "event": event})
    return httpx.post(slack.url, content=body, headers={**signed(body, **sign), **(headers or {})}, timeout=30)


def test_mention_gets_a_threaded_answer_with_citations(slack):
    event = {"type": "app_mention", "user": "U1", "channel": "C1", "ts": "100.000001",
             "text": f"<@{BOT}> Roughly what does one Trainium 2 chip cost?"}
    response = send_event(slack, event, "Ev1")
    assert response.status_code == 200
    thinking = slack.api.wait_for("chat.postMessage", lambda p: p.get("thread_ts") == "100.000001")
    assert "thinking" in thinking[0]["text"]
    update = slack.api.wait_for("chat.update", lambda p: "$50-70K" in p.get("text", ""))[0]
    assert "• *[" in update["text"] and "Trainium (Training Silicon)" in update["text"]


def test_follow_up_in_the_thread_uses_its_history(slack):
    slack.api.threads["200.000001"] = [
        {"user": "U1", "ts": "200.000001", "text": f"<@{BOT}> How many developers adopted Curo in its first days?"},
        {"user": BOT, "bot_id": "BBOT", "ts": "200.000002", "text": "100K+ developers [1].\n• *[1]* Curo"},
        {"user": "U1", "ts": "200.000003", "text": "What does it compete with?"},
    ]
    event = {"type": "message", "channel_type": "channel", "user": "U1", "channel": "C1",
             "ts": "200.000003", "thread_ts": "200.000001", "text": "What does it compete with?"}
    assert send_event(slack, event, "Ev2").status_code == 200
    slack.api.wait_for("conversations.replies", lambda p: p.get("ts") == "200.000001")
    update = slack.api.wait_for("chat.update", lambda p: "Curo" in p.get("text", ""))
    assert update


def test_a_retry_is_not_answered_twice(slack):
    event = {"type": "app_mention", "user": "U2", "channel": "C1", "ts": "300.000001",
             "text": f"<@{BOT}> When did Amazon acquire Kiva?"}
    assert send_event(slack, event, "Ev3").status_code == 200
    retry = send_event(slack, event, "Ev3", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    slack.api.wait_for("chat.update", lambda p: "2012" in p.get("text", ""))
    time.sleep(1)
    posts = [p for m, p in slack.api.calls if m == "chat.postMessage" and p.get("thread_ts") == "300.000001"]
    assert len(posts) == 1


def test_bot_messages_are_ignored(slack):
    before = len(slack.api.calls)
    event = {"type": "message", "channel_type": "im", "bot_id": "BOTHER", "channel": "D1", "ts": "400.000001",
             "text": "How many robots?"}
    assert send_event(slack, event, "Ev4").status_code == 200
    time.sleep(2)
    assert slack.api.calls[before:] == []


@pytest.mark.parametrize("sign", [{"secret": "forged"}, {"timestamp": int(time.time()) - 301}])
def test_forged_or_stale_requests_get_401(slack, sign):
    event = {"type": "app_mention", "user": "U3", "channel": "C1", "ts": "500.000001", "text": f"<@{BOT}> hi"}
    assert send_event(slack, event, f"Ev5-{len(sign)}-{list(sign)[0]}", **sign).status_code == 401


def test_an_error_in_the_chain_becomes_a_polite_reply(slack, monkeypatch, caplog):
    from amzn_qa.chain import AnswerChain

    def explode(self, *args, **kwargs):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(AnswerChain, "ask", explode)
    caplog.set_level(logging.DEBUG)
    event = {"type": "app_mention", "user": "U4", "channel": "C1", "ts": "600.000001",
             "text": f"<@{BOT}> How many robots has Amazon deployed?"}
    assert send_event(slack, event, "Ev6").status_code == 200
    slack.api.wait_for("chat.update", lambda p: "something went wrong" in p.get("text", ""), timeout=30)
    assert TOKEN not in caplog.text


def test_slash_command_answers_ephemerally(slack):
    body = urllib.parse.urlencode({"command": "/amzn-qa", "text": "How many robots has Amazon deployed?",
                                   "user_id": "U5", "channel_id": "C1", "team_id": "T1",
                                   "response_url": "http://127.0.0.1:9/unused", "trigger_id": "1.2"})
    headers = {**signed(body), "Content-Type": "application/x-www-form-urlencoded"}
    response = httpx.post(slack.url, content=body, headers=headers, timeout=30)
    assert response.status_code == 200
    ephemeral = slack.api.wait_for("chat.postEphemeral", lambda p: p.get("user") == "U5")[0]
    assert "1M+" in ephemeral["text"] or "robots" in ephemeral["text"].lower()


def test_oversized_and_malformed_bodies_get_4xx(slack):
    big = json.dumps({"type": "event_callback", "event": {"text": "x" * 200_000}})
    assert httpx.post(slack.url, content=big, headers=signed(big), timeout=30).status_code == 413
    garbage = "{not json"
    response = httpx.post(slack.url, content=garbage, headers=signed(garbage), timeout=30)
    assert 400 <= response.status_code < 500
