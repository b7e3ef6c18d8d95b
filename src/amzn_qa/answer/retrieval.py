"""Hybrid retrieval: dense (MiniLM in Chroma) and BM25 keyword ranks fused by reciprocal rank.

Keywords matter for names and figures ("Kiva", "H100", "3.8GW") that a small embedding model
blurs; the dense side catches paraphrase ("new power brought online" for "added capacity").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from amzn_qa.config import Settings
from amzn_qa.ingest.documents import EMPTY_CELL, Unit, row_label, statements
from amzn_qa.ingest.index import (
    IndexUnavailable, load_units, reopened_client, settings_embeddings, vector_store, written_stamp,
)

RRF_K = 60
# How much a statement's share of the question's keywords adds to its cosine similarity: the
# embedding blurs "Q4 2025" into any quarter, the keywords do not.
KEYWORD_WEIGHT = 0.2
STOPWORDS = frozenset(
    """a an and are as at be by can do does did for from has have how i in is it its of on or
    s so than that the their there these this to was what when where which who whom why will with
    would you your about into over per vs me tell give much many any all much
    """.split()
)
_TOKEN = re.compile(r"\$?\d[\d,.]*[a-z%+]*|[a-z][a-z0-9&+]*(?:-[a-z0-9]+)*")


def _stem(word: str) -> str:
    """Crude suffix stripping so 'trains', 'training' and 'trained' meet at 'train'."""
    if word.isalpha() and len(word) > 4:
        for suffix in ("ing", "ed", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                return word[: -len(suffix)]
    return word


def keywords(text: str) -> list[str]:
    """Lower-case terms for BM25; a figure like 3.8gw also yields 3.8 so '3.8 GW' still matches."""
    terms = []
    for token in _TOKEN.findall(text.lower()):
        token = _stem(token.strip(".,").lstrip("$"))
        if not token or token in STOPWORDS:
            continue
        terms.append(token)
        number = re.match(r"\d[\d,.]*\d|\d", token)
        if number and number.group() != token:
            terms.append(number.group().replace(",", ""))
        if "-" in token and not token[0].isdigit():
            terms.extend(part for part in token.split("-") if part not in STOPWORDS)
    return terms


@dataclass(frozen=True)
class Focused:
    """A retrieved unit and the part of it that bears on the question (what the LLM reads)."""

    unit: Unit
    view: str
    relevance: float  # how well its best statement matches the question (cosine + keywords)
    best: str  # that statement

    @property
    def is_blank(self) -> bool:
        """The best match is a table cell the document left empty ("—"): it does not say."""
        return self.unit.kind == "row" and self.best.endswith(f": {EMPTY_CELL}.")


@dataclass(frozen=True)
class Hit:
    unit: Unit
    score: float  # reciprocal-rank fusion score
    similarity: float  # cosine similarity of the dense match (0 when only BM25 found it)
    keyword_score: float  # BM25 score (0 when only the dense side found it)


@dataclass(frozen=True)
class _Corpus:
    """The indexed units and the keyword index over them, swapped whole on reload so a search
    running meanwhile sees one consistent corpus."""

    units: list[Unit]
    by_id: dict[str, Unit]
    bm25: BM25Okapi
    row_names: dict[frozenset[str], Unit]  # keywords of a row's label -> the row it names

    @classmethod
    def of(cls, units: list[Unit]) -> _Corpus:
        return cls(units, {u.id: u for u in units}, BM25Okapi([keywords(u.search_text) for u in units]),
                   rows_by_label(units))


def rows_by_label(units: list[Unit]) -> dict[frozenset[str], Unit]:
    """Table rows whose label (first cell) names them alone: a label of two or more keywords
    that no other row of the documents has ("Custom Silicon", "Graviton 3"). A label many
    tables share ("Competitive Position") is an attribute, not a name."""
    labelled: dict[frozenset[str], list[Unit]] = {}
    for unit in units:
        label = frozenset(keywords(row_label(unit)))
        if len(label) >= 2:
            labelled.setdefault(label, []).append(unit)
    return {label: rows[0] for label, rows in labelled.items() if len(rows) == 1}


def named_rows_first(query: str, hits: list[Hit], corpus_rows: dict[frozenset[str], Unit],
                     documents: Collection[str] | None) -> list[Hit]:
    """The rows the question names by their label ahead of the other hits, fetched if the
    search missed them: "custom silicon vs the AI/ML platform" is answered by the two rows of
    the table that has a row for each, which a search for the whole question ranks low."""
    asked = set(keywords(query))
    named = [unit for label, unit in corpus_rows.items()
             if label <= asked and (documents is None or unit.source in documents)]
    if not named:
        return hits
    found = {h.unit.id: h for h in hits}
    first = sorted((found.pop(u.id, None) or Hit(u, 0.0, 0.0, 0.0) for u in named), key=lambda h: -h.score)
    return first + list(found.values())


class HybridRetriever:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._reloading = threading.RLock()
        self._vectors: dict[str, list[float]] = {}  # statement embeddings; the corpus is small
        self.reload()

    @property
    def units(self) -> list[Unit]:
        return self._corpus.units

    def reload(self) -> None:
        """Pick up what an ingest changed (a document added while serving), without a restart:
        the units and keyword index, and the vector store read from disk anew (searches already
        running finish on the old one)."""
        with self._reloading:
            stamp = written_stamp(self.settings)  # before reading: a write meanwhile is caught next time
            client = reopened_client(self.settings)
            corpus, store = _Corpus.of(self._loaded_units(client)), vector_store(self.settings, client)
            self._corpus, self._store = corpus, store
            self._seen = stamp  # only once read: a failed reload is tried again

    def catch_up(self) -> bool:
        """Reload if an ingest in any process (`amzn-qa ingest` while serving) has written the
        index since it was last read; cheap when nothing was (one small file read). True if it
        reloaded."""
        if written_stamp(self.settings) == self._seen:
            return False
        with self._reloading:  # concurrent questions: one reloads, the others find it done
            if written_stamp(self.settings) == self._seen:
                return False
            self.reload()
        return True

    def _loaded_units(self, client) -> list[Unit]:
        """The index's units. A question never builds the index (answering must not write it,
        nor take an ingest's minutes): a missing or empty one is the user's to fill."""
        units = load_units(self.settings, client)
        if not units:
            where = self.settings.chroma_url or self.settings.index_dir
            raise IndexUnavailable(
                f"the index at {where} is empty or missing: run `amzn-qa ingest` to index the documents "
                f"in {self.settings.corpus_dir}"
            )
        return units

    def retrieve(self, query: str, k: int | None = None, documents: Collection[str] | None = None) -> list[Hit]:
        """The k best units for the query; with `documents` (file names), only units of those."""
        k, corpus = k or self.settings.k, self._corpus
        n = min(self.settings.candidates, len(corpus.units))
        similarity = self._dense(query, n, documents)
        dense_rank = [unit_id for unit_id in similarity if unit_id in corpus.by_id]

        scores = corpus.bm25.get_scores(keywords(query)) if keywords(query) else [0.0] * len(corpus.units)
        allowed = [i for i, u in enumerate(corpus.units) if documents is None or u.source in documents]
        ranked = sorted(allowed, key=lambda i: -scores[i])[:n]
        keyword_score = {corpus.units[i].id: float(scores[i]) for i in ranked if scores[i] > 0}
        keyword_rank = [corpus.units[i].id for i in ranked if scores[i] > 0]

        fused: dict[str, float] = {}
        for ranking in (dense_rank, keyword_rank):
            for rank, unit_id in enumerate(ranking):
                fused[unit_id] = fused.get(unit_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda i: -fused[i])[:k]
        hits = [
            Hit(corpus.by_id[i], fused[i], similarity.get(i, 0.0), keyword_score.get(i, 0.0))
            for i in best
        ]
        return named_rows_first(query, hits, corpus.row_names, documents)[:k]

    def _dense(self, query: str, n: int, documents: Collection[str] | None) -> dict[str, float]:
        """Cosine similarity of the n nearest units (in rank order), within `documents` if given."""
        where = None if documents is None else {"source": {"$in": sorted(documents)}}
        try:
            dense = self._store.similarity_search_with_score(query, k=n, filter=where)
        except Exception as err:
            raise IndexUnavailable(f"the index cannot be searched ({err}); run `amzn-qa ingest --rebuild`") from err
        return {doc.id: 1.0 - distance for doc, distance in dense}

    def focus(
        self, query: str, units: list[Unit], per_unit: int | None = None,
        statement_margin: float | None = None, unit_margin: float | None = None, figure_bonus: float = 0.0,
    ) -> list[Focused]:
        """Each unit cut down to its statements nearest the question, most relevant unit first.

        A small model given a whole table row picks the wrong column, and given five rows the
        wrong row; shown only the cells and bullets that match the question, it copies the right
        one. Units far less relevant than the best are left out of the prompt. A statement with
        a figure scores `figure_bonus` more (for a question that asks for an amount).
        """
        cut = [statements(u) for u in units]
        texts = [f"{c.lead} {item}".strip() for c in cut for item in c.items]
        items = [item for c in cut for item in c.items]
        scores = iter(score + figure_bonus * bool(re.search(r"\d", item))
                      for score, item in zip(self._statement_scores(query, texts), items))
        focused = []
        for unit, c in zip(units, cut):
            ranked = sorted(((next(scores), i) for i in range(len(c.items))), reverse=True)
            best = ranked[0][0]
            chosen = [i for score, i in ranked[: per_unit or self.settings.statements_per_unit]
                      if score >= best - (statement_margin if statement_margin is not None else self.settings.statement_margin)]
            focused.append(Focused(unit, c.view(chosen), best, c.items[ranked[0][1]]))
        top = max(f.relevance for f in focused)
        margin = unit_margin if unit_margin is not None else self.settings.unit_margin
        focused = [f for f in focused if f.relevance >= top - margin]
        return sorted(focused, key=lambda f: -f.relevance)

    def ranked_statements(self, query: str, units: list[Unit]) -> list[tuple[float, Unit, str]]:
        """Every statement of the units with how well it matches the query, best first."""
        pairs = [(u, item) for u in units for item in statements(u).items]
        leads = {u.id: statements(u).lead for u in units}
        scores = self._statement_scores(query, [f"{leads[u.id]} {item}".strip() for u, item in pairs])
        return sorted(((score, u, item) for score, (u, item) in zip(scores, pairs)), key=lambda s: -s[0])

    def _statement_scores(self, query: str, texts: list[str]) -> list[float]:
        """Cosine similarity of each statement to the query, plus the share of the query's
        keywords it has."""
        vectors = self._statement_vectors(texts)
        question = settings_embeddings(self.settings).embed_query(query)
        asked = set(keywords(query))
        return [
            sum(q * v for q, v in zip(question, vector))
            + KEYWORD_WEIGHT * len(asked & set(keywords(text))) / max(len(asked), 1)
            for text, vector in zip(texts, vectors)
        ]

    def _statement_vectors(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, settings_embeddings(self.settings).embed_documents(missing)))
        return [self._vectors[t] for t in texts]
