"""LLM providers behind one setting; every provider is a LangChain chat model.

`local` and `local-1.5b` run a bundled GGUF in-process with llama.cpp; `gguf:PATH` runs any GGUF
file; `openai` speaks to any OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, Ollama);
`bedrock` and `anthropic` use their LangChain packages (optional extras). A model is loaded once
per process and shared.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from amzn_qa.config import Settings
from amzn_qa.models import BUNDLED_LLMS, ModelUnavailable, assembled_gguf

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class ModelBusy(RuntimeError):
    """Every place in the model's queue is taken; the message says to try again."""


_END = object()


@dataclass
class _Job:
    """One generation: what to send, and where the worker puts the tokens (then _END)."""

    chat: list[dict]
    max_tokens: int
    stop: list[str] | None
    deadline: float  # time.monotonic() after which nobody waits for this job any more
    caller_cancel: threading.Event | None = None
    abandoned: threading.Event = field(default_factory=threading.Event)
    tokens: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)

    def cancelled(self) -> bool:
        return (
            self.abandoned.is_set()
            or (self.caller_cancel is not None and self.caller_cancel.is_set())
            or time.monotonic() > self.deadline
        )


class ModelWorker:
    """The one thread that owns a llama.cpp model (its context is not re-entrant).

    Callers never hold the model: they queue a job and read its tokens. A caller that goes away
    (a closed tab, a dropped stream) or runs out of time marks its job cancelled; the worker
    skips a cancelled job that is still queued and stops one that is generating at the next
    token, so the model is free again within a token.
    """

    def __init__(self, load: Callable[[], Any], queue_size: int) -> None:
        self._load = load
        self._jobs: queue.Queue[_Job] = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, name="model-worker", daemon=True)
        self._thread.start()
        self.busy_since: float | None = None
        self.last_token_at: float | None = None

    def submit(self, job: _Job) -> None:
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            raise ModelBusy("the model is busy with other questions; ask again in a minute") from None

    @property
    def queue_length(self) -> int:
        """Jobs waiting plus the one generating."""
        return self._jobs.qsize() + (self.busy_since is not None)

    def stalled_for(self) -> float:
        """Seconds the running job has gone without producing a token (0 when idle)."""
        busy_since = self.busy_since
        if busy_since is None:
            return 0.0
        return time.monotonic() - max(busy_since, self.last_token_at or 0.0)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if not job.cancelled():
                self.busy_since = time.monotonic()
                try:
                    self._generate(job)
                except Exception as err:  # handed to the caller, which reports it
                    job.tokens.put(err)
                finally:
                    self.busy_since = None
            job.tokens.put(_END)

    def _generate(self, job: _Job) -> None:
        stream = self._load().create_chat_completion(
            messages=job.chat, max_tokens=job.max_tokens, temperature=0.0, stop=job.stop, stream=True
        )
        try:
            for part in stream:
                if job.cancelled():
                    break
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    self.last_token_at = time.monotonic()
                    job.tokens.put(delta)
        finally:
            stream.close()


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by llama.cpp, greedy decoding, one generation at a time.

    Pass `cancel=threading.Event()` (for example through `.bind`) to stop a generation from
    outside, say when the client that asked for it disconnects.
    """

    model_path: str
    n_threads: int = 2
    n_ctx: int = 2048
    max_tokens: int = 80
    timeout_s: float = 60.0
    queue_size: int = 64
    _llama: Any = PrivateAttr(default=None)
    _load_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _worker: ModelWorker | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    @property
    def worker(self) -> ModelWorker:
        with self._load_lock:
            if self._worker is None:
                self._worker = ModelWorker(self.load, self.queue_size)
            return self._worker

    def load(self) -> Any:
        with self._load_lock:
            if self._llama is None:
                self._llama = self._open()
            return self._llama

    def _open(self) -> Any:
        try:
            from llama_cpp import Llama

            return Llama(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_batch=512,
                seed=0,
                verbose=False,
            )
        except Exception as err:
            raise ModelUnavailable(f"the model {self.model_path} failed to load: {err}") from err

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(c.message.content for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        job = _Job(
            chat=[{"role": _ROLES.get(m.type, "user"), "content": m.content} for m in messages],
            max_tokens=kwargs.get("max_tokens", self.max_tokens),
            stop=stop,
            deadline=time.monotonic() + self.timeout_s,
            caller_cancel=kwargs.get("cancel"),
        )
        self.worker.submit(job)
        try:
            for delta in _tokens_of(job):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk
        finally:
            job.abandoned.set()  # a caller that stops reading frees the model


def _tokens_of(job: _Job) -> Iterator[str]:
    """The job's tokens as the worker produces them; waiting in the queue counts against the
    job's deadline, and a cancelled job ends quietly."""
    while True:
        try:
            item = job.tokens.get(timeout=0.1)
        except queue.Empty:
            if job.caller_cancel is not None and job.caller_cancel.is_set():
                return
            if time.monotonic() > job.deadline:
                raise TimeoutError("the model did not answer in time") from None
            continue
        if item is _END:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def cancellable(model: BaseChatModel, cancel: threading.Event | None) -> BaseChatModel:
    """The model bound to `cancel` where it can stop mid-generation (the in-process model).
    Remote providers stop when their stream is closed, which the chain does on cancel."""
    if cancel is not None and isinstance(model, LlamaCppChat):
        return model.bind(cancel=cancel)
    return model


def model_label(settings: Settings) -> str:
    if settings.llm in BUNDLED_LLMS:
        return f"{settings.llm}:{BUNDLED_LLMS[settings.llm].filename}"
    if settings.llm == "openai":
        return f"openai:{settings.openai_model}@{settings.openai_base_url}"
    if settings.llm == "bedrock":
        return f"bedrock:{settings.bedrock_model}"
    if settings.llm == "anthropic":
        return f"anthropic:{settings.anthropic_model}"
    return settings.llm


def chat_model(settings: Settings) -> BaseChatModel:
    """The configured chat model, created once per process for a given configuration."""
    return _chat_model(
        settings.llm, settings.cache_dir, settings.n_threads, settings.n_ctx,
        settings.max_answer_tokens, settings.llm_timeout_s, settings.openai_base_url,
        settings.openai_api_key, settings.openai_model, settings.bedrock_model,
        settings.anthropic_model, settings.model_queue_size,
    )


@lru_cache(maxsize=4)
def _chat_model(
    name: str, cache_dir: Path, n_threads: int, n_ctx: int, max_tokens: int, timeout: float,
    openai_base_url: str, openai_api_key: str, openai_model: str, bedrock_model: str,
    anthropic_model: str, queue_size: int,
) -> BaseChatModel:
    if name in BUNDLED_LLMS or name.startswith("gguf:"):
        path = assembled_gguf(name, cache_dir) if name in BUNDLED_LLMS else Path(name[5:])
        if not path.is_file():
            raise ModelUnavailable(f"no GGUF file at {path}")
        return LlamaCppChat(
            model_path=str(path), n_threads=n_threads, n_ctx=n_ctx, max_tokens=max_tokens,
            timeout_s=timeout, queue_size=queue_size,
        )
    if name == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=openai_base_url, api_key=openai_api_key, model=openai_model,
            temperature=0.0, max_tokens=max_tokens, timeout=timeout, max_retries=0,
        )
    if name == "bedrock":
        try:
            from langchain_aws import ChatBedrockConverse
        except ImportError as err:
            raise ModelUnavailable("the bedrock provider needs `pip install -e .[bedrock]`") from err
        return ChatBedrockConverse(model=bedrock_model, temperature=0.0, max_tokens=max_tokens)
    if name == "anthropic":
        try:
            from langchain_anthropic import ChatAnthropic
        except ImportError as err:
            raise ModelUnavailable("the anthropic provider needs `pip install -e .[anthropic]`") from err
        return ChatAnthropic(
            model=anthropic_model, temperature=0.0, max_tokens=max_tokens, timeout=timeout
        )
    raise ModelUnavailable(
        f"unknown LLM {name!r}: choose local, local-1.5b, gguf:PATH, openai, bedrock or anthropic"
    )
