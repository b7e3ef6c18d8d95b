"""Hybrid retrieval: dense (MiniLM in Chroma) and BM25 keyword ranks fused by reciprocal rank.

Keywords matter for names and figures ("Kiva", "H100", "3.8GW") that a small embedding model
blurs; the dense side catches paraphrase ("new power brought online" for "added capacity").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from .config import Settings
from .documents import Unit
from .index import IndexUnavailable, index_is_empty, ingest, load_units, open_client, vector_store

RRF_K = 60
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
