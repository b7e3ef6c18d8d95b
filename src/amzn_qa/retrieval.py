"""Hybrid retrieval: dense (MiniLM in Chroma) and BM25 keyword ranks fused by reciprocal rank.

Keywords matter for names and figures ("Kiva", "H100", "3.8GW") that a small embedding model
blurs; the dense side catches paraphrase ("new power brought online" for "added capacity").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from .config import Settings
from .documents import EMPTY_CELL, Unit, statements
from .index import IndexUnavailable, embeddings, index_is_empty, ingest, load_units, open_client, vector_store

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


class HybridRetriever:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        client = open_client(settings)
        if index_is_empty(settings, client):
            ingest(settings, progress=False)  # first use builds the index
        self.units = load_units(settings, client)
        if not self.units:
            raise IndexUnavailable(
                f"the index holds no units: add .md documents to {settings.corpus_dir} "
                "and run `amzn-qa ingest`"
            )
        self._by_id = {u.id: u for u in self.units}
        self._store = vector_store(settings, client)
        self._bm25 = BM25Okapi([keywords(u.search_text) for u in self.units])
        self._vectors: dict[str, list[float]] = {}  # statement embeddings; the corpus is small

    def retrieve(self, query: str, k: int | None = None) -> list[Hit]:
        k = k or self.settings.k
        n = min(self.settings.candidates, len(self.units))
        try:
            dense = self._store.similarity_search_with_score(query, k=n)
        except Exception as err:
            raise IndexUnavailable(f"the index cannot be searched ({err}); run `amzn-qa ingest --rebuild`") from err
        similarity = {doc.id: 1.0 - distance for doc, distance in dense}
        dense_rank = [doc.id for doc, _ in dense if doc.id in self._by_id]

        scores = self._bm25.get_scores(keywords(query)) if keywords(query) else [0.0] * len(self.units)
        ranked = sorted(range(len(self.units)), key=lambda i: -scores[i])[:n]
        keyword_score = {self.units[i].id: float(scores[i]) for i in ranked if scores[i] > 0}
        keyword_rank = [self.units[i].id for i in ranked if scores[i] > 0]

        fused: dict[str, float] = {}
        for ranking in (dense_rank, keyword_rank):
            for rank, unit_id in enumerate(ranking):
                fused[unit_id] = fused.get(unit_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=lambda i: -fused[i])[:k]
        return [
            Hit(self._by_id[i], fused[i], similarity.get(i, 0.0), keyword_score.get(i, 0.0))
            for i in best
        ]

    def focus(
        self, query: str, units: list[Unit], per_unit: int | None = None,
        statement_margin: float | None = None, unit_margin: float | None = None,
    ) -> list[Focused]:
        """Each unit cut down to its statements nearest the question, most relevant unit first.

        A small model given a whole table row picks the wrong column, and given five rows the
        wrong row; shown only the cells and bullets that match the question, it copies the right
        one. Units far less relevant than the best are left out of the prompt.
        """
        cut = [statements(u) for u in units]
        texts = [f"{c.lead} {item}".strip() for c in cut for item in c.items]
        vectors = self._statement_vectors(texts)
        question = embeddings().embed_query(query)
        asked = set(keywords(query))
        scores = iter([
            sum(q * v for q, v in zip(question, vector))
            + KEYWORD_WEIGHT * len(asked & set(keywords(text))) / max(len(asked), 1)
            for text, vector in zip(texts, vectors)
        ])
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

    def section_text(self, units: list[Unit]) -> str:
        """Everything in the sections these units come from."""
        sections = {(u.source, u.section) for u in units}
        return "\n".join(u.text for u in self.units if (u.source, u.section) in sections)

    def _statement_vectors(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, embeddings().embed_documents(missing)))
        return [self._vectors[t] for t in texts]
