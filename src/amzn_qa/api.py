"""`amzn-qa serve`: one web server with the JSON API under /api and the chat UI at /.

The answer chain (and so the model) is created once per process and shared by every browser
session and API client; llama.cpp generations queue on the model's lock.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from collections.abc import AsyncIterator, Iterator

import anyio

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from .chain import Answer, AnswerChain, QuestionError, Token, validate_question
from .config import Settings
from .feedback import FeedbackStore
from .index import IndexUnavailable
from .models import ModelUnavailable


class Backend:
    """What the front ends share: one answer chain per model, and the feedback store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.feedback = FeedbackStore(settings.feedback_db)
        self._chains: dict[str, AnswerChain] = {}
        self._lock = threading.Lock()

    def chain(self, llm: str | None = None) -> AnswerChain:
        llm = llm or self.settings.llm
        with self._lock:
            if llm not in self._chains:
                first = next(iter(self._chains.values()), None)
                settings = self.settings.model_copy(update={"llm": llm})
                self._chains[llm] = AnswerChain(settings, first.retriever if first else None)
            return self._chains[llm]

    def model_loaded(self, llm: str | None = None) -> bool:
        model = self._local_model(llm)
        return model is None or model.loaded

    def _local_model(self, llm: str | None = None):
        """The in-process model of a chain already created, if it runs one."""
        from .llm import LlamaCppChat, chat_model

        chain = self._chains.get(llm or self.settings.llm)
        model = chat_model(chain.settings) if chain else None
        return model if isinstance(model, LlamaCppChat) else None

    def health(self) -> dict:
        index: dict = {"ok": False}
        try:
            units = self.chain().retriever.units
            index = {"ok": True, "units": len(units), "documents": sorted({u.source for u in units})}
        except (IndexUnavailable, ModelUnavailable) as err:
            index["error"] = str(err)
        model = self.model_state()
        healthy = index["ok"] and not model["stalled"]
        return {"status": "ok" if healthy else "degraded", "index": index, "model": model}

    def model_state(self) -> dict:
        """The model's name, whether it is loaded, the questions queued for it, and whether it
        has gone longer than the LLM timeout without producing a token (a stuck generation)."""
        local = self._local_model()
        chain = self._chains.get(self.settings.llm)
        state = {"name": chain.model if chain else self.settings.llm, "loaded": self.model_loaded(),
                 "queue": 0, "stalled": False}
        if local is not None and local.loaded:
            state["queue"] = local.worker.queue_length
            state["stalled"] = local.worker.stalled_for() > self.settings.llm_timeout_s
        return state


class AskRequest(BaseModel):
    question: str = Field(..., description="The analyst's question")
    history: list[dict[str, str]] = Field(
        default_factory=list, description='Earlier turns: [{"role": "user"|"assistant", "content": "..."}]'
    )
    k: int | None = Field(None, ge=1, le=20, description="Number of sources")


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


async def cancel_on_disconnect(chunks: Iterator[str], cancel: threading.Event) -> AsyncIterator[str]:
    """Pull a blocking iterator from a worker thread; when the client goes away (Starlette then
    cancels this generator), set `cancel` so the generation behind it stops and frees the model.
    The thread is abandoned rather than awaited: it ends by itself once it sees `cancel`."""
    try:
        while (chunk := await anyio.to_thread.run_sync(next, chunks, None, abandon_on_cancel=True)) is not None:
            yield chunk
    finally:
        cancel.set()


def create_app(settings: Settings | None = None, with_ui: bool = True) -> FastAPI:
    settings = settings or Settings()
    backend = Backend(settings)
    app = FastAPI(title="amzn-qa", version="0.1.0", description="Cited answers from the AMZN technical analysis")
    app.state.backend = backend

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if request.url.path.startswith(("/api/", "/slack/")) and length and int(length) > settings.max_body_bytes:
            return JSONResponse({"error": f"request body over {settings.max_body_bytes} bytes"}, status_code=413)
        return await call_next(request)

    def authorised(request: Request) -> None:
        if not settings.auth_username:
            return
        header = request.headers.get("authorization", "")
        try:
            user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            user, password = "", ""
        if not (secrets.compare_digest(user, settings.auth_username)
                and secrets.compare_digest(password, settings.auth_password or "")):
            raise HTTPException(401, "login required", headers={"WWW-Authenticate": "Basic"})

    def checked(body: AskRequest) -> str:
        try:
            return validate_question(body.question, settings)
        except QuestionError as err:
            raise HTTPException(400, str(err)) from err

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(IndexUnavailable)
    async def index_error(request: Request, exc: IndexUnavailable):
        return JSONResponse({"error": str(exc)}, status_code=503)

    @app.post("/api/ask", dependencies=[Depends(authorised)])
    def ask(body: AskRequest) -> dict:
        """The same JSON object as `amzn-qa ask --json`."""
        question = checked(body)
        return backend.chain().ask(question, body.history, body.k).to_json()

    @app.post("/api/ask/stream", dependencies=[Depends(authorised)])
    def ask_stream(body: AskRequest) -> StreamingResponse:
        """Server-sent events: `token` events ({"text"}), then one `answer` event (the --json shape)."""
        question = checked(body)
        events = backend.chain().stream(question, body.history, body.k, cancel := threading.Event())
        return StreamingResponse(cancel_on_disconnect(sse(events), cancel), media_type="text/event-stream")

    @app.get("/api/health")
    def health() -> dict:
        """Index and model state."""
        return backend.health()

    if settings.slack_mode == "http" and os.environ.get("SLACK_BOT_TOKEN") and os.environ.get("SLACK_SIGNING_SECRET"):
        from .slack_bot import create_slack_app, mount

        mount(app, create_slack_app(backend.chain(), rate_limit=settings.slack_rate_limit))

    if with_ui:
        import gradio as gr

        from .ui import CSS, HEAD, build_ui

        auth = (settings.auth_username, settings.auth_password or "") if settings.auth_username else None
        app = gr.mount_gradio_app(app, build_ui(backend), path="/", auth=auth, css=CSS, head=HEAD, footer_links=[])
    return app


def serve(settings: Settings, with_ui: bool = True) -> None:
    import uvicorn

    app = create_app(settings, with_ui=with_ui)
    what = "web chat and API" if with_ui else "Slack events at /slack/events and API"
    print(f"amzn-qa: {what} on http://{settings.host}:{settings.port}/", flush=True)
    # Open streams must not hold up a shutdown: SIGTERM stops the server within a few seconds.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=3)
