"""The model is owned by one worker: abandoned streams, queued callers, timeouts and shutdown
cannot wedge it for everyone else."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from langchain_core.messages import HumanMessage

from amzn_qa.answer.llm import LlamaCppChat, ModelBusy

from .conftest import start_server

QUESTIONS = [
    "How many robots has Amazon deployed?", "When did Amazon acquire Kiva?",
    "How many active customers use Rufus?", "What is Trainium 2's power draw?",
    "How many cities get perishable grocery delivery?", "How many CloudFront edge locations are there?",
    "What share of EC2 instances use Graviton?", "How many developers adopted Curo in its first days?",
]


class FakeLlama:
    """Stands in for llama.cpp's Llama to isolate the worker's queueing: yields `tokens` words,
    one every `delay` seconds, and records how many it produced."""

    def __init__(self, tokens: int = 50, delay: float = 0.02, stall: threading.Event | None = None):
        self.tokens, self.delay, self.stall, self.produced = tokens, delay, stall, 0

    def create_chat_completion(self, **kwargs):
        for i in range(min(self.tokens, kwargs["max_tokens"])):
            if self.stall is not None:
                self.stall.wait()
            time.sleep(self.delay)
            self.produced += 1
            yield {"choices": [{"delta": {"content": f"w{i} "}}]}


def in_background(model: LlamaCppChat, text: str) -> None:
    """Ask in a thread that nobody waits for (its timeout, if any, is expected)."""
    threading.Thread(target=lambda: model.batch([[HumanMessage(text)]], return_exceptions=True), daemon=True).start()


def fake_model(llama: FakeLlama, **fields) -> LlamaCppChat:
    model = LlamaCppChat(model_path="fake.gguf", **fields)
    model._llama = llama
    return model


def test_an_abandoned_stream_frees_the_model_for_the_next_caller():
    llama = FakeLlama(tokens=1000)
    model = fake_model(llama, max_tokens=1000)
    stream = model.stream([HumanMessage("hi")])
    next(stream)
    stream.close()  # the client went away after its first token
    answer = model.invoke([HumanMessage("next")], max_tokens=3)
    assert answer.content == "w0 w1 w2 "
    assert llama.produced < 20  # the abandoned generation stopped instead of running to 1000


def test_a_cancel_event_skips_a_queued_job_and_stops_a_running_one():
    llama = FakeLlama(tokens=1000)
    model = fake_model(llama, max_tokens=1000)
    running, queued = threading.Event(), threading.Event()
    first = model.bind(cancel=running).stream([HumanMessage("a")])
    next(first)
    # A stream cancelled before its first token has nothing to return: LangChain raises for that.
    waiting = threading.Thread(target=lambda: model.bind(cancel=queued).batch([[HumanMessage("b")]], return_exceptions=True))
    waiting.start()
    queued.set()
    running.set()
    assert len(list(first)) < 5  # stopped at the next token, not after 1000
    waiting.join(timeout=5)
    assert not waiting.is_alive()
    assert model.worker.queue_length == 0


def test_waiting_in_the_queue_counts_against_the_timeout():
    stall = threading.Event()
    model = fake_model(FakeLlama(stall=stall), timeout_s=0.5)
    in_background(model, "a")
    time.sleep(0.1)
    with pytest.raises(TimeoutError):
        model.invoke([HumanMessage("b")])  # never reaches the model: the first one is stuck
    assert model.worker.stalled_for() > 0.3
    stall.set()


def test_a_full_queue_refuses_at_once_with_a_clear_error():
    stall = threading.Event()
    model = fake_model(FakeLlama(stall=stall), queue_size=1)
    in_background(model, "a")
    time.sleep(0.1)
    in_background(model, "b")
    time.sleep(0.1)
    with pytest.raises(ModelBusy, match="busy"):
        model.invoke([HumanMessage("c")])
    stall.set()


@pytest.mark.embedder
def test_health_is_degraded_while_the_model_is_stuck(shared_settings, tmp_path, monkeypatch):
    from amzn_qa.frontends.backend import Backend
    from amzn_qa.answer import llm

    stall = threading.Event()
    stuck = fake_model(FakeLlama(stall=stall), timeout_s=0.3)
    monkeypatch.setattr(llm, "chat_model", lambda settings: stuck)
    settings = shared_settings.model_copy(update={"llm_timeout_s": 0.3, "feedback_db": tmp_path / "f.db"})
    backend = Backend(settings)
    assert backend.health()["status"] == "ok"
    in_background(stuck, "a")
    time.sleep(0.6)
    health = backend.health()
    assert health["status"] == "degraded" and health["model"]["stalled"] and health["model"]["queue"] == 1
    stall.set()


def _stream_first_event_then_drop(url: str, question: str) -> str:
    with httpx.stream("POST", f"{url}/api/ask/stream", json={"question": question}, timeout=300) as response:
        for line in response.iter_lines():
            if line.startswith("event: "):
                return line  # leaving the block closes the connection mid-stream


def _stream_to_the_end(url: str, question: str) -> list[str]:
    with httpx.stream("POST", f"{url}/api/ask/stream", json={"question": question}, timeout=300) as response:
        return [line.removeprefix("event: ") for line in response.iter_lines() if line.startswith("event: ")]


@pytest.mark.llm
def test_half_of_eight_streams_dropping_after_the_first_token_wedges_nothing(server):
    with ThreadPoolExecutor(8) as pool:
        dropped = [pool.submit(_stream_first_event_then_drop, server.url, q) for q in QUESTIONS[:4]]
        kept = [pool.submit(_stream_to_the_end, server.url, q) for q in QUESTIONS[4:]]
        assert all(f.result() == "event: token" for f in dropped)
        assert all(f.result()[-1] == "answer" for f in kept)
    # The model is free again: one more question is answered (a wedged model would hang here
    # until the client's timeout), and nothing is left in the queue.
    response = httpx.post(f"{server.url}/api/ask", json={"question": "When did Amazon acquire Kiva?"}, timeout=120)
    assert response.status_code == 200 and "2012" in response.json()["answer"]
    health = httpx.get(f"{server.url}/api/health", timeout=30).json()
    assert health["status"] == "ok" and health["model"]["queue"] == 0


@pytest.mark.llm
def test_sigterm_stops_the_server_while_streams_are_open(tmp_path):
    proc, url = start_server(tmp_path)
    try:
        streams = [threading.Thread(target=_stream_to_the_end, args=(url, q), daemon=True) for q in QUESTIONS[:3]]
        for stream in streams:
            stream.start()
        time.sleep(3)  # the first is generating, the others wait in the queue
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
