"""What stands in front of `amzn-qa serve`'s routes: a request-body limit, strict JSON, the
login gate, and the key check of the protocol endpoints (/v1 and /mcp). Each answers with
`{"error": "..."}` JSON, like the API itself; the protocol endpoints in OpenAI's error shape.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
from collections import deque
from typing import Any

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Every request body is limited. The JSON API, Slack's events, /v1 and /mcp have the API's limit;
# every other route is the chat's (Gradio's queue, runs and login form, and any route added
# later), with a limit of its own, since its queue sends the whole visible conversation with each
# question. Gradio's file upload carries a document: it has the document limit (Gradio also
# checks each file against its max_file_size, but not how many files one request sends).
API_PATHS = ("/api/", "/slack/", "/v1/", "/mcp")
UPLOAD_PATHS = frozenset({"/gradio_api/upload"})
# What the login page needs (seen from a browser), the bare health status, and Slack's events
# (Slack signs them; the signature is checked by the Slack app).
PUBLIC_PATHS = {"/", "/login", "/login/", "/theme.css", "/favicon.ico", "/manifest.json", "/robots.txt",
                "/api/health"}
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/", "/slack/")
# The protocol endpoints: machine clients, which authenticate with a Bearer key (or HTTP Basic).
PROTOCOL_PATHS = ("/v1/", "/mcp")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def openai_error(status: int, message: str, code: str, kind: str = "invalid_request_error") -> JSONResponse:
    """An error in OpenAI's shape, which OpenAI's clients (and MCP's, at /mcp) read."""
    return JSONResponse({"error": {"message": message, "type": kind, "code": code}}, status_code=status)


class BodyLimit:
    """Reads a request body before the app sees the request, so nothing (authentication
    included) works on a body over its limit: `limit` under API_PATHS, `upload_limit` under
    UPLOAD_PATHS, `chat_limit` elsewhere. A larger declared length, or a running total past the
    limit (chunked bodies declare none), gets 413 at once and the rest is never read. A body
    within the limit is handed on unchanged."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int | None = None, chat_limit: int | None = None) -> None:
        self.app, self.limit = app, limit
        self.upload_limit, self.chat_limit = upload_limit or limit, chat_limit or limit

    def _limit_of(self, path: str) -> int:
        if path.startswith(API_PATHS):
            return self.limit
        return self.upload_limit if path in UPLOAD_PATHS else self.chat_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_of(scope["path"])
        messages = await self._read_within_limit(scope, receive, limit)
        if messages is None:
            too_large = error_response(413, f"The request body is over the limit of {limit} bytes.",
                                       {"connection": "close"})
            await too_large(scope, receive, send)
            return
        await self.app(scope, _replaying(messages, receive), send)

    @staticmethod
    async def _read_within_limit(scope: Scope, receive: Receive, limit: int) -> list[Message] | None:
        declared = HTTPConnection(scope).headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return None
        messages, total = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            total += len(message.get("body", b""))
            if total > limit:
                return None
            if not message.get("more_body", False):
                return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = deque(messages)

    async def replay() -> Message:
        return pending.popleft() if pending else await receive()

    return replay


def strict_json(raw: bytes) -> Any:
    """JSON as the RFC defines it. Python's parser also takes NaN and Infinity, turns 1e400 into
    infinity and lets lone UTF-16 surrogates ("\\ud800") into strings, which no encoder
    downstream accepts; all of these are a malformed body here (json.JSONDecodeError)."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise _malformed("nested too deeply", raw) from None
    except ValueError as err:  # undecodable bytes, a constant, an infinite or over-long number
        raise _malformed(str(err), raw) from None
    if _has_lone_surrogate(value):
        raise _malformed("a string holds a lone UTF-16 surrogate, which is not text", raw)
    return value


def _malformed(reason: str, raw: bytes) -> json.JSONDecodeError:
    return json.JSONDecodeError(reason, raw.decode("utf-8", errors="replace"), 0)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"{literal[:20]} is too large a number")
    return number


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]  # not recursive: the parser accepts nesting deeper than Python's stack
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_json(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is parsed by strict_json (FastAPI turns its error into 422)."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def strict_handler(request: Request):
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler


class Login:
    """The configured login. The API takes HTTP Basic credentials; the chat's routes and the API
    docs also take the chat's login session (a cookie; it is not accepted for the API, so a
    page elsewhere cannot use a visitor's session to call it)."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.chat: Any = None  # the mounted Gradio app, once there is one

    def granted(self, connection: HTTPConnection) -> bool:
        if self.accepts_basic(connection.headers.get("authorization", "")):
            return True
        return not connection.url.path.startswith("/api/") and self._session(connection.cookies)

    def accepts_basic(self, header: str) -> bool:
        """The header carries the configured user name and password (HTTP Basic)."""
        try:
            user, _, password = base64.b64decode(header.removeprefix("Basic "), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(user.encode(), self.username.encode()) and secrets.compare_digest(
            password.encode(), self.password.encode())

    def _session(self, cookies: dict[str, str]) -> bool:
        if self.chat is None:
            return False
        # Gradio keeps its login sessions in App.tokens, named by these cookies (gradio/routes.py,
        # get_current_user); it has no public way to ask.
        cookie_id = self.chat.cookie_id
        token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
        return token is not None and token in self.chat.tokens


class LoginGate:
    """With a login configured, only the login page and its assets, the bare health status and
    Slack's signed events are reachable without credentials; everything else (the API, its docs,
    every Gradio route, any route added later) gets 401."""

    def __init__(self, app: ASGIApp, login: Login) -> None:
        self.app, self.login = app, login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._open(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            refused = error_response(401, "Login required.", {"www-authenticate": 'Basic realm="amzn-qa"'})
            await refused(scope, receive, send)

    def _open(self, scope: Scope) -> bool:
        path = scope["path"]
        return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or self.login.granted(HTTPConnection(scope))


class ProtocolGate:
    """Authentication in front of the app when API keys or a login are configured. /v1/ and /mcp
    take `Authorization: Bearer <key>` with a configured key, or the login's HTTP Basic
    credentials (never the chat's session cookie: a page elsewhere must not use a visitor's
    session); anything else gets 401 in OpenAI's error shape. Every other path is the
    LoginGate's (open when no login is configured)."""

    def __init__(self, app: ASGIApp, keys: list[str], login: Login | None) -> None:
        self.app, self.keys, self.login = app, [key.encode() for key in keys], login
        self.others = LoginGate(app, login) if login else app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTOCOL_PATHS):
            await self.others(scope, receive, send)
        elif self.granted(HTTPConnection(scope).headers.get("authorization", "")):
            await self.app(scope, receive, send)
        else:
            refused = openai_error(401, "A valid API key is required: send `Authorization: Bearer <key>`.",
                                   "invalid_api_key")
            refused.headers["www-authenticate"] = 'Bearer realm="amzn-qa"'
            await refused(scope, receive, send)

    def granted(self, header: str) -> bool:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "bearer":
            # Every key is compared, so the time taken does not tell which one nearly matched.
            return sum(secrets.compare_digest(credential.strip().encode(), key) for key in self.keys) > 0
        return scheme.lower() == "basic" and self.login is not None and self.login.accepts_basic(header)
