"""A tiktoken encoding for prompt budgets, built from the bundled model's own vocabulary.

tiktoken's published encodings are downloaded on first use, which this offline product cannot
do. The bundled Qwen2.5 GGUF carries a byte-level BPE vocabulary whose token ids are its merge
ranks, which is exactly what tiktoken needs: counts match what the local model will see, and
they are a close estimate for other providers.
"""

from __future__ import annotations

import base64
import threading
from functools import lru_cache
from pathlib import Path

import tiktoken

# Qwen2's pre-tokenizer pattern (from its tokenizer.json).
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_NORMAL_TOKEN = 1
_lock = threading.Lock()


def _byte_decoder() -> dict[str, int]:
    """Inverse of GPT-2's bytes_to_unicode, the byte-level alphabet of Qwen2's vocabulary."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    shift = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + shift)
            shift += 1
    return {chr(code): byte for byte, code in zip(printable, codes)}


def _ranks_from_gguf(gguf_path: Path) -> dict[bytes, int]:
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_path))
    tokens = reader.fields["tokenizer.ggml.tokens"]
    types = reader.fields["tokenizer.ggml.token_type"]
    decoder = _byte_decoder()
    ranks: dict[bytes, int] = {}
    for token_id, (token_idx, type_idx) in enumerate(zip(tokens.data, types.data)):
        if int(types.parts[type_idx][0]) != _NORMAL_TOKEN:
            continue
        piece = bytes(tokens.parts[token_idx]).decode("utf-8")
        ranks[bytes(decoder[ch] for ch in piece)] = token_id
    return ranks


def _load_or_build_ranks(gguf_path: Path, cache_file: Path) -> dict[bytes, int]:
    if cache_file.is_file():
        ranks = {}
        for line in cache_file.read_text().splitlines():
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
        return ranks
    ranks = _ranks_from_gguf(gguf_path)
    partial = cache_file.with_suffix(".partial")
    partial.write_text(
        "".join(f"{base64.b64encode(t).decode()} {r}\n" for t, r in sorted(ranks.items(), key=lambda x: x[1]))
    )
    partial.replace(cache_file)
    return ranks


@lru_cache(maxsize=2)
def encoding(cache_dir: Path) -> tiktoken.Encoding:
    from amzn_qa.models import assembled_gguf

    with _lock:
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache_file = cache_dir / "qwen2.tiktoken"
        gguf_path = None if cache_file.is_file() else assembled_gguf("local", cache_dir)
        ranks = _load_or_build_ranks(gguf_path, cache_file)
    return tiktoken.Encoding(
        name="qwen2", pat_str=QWEN2_PATTERN, mergeable_ranks=ranks, special_tokens={}
    )


def count(text: str, cache_dir: Path) -> int:
    return len(encoding(cache_dir).encode(text, disallowed_special=()))

