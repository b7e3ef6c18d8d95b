"""`amzn-qa slack`: a slack-bolt app that answers in threads, with citations.

HTTP mode (Events API at /slack/events, requests verified with SLACK_SIGNING_SECRET) runs alone
or inside `amzn-qa serve`; Socket Mode (SLACK_APP_TOKEN) needs no public URL. Slack wants an
acknowledgement within 3 seconds, so listeners ack at once and answer in Bolt lazy listeners:
post "thinking…" in the thread, then update it with the answer.

Hardening: document text is escaped for mrkdwn (a heading cannot broadcast or disguise a link), a
malformed timestamp fails verification, a replayed signed request is acknowledged but not answered
again, and Slack being unreachable at start-up delays the bot without stopping the server.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict, deque

from fastapi import Request
from fastapi.responses import JSONResponse
from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.middleware.request_verification import RequestVerification
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from amzn_qa.answer.chain import Answer, AnswerChain, QuestionError
from amzn_qa.config import ConfigError

log = logging.getLogger(__name__)
SLACK_TEXT_LIMIT = 3000  # a section block's text; longer answers continue in more replies
CITATION_LINE = "• *["  # how each line of the citation list starts
THINKING = ":hourglass_flowing_sand: thinking…"
SLOW_DOWN = "You are asking faster than I can answer; please wait a minute."
_MENTION = re.compile(r"<@[A-Z0-9]+>\s*")
# Slack sends seconds since the epoch; anything else would make Bolt's int() raise (a 500).
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# Slack accepts a timestamp up to 5 minutes either side of now, so a signature can be replayed for
# up to 10 minutes after it was first seen.
REPLAY_WINDOW_S = 600.0


class RateLimiter:
    """At most `limit` questions per user in any `window` seconds."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, user: str) -> bool:
        now = time.monotonic()
        with self._lock:
            times = self._seen.setdefault(user, deque())
            while times and now - times[0] > self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True


class SeenKeys:
    """Keys taken in the last `ttl` seconds, at most `size` of them (the oldest forgotten first),
    so a redelivered event or a replayed request is not answered twice."""

    def __init__(self, size: int = 1000, ttl: float = math.inf) -> None:
        self._taken: OrderedDict[str, float] = OrderedDict()
        self._size, self._ttl = size, ttl
        self._lock = threading.Lock()

    def first_time(self, key: str | None) -> bool:
        if not key:
            return True
        now = time.monotonic()
        with self._lock:
            while self._taken and now - next(iter(self._taken.values())) > self._ttl:
                self._taken.popitem(last=False)
            if key in self._taken:
                return False
            self._taken[key] = now
            if len(self._taken) > self._size:
                self._taken.popitem(last=False)
            return True


class VerifiedOnce(RequestVerification):
    """Bolt's signature check, made strict: a malformed timestamp fails it like a bad signature, and
    a validly signed request seen before in the replay window is acknowledged, not answered again."""

    def __init__(self, signing_secret: str, base_logger: logging.Logger | None = None) -> None:
        super().__init__(signing_secret, base_logger=base_logger)
        self._signatures = SeenKeys(size=10_000, ttl=REPLAY_WINDOW_S)

    def process(self, *, req, resp, next):
        if self._can_skip(req.mode, req.body):
            return next()
        if not _TIMESTAMP.fullmatch(req.headers.get("x-slack-request-timestamp", [""])[0]):
            return self._build_error_response()
        signature = req.headers.get("x-slack-signature", [""])[0]

        def unless_replayed() -> BoltResponse:  # runs only once the signature is found valid
            return next() if self._signatures.first_time(signature) else _ack_only()

        return super().process(req=req, resp=resp, next=unless_replayed)


class BotIdentity(Authorize):
    """The bot's own identity from auth.test, which Bolt needs for every request (mentions and
    threads need the bot's user id). Asked for at start-up and, until Slack has answered, again
    on each Slack request: an unreachable Slack must not stop the web chat and API from starting."""

    def __init__(self, token: str, api_url: str) -> None:
        # auth.test takes a fraction of a second; a Slack that does not answer must not hold up
        # start-up, nor a request past Slack's 3-second acknowledgement deadline for long.
        self._client = WebClient(token=token, base_url=api_url, timeout=3)
        self._result: AuthorizeResult | None = None
        self._lock = threading.Lock()
        self()

    def __call__(self, **request_ids) -> AuthorizeResult | None:
        # Bolt passes the request's team and user ids; one bot token serves one workspace.
        with self._lock:
            if self._result is None:
                try:
                    self._result = AuthorizeResult.from_auth_test_response(
                        bot_token=self._client.token, auth_test_response=self._client.auth_test())
                except (SlackClientError, OSError) as err:
                    log.warning("Slack's Web API did not confirm the bot token (%s); Slack requests are "
                                "declined until it does, the web chat and API work meanwhile", err)
            return self._result


def mrkdwn_escaped(text: str) -> str:
    """Text shown as written in Slack: there `<!here>` broadcasts and `<url|label>` is a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables_as_lines(text: str) -> str:
    """Markdown tables (Slack draws none) as one line per row: its label in bold, then each
    column's name and cell; the header's first cell (the table's title) leads them."""
    lines, out, columns = text.split("\n"), [], []
    for n, line in enumerate(lines):
        if not line.startswith("|"):
            out.append(line)
        elif n + 1 < len(lines) and lines[n + 1].startswith("|---"):  # a header
            title, *columns = _cells(line)
            out.append(f"*{title}*" if title else "")
        elif not line.startswith("|---"):
            label, *values = _cells(line)
            out.append(f"- *{label}*: " + " · ".join(f"{c}: {v}" for c, v in zip(columns, values)))
    return "\n".join(line for line in out if line)


def to_mrkdwn(answer: Answer) -> str:
    """The answer in Slack mrkdwn, with a compact list of its citations; every piece that comes
    from a document (answer, heading, file name, quote) is escaped."""
    text = mrkdwn_escaped(tables_as_lines(answer.answer))
    points = text.startswith("- ")  # a list, explanation or comparison: one cited point a line
    text = re.sub(r"(?m)^- ", "• ", re.sub(r"(?m)^  - ", "    ◦ ", text))  # a table's rows under its title
    if answer.refused and answer.grounded:
        text = f":no_entry_sign: _Not covered by the document._ {text}"
    elif not answer.grounded:
        text = f":warning: _Not verified, showing the evidence._ {text}"
    lines = [text]
    for c in answer.citations:
        quote = c.quote if len(c.quote) <= 160 else c.quote[:159] + "…"
        where = f"{mrkdwn_escaped(c.section)} ({mrkdwn_escaped(c.location)})"
        lines.append(f"{CITATION_LINE}{c.n}]* {where}" + ("" if points else f": “{mrkdwn_escaped(quote)}”"))
    return "\n".join(lines)


def split_message(text: str, limit: int = SLACK_TEXT_LIMIT) -> list[str]:
    """Pieces within Slack's limit, cut at line ends where possible."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return pieces + [text]


def thread_history(client: WebClient, channel: str, thread_ts: str, bot_user: str, before_ts: str) -> list[dict]:
    """Earlier turns of a thread as chain history (the bot's replies are the assistant's)."""
    replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=50).get("messages", [])
    history = []
    for message in replies:
        if message.get("ts") == before_ts or float(message.get("ts", 0)) > float(before_ts):
            continue
        text = _MENTION.sub("", message.get("text", "")).strip()
        if not text or text == THINKING:
            continue
        mine = message.get("user") == bot_user or message.get("bot_id")
        history.append({"role": "assistant" if mine else "user", "content": text.split(f"\n{CITATION_LINE}")[0]})
    return history[-8:]


def _bolt_app() -> App:
    """A Bolt app for the token and signing secret in the environment, not yet listening."""
    token = os.environ.get("SLACK_BOT_TOKEN")
    secret = os.environ.get("SLACK_SIGNING_SECRET")
    if not token or not secret:
        raise ConfigError("set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see README, Slack set-up)")
    api_url = os.environ.get("SLACK_API_URL", "https://slack.com/api/")
    # Given the token itself, Bolt calls auth.test in App() and raises when Slack is unreachable;
    # BotIdentity asks later instead, and gives each request's client the token.
    return App(signing_secret=secret, client=WebClient(base_url=api_url), logger=log,
               authorize=BotIdentity(token, api_url),
               request_verification_enabled=False, before_authorize=VerifiedOnce(secret, base_logger=log),
               user_facing_authorize_error_message="amzn-qa cannot reach Slack right now; please try again later.")


def create_slack_app(chain: AnswerChain, rate_limit: int = 10) -> App:
    app = _bolt_app()
    limiter, seen = RateLimiter(rate_limit), SeenKeys()

    @app.middleware
    def skip_retries_and_bots(request, body, next):
        # Slack redelivers an event it thinks was not acknowledged: the first delivery is
        # already being answered. Messages from bots (this one included) are never questions.
        event = body.get("event", {})
        if request.headers.get("x-slack-retry-num") or not seen.first_time(body.get("event_id")):
            return _ack_only()
        if event.get("bot_id") or event.get("subtype") in {"bot_message", "message_changed", "message_deleted"}:
            return _ack_only()
        return next()

    def answer_in_thread(event: dict, client: WebClient, context) -> None:
        channel, user = event["channel"], event.get("user", "")
        thread_ts = event.get("thread_ts") or event["ts"]
        question = _MENTION.sub("", event.get("text", "")).strip()
        if not limiter.allow(user):
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=SLOW_DOWN)
            return
        thinking = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=THINKING)
        try:
            history = []
            if event.get("thread_ts"):
                history = thread_history(client, channel, thread_ts, context.bot_user_id, event["ts"])
            text = to_mrkdwn(chain.ask(question, history))
        except QuestionError as err:
            text = f":information_source: {err}"
        except Exception:  # the user gets a reply, the log gets the details (never the token)
            log.exception("answering a Slack question failed")
            text = ":warning: Sorry, something went wrong while answering. Please try again."
        first, *rest = split_message(text)
        client.chat_update(channel=channel, ts=thinking["ts"], text=first)
        for piece in rest:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=piece)

    def on_mention(event, client, context):
        answer_in_thread(event, client, context)

    def on_message(event, client, context):
        if event.get("channel_type") == "im" or event.get("thread_ts"):
            if event.get("channel_type") != "im" and f"<@{context.bot_user_id}>" in event.get("text", ""):
                return  # a mention in a thread arrives as app_mention too
            if event.get("channel_type") == "im" or _bot_in_thread(client, event, context.bot_user_id):
                answer_in_thread(event, client, context)

    def on_command(body, client):
        question = body.get("text", "")
        if not limiter.allow(body["user_id"]):
            client.chat_postEphemeral(channel=body["channel_id"], user=body["user_id"], text=SLOW_DOWN)
            return
        try:
            text = to_mrkdwn(chain.ask(question))
        except QuestionError as err:
            text = str(err)
        except Exception:
            log.exception("answering a slash command failed")
            text = "Sorry, something went wrong while answering."
        for piece in split_message(text):
            client.chat_postEphemeral(channel=body["channel_id"], user=body["user_id"], text=piece)

    app.event("app_mention")(ack=lambda ack: ack(), lazy=[on_mention])
    app.event("message")(ack=lambda ack: ack(), lazy=[on_message])
    app.command("/amzn-qa")(ack=lambda ack: ack("Looking that up…"), lazy=[on_command])
    return app


def _bot_in_thread(client: WebClient, event: dict, bot_user: str) -> bool:
    replies = client.conversations_replies(channel=event["channel"], ts=event["thread_ts"], limit=50)
    return any(m.get("user") == bot_user for m in replies.get("messages", []))


def _ack_only() -> BoltResponse:
    return BoltResponse(status=200, body="")


def mount(fastapi_app, app: App) -> None:
    """Serve the Events API (and slash commands) at /slack/events on a FastAPI app."""
    from slack_bolt.adapter.fastapi import SlackRequestHandler

    handler = SlackRequestHandler(app)

    @fastapi_app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request):
        if not _parses_as_bolt_does(await request.body(), request.headers.get("content-type")):
            return JSONResponse({"error": "malformed body: not UTF-8, or not a JSON object"}, status_code=400)
        return await handler.handle(request)


def _parses_as_bolt_does(raw: bytes, content_type: str | None) -> bool:
    """Bolt parses a body before it checks the signature, and answers one it cannot parse (not
    UTF-8, or JSON that is malformed or not an object) with a 500; it is the sender's mistake."""
    from slack_bolt.request.internals import parse_body

    try:
        return isinstance(parse_body(raw.decode("utf-8"), content_type and content_type.split(";")[0]), dict)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False
