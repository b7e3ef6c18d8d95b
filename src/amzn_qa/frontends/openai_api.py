"""An OpenAI-compatible chat-completions API on `amzn-qa serve` (/v1), so any OpenAI client or
chat front end can ask the document. Answers are the chain's, [n] markers kept, with a short
"Sources" list appended and the full citation objects in an extra `citations` field.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from amzn_qa.answer.chain import Answer, QuestionError, Token, validate_history, validate_question
from amzn_qa.frontends.backend import Backend
from amzn_qa.frontends.guards import openai_error, strict_json
from amzn_qa.frontends.streaming import cancel_on_disconnect
from amzn_qa.ingest.index import IndexUnavailable

MODEL_ID = "amzn-qa"
SOURCES_HEADING = "\n\nSources:\n"


class OpenAIError(Exception):
    """A request the API refuses, reported in OpenAI's error shape."""

    def __init__(self, status: int, message: str, code: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.kind = status, message, code, kind

    def response(self) -> JSONResponse:
        return openai_error(self.status, self.message, self.code, self.kind)


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    # Unknown fields (temperature, max_tokens, user, ...) are accepted and ignored, as clients send them.
    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[Message] = Field(..., min_length=1)
    stream: bool = False
    n: int = 1


def parse(raw: bytes) -> ChatRequest:
    try:
        body = ChatRequest.model_validate(strict_json(raw))
    except json.JSONDecodeError as err:
        raise OpenAIError(400, f"The body is not valid JSON: {err.msg}.", "invalid_json") from None
    except ValidationError as err:
        where = ".".join(str(p) for p in err.errors()[0]["loc"]) or "body"
        raise OpenAIError(400, f"Invalid request: {where}: {err.errors()[0]['msg']}", "invalid_value") from None
    if body.n != 1:
        raise OpenAIError(400, "Only n=1 is supported: there is one answer per question.", "unsupported_parameter")
    for field in ("tools", "functions", "tool_choice", "function_call"):
        if (body.model_extra or {}).get(field):
            raise OpenAIError(400, f"`{field}` is not supported: this model answers from its documents only.",
                              "unsupported_parameter")
    return body


def text_of(message: Message) -> str:
    """A message's text; image, audio or file parts are refused (the answers come from text documents)."""
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    parts = []
    for part in message.content:
        if part.get("type") != "text":
            raise OpenAIError(400, f"Content parts of type {part.get('type')!r} are not supported; send text.",
                              "unsupported_content")
        parts.append(str(part.get("text", "")))
    return "".join(parts)


def conversation(body: ChatRequest, max_turns: int) -> tuple[str, list[dict[str, str]]]:
    """The question (the last message, a user's) and the earlier user/assistant turns as history.
    System messages are ignored: the answer's rules are the chain's, not the caller's. Only the
    latest `max_turns` turns are kept, as chat clients send the whole conversation every time."""
    if body.messages[-1].role != "user":
        raise OpenAIError(400, "The last message must be the user's question.", "invalid_value")
    history = [
        {"role": m.role, "content": text_of(m).split(SOURCES_HEADING)[0]}  # the answer, without its Sources
        for m in body.messages[:-1] if m.role in ("user", "assistant")
    ]
    return text_of(body.messages[-1]), history[-max_turns:] if max_turns else []


def reply_text(answer: Answer) -> str:
    """The answer with its [n] markers, then one line per citation: document, section, lines."""
    if not answer.citations:
        return answer.answer
    lines = [f"[{c.n}] {c.section} ({c.location})" for c in answer.citations]
    return answer.answer + SOURCES_HEADING + "\n".join(lines)


def completion(answer: Answer, completion_id: str, created: int) -> dict:
    return {
        "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply_text(answer)},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": answer.to_json()["citations"],
    }


def chunk(completion_id: str, created: int, delta: dict, finish: str | None = None, **extra) -> str:
    event = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"


def chunks(events: Iterator, completion_id: str, created: int) -> Iterator[str]:
    """OpenAI's stream: the role at once, then the checked answer a line or sentence per chunk
    (the model's draft is checked against the sources before any of it is sent, as a client
    cannot take back text it has shown), its sources, the citations on the last chunk, and
    `[DONE]`. A failure ends it with an error event."""
    yield chunk(completion_id, created, {"role": "assistant", "content": ""})
    try:
        for event in events:
            if isinstance(event, Token):
                yield chunk(completion_id, created, {"content": event.text})
            elif isinstance(event, Answer):
                sources = reply_text(event).removeprefix(event.answer)
                if sources:
                    yield chunk(completion_id, created, {"content": sources})
                yield chunk(completion_id, created, {}, "stop", citations=event.to_json()["citations"])
    except (IndexUnavailable, QuestionError) as err:
        yield f"data: {json.dumps({'error': {'message': str(err), 'type': 'server_error', 'code': None}})}\n\n"
    yield "data: [DONE]\n\n"


def mount(app: FastAPI, backend: Backend) -> None:
    """GET /v1/models and POST /v1/chat/completions (authentication is guards.ProtocolGate's)."""
    settings = backend.settings

    @app.get("/v1/models")
    def models() -> dict:
        """The one model: the document's answer chain."""
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "amzn-qa"}]}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> JSONResponse | StreamingResponse:
        """OpenAI chat completions; `stream: true` gives `chat.completion.chunk` events."""
        try:
            body = parse(await request.body())
            question, history = conversation(body, settings.max_history_turns)
            validate_history(history, settings)
            question = validate_question(question, settings)
            chain = await anyio.to_thread.run_sync(backend.chain)  # the first call loads the models
        except OpenAIError as err:
            return err.response()
        except QuestionError as err:
            return openai_error(400, str(err), "invalid_value")
        except IndexUnavailable as err:
            return openai_error(503, str(err), "index_unavailable", "server_error")
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        cancel = threading.Event()
        events = chain.stream(question, history, None, cancel)
        if body.stream:
            return StreamingResponse(cancel_on_disconnect(chunks(events, completion_id, created), cancel),
                                     media_type="text/event-stream")
        return await answered(events, cancel, completion_id, created)

    async def answered(events: Iterator, cancel: threading.Event, completion_id: str, created: int) -> JSONResponse:
        try:
            answer = await anyio.to_thread.run_sync(lambda: next(e for e in events if isinstance(e, Answer)))
        except QuestionError as err:
            return openai_error(400, str(err), "invalid_value")
        except IndexUnavailable as err:
            return openai_error(503, str(err), "index_unavailable", "server_error")
        finally:
            cancel.set()
        return JSONResponse(completion(answer, completion_id, created))
