"""Streaming a blocking answer to a web client: shared by /api, /v1 and the chat."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

import anyio


async def cancel_on_disconnect(chunks: Iterator[str], cancel: threading.Event) -> AsyncIterator[str]:
    """Pull a blocking iterator from a worker thread; when the client goes away (Starlette then
    cancels this generator), set `cancel` so the generation behind it stops and frees the model.
    The thread is abandoned rather than awaited: it ends by itself once it sees `cancel`."""
    try:
        while (chunk := await anyio.to_thread.run_sync(next, chunks, None, abandon_on_cancel=True)) is not None:
            yield chunk
    finally:
        cancel.set()
