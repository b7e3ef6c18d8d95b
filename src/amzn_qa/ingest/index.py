"""Embeddings and the Chroma store: incremental, crash-tolerant ingestion of the corpus.

The same code drives an embedded store in `index/` or a Chroma server (settings.chroma_url).
Ingest upserts a document's new units before deleting its stale ones, so a crash at any point
leaves an index that still answers, and the next ingest finishes the job.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from typing import TYPE_CHECKING  # noqa: E402

from amzn_qa.config import Settings  # noqa: E402
from amzn_qa.ingest.convert import DOCUMENT_SUFFIXES, Converted, DocumentError, prune_cache, to_markdown  # noqa: E402
from amzn_qa.ingest.documents import (  # noqa: E402
    CHUNKER_VERSION, Unit, assistant_addresses, chunk_markdown, corpus_files,
)
from amzn_qa.ingest.catalog import document_info, overrides_for, read_catalog, with_info  # noqa: E402
from amzn_qa.ingest.lock import LockTimeout, exclusive  # noqa: E402
from amzn_qa.ingest.hidden import Hidden  # noqa: E402
from amzn_qa.ingest.embedding_cache import CachedEmbeddings  # noqa: E402
from amzn_qa.models import embedding_model_dir, embedding_model_id  # noqa: E402

if TYPE_CHECKING:  # chromadb takes seconds to import: `amzn-qa add` refuses a bad file without it
    import chromadb
    from langchain_chroma import Chroma
    from tqdm import tqdm

BATCH = 64
REBUILD_HINT = "run `amzn-qa ingest --rebuild`"
# In the index folder, which both modes have (it holds the conversion cache with a Chroma server
# too): writers on this machine take turns, and a running server notices their writes.
LOCK_FILE = ".write.lock"
STAMP_FILE = ".written"
# Chroma's cache of open stores is a class attribute that reopened_client empties: making a
# client and emptying it must not interleave (a client half made would lose its store).
_CHROMA_CACHE = threading.RLock()


class IndexUnavailable(RuntimeError):
    """The index cannot be read or written; the message says what to do."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # "file:line: ..." of every document indexed
    converted: list[str] = field(default_factory=list)  # PDF, DOCX, HTML converted in this run
    reused: list[str] = field(default_factory=list)  # ... whose conversion came from the cache
    hidden: list[tuple[str, Hidden]] = field(default_factory=list)  # (file name, place) left out as invisible
    units: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [
            f"{len(v)} {k}" for k, v in
            [("added", self.added), ("updated", self.updated), ("removed", self.removed),
             ("unchanged", self.unchanged)] if v
        ]
        text = f"index: {self.units} units ({', '.join(parts) or 'no documents'}) in {self.seconds:.1f}s"
        if self.converted or self.reused:
            text += f"; conversions: {len(self.converted)} converted, {len(self.reused)} unchanged (cached)"
        if self.hidden:
            files = len({name for name, _ in self.hidden})
            text += f"; invisible text left out: {len(self.hidden)} place{'s' * (len(self.hidden) != 1)} in {files} document{'s' * (files != 1)}"
        warnings = [f"warning: {w}" for w in [f"{name}: {place}" for name, place in self.hidden] + self.warnings]
        return "\n".join([text] + [f"skipped {p}" for p in self.problems] + warnings)


_EMBEDDER_LOADING = threading.Lock()  # a server's warm-up and its first question may both ask for it


def _embedder():
    with _EMBEDDER_LOADING:
        return _loaded_embedder()


@lru_cache(maxsize=1)
def _loaded_embedder():
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(embedding_model_dir()),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )


@lru_cache(maxsize=4)
def embeddings(cache_dir: Path | None = None):
    """The embedder, loaded once per process; with a cache folder, behind the store of the vectors
    it has made (settings.embedding_cache)."""
    if cache_dir is None:
        return _embedder()
    return CachedEmbeddings(_embedder, cache_dir / "embeddings.sqlite3", f"{embedding_model_id()} normalized")


def settings_embeddings(settings: Settings):
    return embeddings(settings.cache_dir if settings.embedding_cache else None)


@contextmanager
def _index_errors(settings: Settings):
    try:
        yield
    except IndexUnavailable:
        raise
    except Exception as err:  # chromadb raises many unrelated types for a damaged store
        where = settings.chroma_url or settings.index_dir
        raise IndexUnavailable(
            f"the index at {where} cannot be used ({type(err).__name__}: {err}); {REBUILD_HINT}"
        ) from err


def open_client(settings: Settings) -> chromadb.ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    with _index_errors(settings):
        if settings.uses_chroma_server:
            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        with _CHROMA_CACHE:
            return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


def reopened_client(settings: Settings) -> chromadb.ClientAPI:
    """A client that reads the embedded store from disk anew. Chroma keeps one store per folder
    per process, and its vector index never sees what another process (an `amzn-qa ingest`
    beside a server) wrote; forgetting the cached stores makes the next client read afresh
    (clients already made keep working on theirs)."""
    with _CHROMA_CACHE:
        if not settings.uses_chroma_server:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        return open_client(settings)


def vector_store(settings: Settings, client: chromadb.ClientAPI, name: str | None = None) -> Chroma:
    from langchain_chroma import Chroma

    with _index_errors(settings):
        return Chroma(
            collection_name=name or settings.collection,
            embedding_function=settings_embeddings(settings),
            client=client,
            collection_metadata={"hnsw:space": "cosine"},
        )


def unit_from_record(unit_id: str, meta: dict) -> Unit:
    return Unit(
        unit_id, meta["source"], meta["section"], meta["kind"], meta["text"],
        int(meta["start_line"]), int(meta["end_line"]), meta.get("title", ""),
        bool(meta.get("addresses_assistant", False)), meta.get("document_title", ""),
        meta.get("document_date", ""), meta.get("ticker", ""),
        int(meta["page"]) if meta.get("page") is not None else None,
    )


def converted_dir(settings: Settings) -> Path:
    """Where conversions of PDF, DOCX and HTML files are kept, by content hash."""
    return settings.index_dir / "converted"


def load_units(settings: Settings, client: chromadb.ClientAPI) -> list[Unit]:
    """Every unit in the index, in document order."""
    with _index_errors(settings):
        if settings.collection not in {c.name for c in client.list_collections()}:
            return []
        got = client.get_collection(settings.collection).get(include=["metadatas"])
        units = [unit_from_record(i, m) for i, m in zip(got["ids"], got["metadatas"])]
    return sorted(units, key=lambda u: (u.source, u.start_line, u.kind != "row"))


def _write_units(store: Chroma, units: list[Unit], doc_sha: str, bar: tqdm) -> None:
    for start in range(0, len(units), BATCH):
        batch = units[start : start + BATCH]
        store.add_texts(
            texts=[u.search_text for u in batch],
            metadatas=[{**u.metadata(), "doc_sha": doc_sha} for u in batch],
            ids=[u.id for u in batch],
        )
        bar.update(len(batch))


def _plan(settings: Settings, report: IngestReport) -> dict[str, tuple[str, list[Unit]]]:
    """Read (or convert) and chunk every document, its metadata on every unit; broken ones are
    reported and left as they were."""
    try:
        catalog = read_catalog(settings.corpus_dir)
    except DocumentError as err:
        report.problems.append(str(err))
        catalog = {}
    plan, conversions = {}, set()
    for path in corpus_files(settings.corpus_dir):
        try:
            document = to_markdown(path, converted_dir(settings))
        except DocumentError as err:
            report.problems.append(str(err))
            continue
        if document.key:
            conversions.add(document.key)
            (report.converted if document.converted else report.reused).append(path.name)
        text = document.text
        info = document_info(path.name, text, overrides_for(catalog, path.name))
        units = _paged(with_info(chunk_markdown(text, path.name), info), document)
        report.warnings += [str(a) for a in assistant_addresses(text, path.name)]
        report.hidden += [(path.name, hidden) for hidden in document.hidden]
        # The metadata and page breaks are part of what is indexed: a change re-ingests.
        pages = f"\n{list(document.page_starts)}" if document.page_starts else ""
        digest = hashlib.sha256(f"{CHUNKER_VERSION}{pages}\n{info}\n{text}".encode()).hexdigest()
        plan[path.name] = (digest, units)
    prune_cache(converted_dir(settings), conversions)
    return plan


def _paged(units: list[Unit], document: Converted) -> list[Unit]:
    """Each unit with the page of its first line, when the document has pages."""
    if not document.page_starts:
        return units
    return [replace(u, page=document.page_of(u.start_line)) for u in units]


def ingest(settings: Settings, rebuild: bool = False, progress: bool = True) -> IngestReport:
    """Bring the index in line with the corpus. The whole read-convert-write holds the index's
    write lock: a second writer (ingest, add, the chat's upload) waits for this one."""
    with writing(settings):
        return _ingest(settings, rebuild, progress)


def _ingest(settings: Settings, rebuild: bool, progress: bool) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    plan = _plan(settings, report)
    broken = {p.split(":", 1)[0] for p in report.problems}
    if rebuild and not settings.uses_chroma_server:
        _drop_unreadable_store(settings)
    client = reopened_client(settings)  # the store as the last writer, maybe another process, left it
    target = f"{settings.collection}__rebuild" if rebuild else settings.collection
    with _index_errors(settings):
        if rebuild and target in {c.name for c in client.list_collections()}:
            client.delete_collection(target)
        store = vector_store(settings, client, target)
        collection = client.get_collection(target)
        existing = _existing(collection)
        todo = _changed(plan, existing, report)
        try:
            _write_changes(store, collection, todo, existing, progress)
            for source in sorted(set(existing) - set(plan) - broken):
                collection.delete(where={"source": source})
                report.removed.append(source)
            if rebuild:
                _rename(client, collection, settings.collection)
        finally:  # a write cut short has changed the index too
            if todo or report.removed or rebuild:
                _mark_written(settings)
        report.units = client.get_collection(settings.collection).count()
    report.seconds = time.perf_counter() - started
    return report


def _existing(collection) -> dict[str, dict[str, str]]:
    """The indexed units: source -> unit id -> the digest of the document they came from."""
    existing: dict[str, dict[str, str]] = {}
    got = collection.get(include=["metadatas"])
    for unit_id, meta in zip(got["ids"], got["metadatas"]):
        existing.setdefault(meta["source"], {})[unit_id] = meta.get("doc_sha", "")
    return existing


def _changed(plan: dict[str, tuple[str, list[Unit]]], existing: dict[str, dict[str, str]],
             report: IngestReport) -> dict[str, tuple[str, list[Unit]]]:
    """The planned documents whose units differ from the indexed ones (noted in the report)."""
    todo = {}
    for source, (doc_sha, units) in plan.items():
        old = existing.get(source, {})
        if set(old) == {u.id for u in units} and set(old.values()) == {doc_sha}:
            report.unchanged.append(source)
        else:
            todo[source] = (doc_sha, units)
            (report.updated if old else report.added).append(source)
    return todo


def _write_changes(store: Chroma, collection, todo: dict[str, tuple[str, list[Unit]]],
                   existing: dict[str, dict[str, str]], progress: bool) -> None:
    """Each changed document's new units upserted before its stale ones are deleted."""
    from tqdm import tqdm

    total = sum(len(units) for _, units in todo.values())
    with tqdm(total=total, desc="embedding", unit="unit", disable=not progress or not total) as bar:
        for source, (doc_sha, units) in todo.items():
            _write_units(store, units, doc_sha, bar)
            stale = set(existing.get(source, {})) - {u.id for u in units}
            if stale:
                collection.delete(ids=sorted(stale))


def _rename(client: chromadb.ClientAPI, collection, name: str) -> None:
    """The rebuilt collection replaces the old one."""
    if name in {c.name for c in client.list_collections()}:
        client.delete_collection(name)
    collection.modify(name=name)


@contextmanager
def writing(settings: Settings) -> Iterator[None]:
    """Hold the index's write lock (re-entrant in a thread: add_document holds it and calls
    ingest). Another writer holding it is waited for, with one message, for up to
    settings.write_lock_seconds; then IndexUnavailable says so."""
    where, seconds = settings.chroma_url or settings.index_dir, settings.write_lock_seconds
    waiting = f"another ingest is writing the index at {where}; waiting up to {seconds:g} s…"
    with ExitStack() as held:
        try:
            held.enter_context(exclusive(settings.index_dir / LOCK_FILE, seconds, waiting))
        except LockTimeout:
            raise IndexUnavailable(
                f"another ingest was still writing the index at {where} after {seconds:g} s of waiting; try "
                "again when it has finished (AMZN_QA_WRITE_LOCK_SECONDS sets how long to wait)"
            ) from None
        yield


def written_stamp(settings: Settings) -> str:
    """Changes whenever an ingest, in any process on this machine, has written the index: a
    running server compares it before each question (one small file read) to reload."""
    try:
        return (settings.index_dir / STAMP_FILE).read_text()
    except OSError:
        return ""


def _mark_written(settings: Settings) -> None:
    stamp = settings.index_dir / STAMP_FILE
    partial = stamp.with_name(f"{STAMP_FILE}.partial")  # the lock is held: one writer of it
    with suppress(OSError):  # the index is written; failing to announce it must not fail ingest
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        partial.write_text(f"{time.time_ns()} {os.getpid()}\n")
        partial.replace(stamp)


def _drop_unreadable_store(settings: Settings) -> None:
    """--rebuild must work even when the embedded store is too damaged to open."""
    try:
        open_client(settings).list_collections()
    except IndexUnavailable:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
        _clear_index_dir(settings)


def _clear_index_dir(settings: Settings) -> None:
    """Everything in the index folder but the write lock, which this ingest holds: a new lock
    file in its place would let a second writer in."""
    for entry in settings.index_dir.iterdir():
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with suppress(OSError):
                entry.unlink()


_SAFE_NAME = re.compile(r"^[A-Za-z0-9][\w.\- ]{0,150}$")


def check_new_document(settings: Settings, path: Path, name: str) -> None:
    """A document may join the corpus only as a readable file of a known type, within the size
    limit, under a plain file name that no other document has."""
    if Path(name).suffix.lower() not in DOCUMENT_SUFFIXES:
        raise DocumentError(f"{name}: only {', '.join(DOCUMENT_SUFFIXES)} documents can be added")
    if not _SAFE_NAME.match(name) or Path(name).name != name:
        raise DocumentError(f"{name}: use a plain file name (letters, digits, spaces, '.', '_', '-')")
    size = path.stat().st_size if path.is_file() else -1
    if size < 0:
        raise DocumentError(f"{name}: no such file")
    if size > settings.max_document_bytes:
        raise DocumentError(f"{name}: {size} bytes; the limit is {settings.max_document_bytes}")
    to_markdown(path, converted_dir(settings))  # the one read path (cached for the ingest that follows)
    _check_name_is_free(settings, path, name)


def _check_name_is_free(settings: Settings, path: Path, name: str) -> None:
    target = settings.corpus_dir / name
    if target.exists() and target.read_bytes() != path.read_bytes():
        raise DocumentError(f"{name}: the corpus already has a different document of that name; rename the file")


def add_document(settings: Settings, path: Path, name: str | None = None) -> IngestReport:
    """Copy a checked document into the corpus (as `name`, default its own) and ingest it; the
    other documents are left as they are (ingest is incremental). The copy and the ingest hold
    the write lock together: a writer that gives up waiting has copied nothing, and an ingest
    running meanwhile never indexes a document that is then taken back."""
    name = name or path.name
    check_new_document(settings, path, name)  # before waiting: a refused file need not queue
    with writing(settings):
        _check_name_is_free(settings, path, name)  # another add may have taken it meanwhile
        return _copy_and_ingest(settings, path, name)


def _copy_and_ingest(settings: Settings, path: Path, name: str) -> IngestReport:
    target, partial = settings.corpus_dir / name, settings.corpus_dir / f".{name}.adding"
    existed = target.exists()
    try:
        settings.corpus_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, partial)  # not a document until renamed: never half-read
        partial.replace(target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise DocumentError(f"{name}: cannot be copied into {settings.corpus_dir} ({err.strerror})") from err
    try:
        return ingest(settings, progress=False)
    except Exception:
        if not existed:
            target.unlink(missing_ok=True)  # a document that was not indexed is not left behind
        raise
