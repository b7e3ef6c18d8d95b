import dataclasses

import pytest

from amzn_qa import models
from amzn_qa.config import Settings
from amzn_qa.models import BUNDLED_LLMS, ModelUnavailable, assembled_gguf


def test_bytes_that_fail_the_checksum_are_refused(monkeypatch, tmp_path):
    wrong = dataclasses.replace(BUNDLED_LLMS["local"], sha256="0" * 64)
    monkeypatch.setitem(models.BUNDLED_LLMS, "local", wrong)
    with pytest.raises(ModelUnavailable, match="sha256"):
        assembled_gguf("local", tmp_path)
    assert list(tmp_path.iterdir()) == []  # no half-verified file is left to load


def test_deleted_model_is_reassembled_and_verified(tmp_path):
    path = assembled_gguf("local", tmp_path)
    assert path.stat().st_size == BUNDLED_LLMS["local"].size
    path.unlink()
    again = assembled_gguf("local", tmp_path)
    assert models.sha256_of(again) == BUNDLED_LLMS["local"].sha256


def test_tampered_cached_model_is_replaced(tmp_path):
    path = assembled_gguf("local", tmp_path)
    with path.open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00" * 16)
    assert models.sha256_of(assembled_gguf("local", tmp_path)) == BUNDLED_LLMS["local"].sha256


def test_missing_part_package_names_the_fix(monkeypatch, tmp_path):
    fake = dataclasses.replace(BUNDLED_LLMS["local"], distribution="no-such-part{n}")
    monkeypatch.setitem(models.BUNDLED_LLMS, "local", fake)
    with pytest.raises(ModelUnavailable, match="no-such-part1 is not installed; run `make setup`"):
        assembled_gguf("local", tmp_path)


def test_prompt_token_counts_match_the_local_model():
    from llama_cpp import Llama

    from amzn_qa import tokens

    cache_dir = Settings().cache_dir  # the model files are a cache shared with the user's (conftest.py)
    llama = Llama(model_path=str(assembled_gguf("local", cache_dir)), vocab_only=True, verbose=False)
    for text in ["Roughly what does one Trainium 2 chip cost? ~$50-70K", "Power: 12-14GW — “quoted”\n- café"]:
        expected = llama.tokenize(text.encode(), add_bos=False, special=False)
        assert tokens.encoding(cache_dir).encode(text) == expected
