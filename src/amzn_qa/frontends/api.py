"""`amzn-qa serve`: one web server with the JSON API under /api and the chat UI at /.

The answer chain (and so the model) is created once per process and shared by every browser
session and API client; llama.cpp generations queue on the model's lock.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount
from typing_extensions import TypedDict

from amzn_qa.answer.chain import Answer, QuestionError, Token, validate_history, validate_question
from amzn_qa.config import PROJECT_ROOT, Settings, _config_file
from amzn_qa.frontends.backend import Backend
from amzn_qa.frontends.guards import BodyLimit, Login, ProtocolGate, StrictJSONRoute, error_response
from amzn_qa.frontends.streaming import cancel_on_disconnect
from amzn_qa.ingest.index import IndexUnavailable


class Turn(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    # Strict: `"k": true` or `"k": "5"` is a mistake to report, not a value to coerce.
    model_config = ConfigDict(strict=True)

    question: str = Field(..., description="The analyst's question")
    history: list[Turn] = Field(
        default_factory=list, description='Earlier turns: [{"role": "user"|"assistant", "content": "..."}]'
    )
    k: int | None = Field(None, ge=1, le=20, description="Number of sources")
    documents: list[str] | None = Field(
        None, min_length=1, max_length=100, description="Answer only from these documents (file names, as /api/health lists them)"
    )
    ticker: str | None = Field(None, min_length=1, max_length=12, description="Answer only from documents about this ticker")


def sse(events: Iterator) -> Iterator[str]:
    """The chain's events as server-sent events; a failure ends the stream with an `error` event."""
    try:
        for event in events:
            if isinstance(event, Token):
                yield f"event: token\ndata: {json.dumps({'text': event.text})}\n\n"
            elif isinstance(event, Answer):
                yield f"event: answer\ndata: {json.dumps(event.to_json(), ensure_ascii=False)}\n\n"
    except (IndexUnavailable, QuestionError) as err:
        yield f"event: error\ndata: {json.dumps({'error': str(err)})}\n\n"


def readable(error: RequestValidationError) -> str:
    """One line naming what is wrong, without echoing the input (it may be huge, or NaN)."""
    errors = error.errors()
    if errors and errors[0]["type"] == "json_invalid":
        return f"The body is not valid JSON: {errors[0].get('ctx', {}).get('error', 'decode error')}."
    parts = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in errors[:5]]
    return "Invalid request: " + "; ".join(parts) + ("; …" if len(errors) > 5 else "")


def create_app(settings: Settings | None = None, with_ui: bool = True) -> FastAPI:
    settings = settings or Settings()
    backend = Backend(settings)
    login = Login(settings.auth_username, settings.auth_password or "") if settings.auth_username else None
    app = FastAPI(title="amzn-qa", version="0.1.0", description="Cited answers from the AMZN technical analysis")
    app.router.route_class = StrictJSONRoute
    app.state.backend = backend
    add_error_handlers(app)

    def checked(body: AskRequest) -> tuple[str, frozenset[str] | None]:
        """The question and the documents it is limited to, or 400 saying what is wrong."""
        try:
            validate_history(body.history, settings)
            return validate_question(body.question, settings), backend.selected(body.documents, body.ticker)
        except QuestionError as err:
            raise HTTPException(400, str(err)) from err

    @app.post("/api/ask")
    def ask(body: AskRequest) -> dict:
        """The same JSON object as `amzn-qa ask --json`."""
        question, documents = checked(body)
        return backend.chain().ask(question, body.history, body.k, documents).to_json()

    @app.post("/api/ask/stream")
    def ask_stream(body: AskRequest) -> StreamingResponse:
        """Server-sent events: `token` events ({"text"}), then one `answer` event (the --json shape)."""
        question, documents = checked(body)
        events = backend.chain().stream(question, body.history, body.k, cancel := threading.Event(), documents)
        return StreamingResponse(cancel_on_disconnect(sse(events), cancel), media_type="text/event-stream")

    @app.get("/api/health")
    def health(request: Request) -> dict:
        """Index and model state; only the status without credentials when a login is configured."""
        report = backend.health()
        return report if login is None or login.granted(request) else {"status": report["status"]}

    @app.api_route("/api/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                   include_in_schema=False)
    def no_such_route(request: Request) -> None:
        # Without this, the chat mounted at / would answer for unknown /api/ paths, not in JSON.
        known = any(getattr(route, "path", None) == request.url.path for route in app.routes)
        raise HTTPException(405 if known else 404, f"No route {request.method} {request.url.path}.")

    if settings.slack_mode == "http" and os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("SLACK_SIGNING_SECRET"):
        from amzn_qa.frontends.slack_bot import create_slack_app, mount

        mount(app, create_slack_app(backend.chain(), rate_limit=settings.slack_rate_limit))

    mount_protocols(app, backend)
    if with_ui:
        mount_chat(app, backend, login)
    if login or settings.api_keys:
        app.add_middleware(ProtocolGate, keys=settings.api_keys, login=login)
    # Added last: runs first. An upload is a document plus its multipart framing.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, chat_limit=settings.max_chat_body_bytes,
                       upload_limit=settings.max_document_bytes + settings.max_body_bytes)
    return app


def add_error_handlers(app: FastAPI) -> None:
    """Every error the API gives is `{"error": "..."}` JSON."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error_response(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return error_response(422, readable(exc))

    @app.exception_handler(IndexUnavailable)
    async def index_error(request: Request, exc: IndexUnavailable):
        return error_response(503, str(exc))


def mount_protocols(app: FastAPI, backend: Backend) -> None:
    """The OpenAI-compatible API at /v1 and the MCP server at /mcp (before the chat, which
    answers every path it is given)."""
    from amzn_qa.frontends import mcp_server
    from amzn_qa.frontends import openai_api

    openai_api.mount(app, backend)
    mcp_server.mount(app, backend)


def mount_chat(app: FastAPI, backend: Backend, login: Login | None) -> None:
    """The Gradio chat at /. Gradio's file routes serve only what Gradio itself allows, and never
    the app's own data (its blocklist wins over everything else)."""
    import gradio as gr

    from amzn_qa.frontends.ui import CSS, HEAD, build_ui

    settings = backend.settings
    db = settings.feedback_db
    database = [db.with_name(db.name + ending) for ending in ("", "-wal", "-shm", "-journal")]
    private = [PROJECT_ROOT, settings.index_dir, settings.corpus_dir, settings.cache_dir, _config_file(), *database]
    gr.mount_gradio_app(
        app, build_ui(backend, uploads=login is not None), path="/", css=CSS, head=HEAD, footer_links=[],
        run_history=False, max_file_size=settings.max_document_bytes,
        auth=(login.username, login.password) if login else None,
        blocked_paths=[str(path.resolve()) for path in private],
    )
    if login:
        login.chat = next(route.app for route in app.routes if isinstance(route, Mount) and route.path == "")


def serve(settings: Settings, with_ui: bool = True) -> None:
    import uvicorn

    app = create_app(settings, with_ui=with_ui)
    threading.Thread(target=app.state.backend.warm, daemon=True, name="warm-up").start()
    what = "web chat and API" if with_ui else "Slack events at /slack/events and API"
    print(f"amzn-qa: {what} on http://{settings.host}:{settings.port}/", flush=True)
    # Open streams must not hold up a shutdown: SIGTERM stops the server within a few seconds.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=3)
