"""LLM providers behind one setting; every provider is a LangChain chat model.

`local` and `local-1.5b` run a bundled GGUF in-process with llama.cpp; `gguf:PATH` runs any GGUF
file; `openai` speaks to any OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, Ollama);
`bedrock` and `anthropic` use their LangChain packages (optional extras). A model is loaded once
per process and shared.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from .config import Settings
from .models import BUNDLED_LLMS, ModelUnavailable, assembled_gguf

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by llama.cpp, greedy decoding, one generation at a time."""

    model_path: str
    n_threads: int = 2
    n_ctx: int = 2048
    max_tokens: int = 80
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def load(self) -> None:
        if self._llama is not None:
            return
        try:
            from llama_cpp import Llama

            self._llama = Llama(
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
        self.load()
        chat = [{"role": _ROLES.get(m.type, "user"), "content": m.content} for m in messages]
        # llama.cpp's context is not re-entrant: concurrent users queue here.
        with self._lock:
            for part in self._llama.create_chat_completion(
                messages=chat,
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=0.0,
                stop=stop,
                stream=True,
            ):
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                    if run_manager:
                        run_manager.on_llm_new_token(delta, chunk=chunk)
                    yield chunk


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
        settings.anthropic_model,
    )


@lru_cache(maxsize=4)
def _chat_model(
    name: str, cache_dir: Path, n_threads: int, n_ctx: int, max_tokens: int, timeout: float,
    openai_base_url: str, openai_api_key: str, openai_model: str, bedrock_model: str,
    anthropic_model: str,
) -> BaseChatModel:
    if name in BUNDLED_LLMS or name.startswith("gguf:"):
        path = assembled_gguf(name, cache_dir) if name in BUNDLED_LLMS else Path(name[5:])
        if not path.is_file():
            raise ModelUnavailable(f"no GGUF file at {path}")
        return LlamaCppChat(
            model_path=str(path), n_threads=n_threads, n_ctx=n_ctx, max_tokens=max_tokens
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
