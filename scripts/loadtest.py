"""Load test: 16 concurrent clients ask varied questions (the dev split's single questions)
through POST /api/ask on loopback.

    .venv/bin/python scripts/loadtest.py [--clients 16] [--requests 64] [--max-seconds 900]
                                         [--disconnect 0.5]

With --disconnect SHARE, that share of the requests stream through POST /api/ask/stream and
drop the connection after the first token (a closed browser tab); the others must still be
answered, and the server must answer one more question afterwards.

Starts `amzn-qa serve` on a free loopback port (or uses --url, which must be a loopback
address), sends a fixed number of requests, and reports throughput, latency percentiles, every
error, and the server's peak memory (VmHWM). Bounded in count and time; it stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import httpx

from amzn_qa.evaluation.harness import load_split, percentile

MEMORY_BOUND_MB = 3072


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    tmp = Path(tempfile.mkdtemp())
    env = {**os.environ, "AMZN_QA_FEEDBACK_DB": str(tmp / "feedback.sqlite3")}
    proc = subprocess.Popen([sys.executable, "-m", "amzn_qa.frontends.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            index = httpx.get(f"{url}/api/health", timeout=60).json()["index"]
        except (httpx.HTTPError, ValueError):
            time.sleep(0.5)
            continue
        if index["ok"]:
            return proc, url
        proc.kill()
        raise SystemExit(f"the server cannot answer: {index['error']}")
    proc.kill()
    raise SystemExit("server did not start")


def drop_after_first_token(url: str, question: str, deadline: float) -> bool:
    """Stream a question and hang up after the first token; True when a token came first."""
    try:
        with httpx.stream("POST", f"{url}/api/ask/stream", json={"question": question},
                          timeout=max(1.0, deadline - time.time())) as response:
            return any(line == "event: token" for line in response.iter_lines())
    except httpx.HTTPError:
        return False


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--disconnect", type=float, default=0.0, help="share of clients that drop mid-stream")
    args = parser.parse_args()
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests target loopback only")

    proc, url = (None, args.url) if args.url else start_server()
    questions = [c.question for c in load_split("dev") if not c.history]
    httpx.post(f"{url}/api/ask", json={"question": questions[0]}, timeout=300)  # load the model
    deadline = time.time() + args.max_seconds
    latencies, errors, dropped = [], [], []
    drops = {i for i in range(args.requests) if int((i + 1) * args.disconnect) > int(i * args.disconnect)}

    def one(i: int) -> None:
        if time.time() > deadline:
            errors.append(f"request {i}: not sent, time budget spent")
            return
        if i in drops:
            dropped.append(drop_after_first_token(url, questions[i % len(questions)], deadline))
            return
        started = time.perf_counter()
        try:
            response = httpx.post(f"{url}/api/ask", json={"question": questions[i % len(questions)]},
                                  timeout=max(1.0, deadline - time.time()))
            if response.status_code != 200 or "answer" not in response.json():
                errors.append(f"request {i}: HTTP {response.status_code} {response.text[:200]}")
                return
        except httpx.HTTPError as err:
            errors.append(f"request {i}: {type(err).__name__}: {err}")
            return
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(one, range(args.requests)))
    elapsed = time.perf_counter() - started
    after = time.perf_counter()
    try:
        httpx.post(f"{url}/api/ask", json={"question": questions[1]}, timeout=120).raise_for_status()
        answered_after = round(time.perf_counter() - after, 1)
    except httpx.HTTPError as err:
        errors.append(f"question after the load: {type(err).__name__}: {err}")
        answered_after = None
    peak = peak_rss_mb(proc.pid) if proc else None
    if proc:
        proc.terminate()
        proc.wait(timeout=30)
    print(json.dumps({
        "clients": args.clients, "requests": args.requests, "disconnected": sum(dropped),
        "answered": len(latencies), "errors": errors, "next_question_s": answered_after,
        "seconds": round(elapsed, 1), "throughput_per_min": round(len(latencies) / elapsed * 60, 1),
        "latency_s_p50": round(statistics.median(latencies), 1) if latencies else None,
        "latency_s_p95": round(percentile(latencies, 95), 1) if latencies else None,
        "latency_s_p99": round(percentile(latencies, 99), 1) if latencies else None,
        "server_peak_rss_mb": peak, "memory_bound_mb": MEMORY_BOUND_MB,
        "within_memory_bound": peak is not None and peak <= MEMORY_BOUND_MB,
    }, indent=1))
    if errors or (peak is not None and peak > MEMORY_BOUND_MB):
        sys.exit(1)


if __name__ == "__main__":
    main()
