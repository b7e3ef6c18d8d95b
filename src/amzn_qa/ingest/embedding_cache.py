"""The embedder behind a store of the vectors it has made, keyed by model and text: a document
indexed again (a rebuild, a second index, a Chroma server beside the embedded store, a CI run)
is not embedded again, and the model is loaded only when some text is new.

The store is one SQLite file, which several processes may read and write at once. It is only a
shortcut: when it cannot be read or written (damaged, locked too long, read-only) the model
embeds as if it were not there, and the first such failure is logged.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)


class CachedEmbeddings(Embeddings):
    def __init__(self, load: Callable[[], Embeddings], path: Path, model: str):
        self._load, self.path, self.model = load, path, model
        self._failed = False

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
        known = self._stored(set(keys))
        new = {key: text for key, text in zip(keys, texts) if key not in known}
        if new:
            made = dict(zip(new, self._load().embed_documents(list(new.values()))))
            self._store(made)
            known.update(made)
        return [known[key] for key in keys]

    def embed_query(self, text: str) -> list[float]:
        return self._load().embed_query(text)

    def _stored(self, keys: set[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        with self._opened() as db:
            if db is None:
                return found
            wanted = sorted(keys)
            for start in range(0, len(wanted), 500):  # SQLite's limit on a statement's parameters
                batch = wanted[start : start + 500]
                rows = db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(batch))})",
                    [self.model, *batch],
                )
                found.update((key, array("f", blob).tolist()) for key, blob in rows)
        return found

    def _store(self, vectors: dict[str, list[float]]) -> None:
        with self._opened() as db:
            if db is not None:
                db.executemany(
                    "INSERT OR IGNORE INTO vectors (model, key, vector) VALUES (?, ?, ?)",
                    [(self.model, key, array("f", vector).tobytes()) for key, vector in vectors.items()],
                )

    @contextmanager
    def _opened(self) -> Iterator[sqlite3.Connection | None]:
        """The store for one read or write, committed on success; None once it has failed."""
        if self._failed:
            yield None
            return
        db = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30)
            with db:
                db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vector BLOB, PRIMARY KEY (model, key))")
        except (sqlite3.Error, OSError) as err:
            if db is not None:
                db.close()
            self._give_up(err)
            yield None
            return
        try:
            with db:
                yield db
        except sqlite3.Error as err:  # the caller goes on with what it has
            self._give_up(err)
        finally:
            db.close()

    def _give_up(self, err: Exception) -> None:
        log.warning("embedding cache %s not used (%s); embedding without it", self.path, err)
        self._failed = True
