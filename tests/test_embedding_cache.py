"""The embedding cache: text embedded once is not embedded again, by any index or process, and a
cache that cannot be used only costs time."""

from __future__ import annotations

import logging

import pytest
from langchain_core.embeddings import Embeddings

from amzn_qa.ingest.embedding_cache import CachedEmbeddings


class CountingEmbedder(Embeddings):
    """Vectors from the text's length (exact in float32), counting what it was asked to embed."""

    def __init__(self):
        self.embedded: list[str] = []

    def embed_documents(self, texts):
        self.embedded += texts
        return [[float(len(t)), 0.5, -2.0] for t in texts]

    def embed_query(self, text):
        return self.embed_documents([text])[0]


def cached(tmp_path, model="m1"):
    model_calls = CountingEmbedder()
    loads = []

    def load():
        loads.append(1)
        return model_calls

    return CachedEmbeddings(load, tmp_path / "embeddings.sqlite3", model), model_calls, loads


def test_text_embedded_once_is_read_back_and_the_model_is_not_loaded(tmp_path):
    first, model, _ = cached(tmp_path)
    assert first.embed_documents(["a", "bb", "a"]) == [[1.0, 0.5, -2.0], [2.0, 0.5, -2.0], [1.0, 0.5, -2.0]]
    assert model.embedded == ["a", "bb"]

    again, model, loads = cached(tmp_path)  # another process, the same cache file
    assert again.embed_documents(["bb", "a"]) == [[2.0, 0.5, -2.0], [1.0, 0.5, -2.0]]
    assert loads == [] and model.embedded == []
    assert again.embed_documents(["a", "ccc"])[1] == [3.0, 0.5, -2.0]
    assert model.embedded == ["ccc"]


def test_another_models_vectors_are_not_used(tmp_path):
    cached(tmp_path, "m1")[0].embed_documents(["a"])
    other, model, _ = cached(tmp_path, "m2")
    other.embed_documents(["a"])
    assert model.embedded == ["a"]


def test_a_damaged_cache_is_passed_by_with_one_warning(tmp_path, caplog):
    (tmp_path / "embeddings.sqlite3").write_bytes(b"not a database" * 100)
    cache, model, _ = cached(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert cache.embed_documents(["a", "bb"]) == [[1.0, 0.5, -2.0], [2.0, 0.5, -2.0]]
        assert cache.embed_documents(["a"]) == [[1.0, 0.5, -2.0]]
    assert model.embedded == ["a", "bb", "a"]
    assert len([r for r in caplog.records if "embedding cache" in r.message]) == 1


@pytest.mark.embedder
def test_a_second_index_of_the_same_documents_needs_no_model(make_settings, tmp_path, monkeypatch, request):
    from amzn_qa.ingest import index

    request.addfinalizer(index.embeddings.cache_clear)  # nor may later tests keep the stand-in

    settings = make_settings(cache_dir=tmp_path / "cache")
    first = index.ingest(settings, progress=False)
    vectors = index.open_client(settings).get_collection(settings.collection).get(include=["embeddings"])

    def no_model():
        raise AssertionError("the model was loaded although every text was cached")

    monkeypatch.setattr(index, "_embedder", no_model)
    index.embeddings.cache_clear()  # the cached embedders hold the real loader
    second = make_settings(cache_dir=tmp_path / "cache", index_dir=tmp_path / "second-index")
    assert index.ingest(second, progress=False).units == first.units
    again = index.open_client(second).get_collection(second.collection).get(include=["embeddings"])
    assert dict(zip(again["ids"], again["embeddings"].tolist())) == dict(zip(vectors["ids"], vectors["embeddings"].tolist()))
