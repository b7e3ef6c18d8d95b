"""Thumbs up / down on answers, kept in a local SQLite file for the team to review.

Each vote is one committed transaction in WAL mode, so a write interrupted mid-way (a crash, a
kill) loses at most that vote, never earlier ones.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    liked INTEGER NOT NULL,
    model TEXT NOT NULL
)
"""


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def record(self, question: str, answer: str, citations: list[dict], liked: bool, model: str) -> int:
        with self._lock, self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created, question, answer, citations, liked, model) VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), question, answer, json.dumps(citations, ensure_ascii=False), int(liked), model),
            )
            return int(cursor.lastrowid)

    def all(self) -> list[dict]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM feedback ORDER BY id")]
