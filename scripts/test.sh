#!/usr/bin/env bash
# One command on a fresh machine: set up, lint, type-check, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# System packages from Debian, installed when missing (as root): the web test drives a real Chromium
# (never a browser downloaded by a test tool); scanned test pages are rendered with Noto CJK; the
# .doc/.wps tests convert with headless LibreOffice; OpenCV (used by the OCR engine) needs libGL and GLib.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
# Read once, not piped into grep -q: under pipefail an early grep exit (SIGPIPE) would read as "missing".
libs="$(ldconfig -p 2>/dev/null || true)"
grep -q 'libGL.so.1 ' <<<"$libs" || missing+=(libgl1)
grep -q 'libglib-2.0.so.0 ' <<<"$libs" || missing+=(libglib2.0-0)
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# ZGT_TEST_LLM=1 also installs the local LLM (llama.cpp + Qwen2.5 1.5B) so that the real end-to-end LLM test
# runs; if that install fails, the test is skipped and says why.
if [ "${ZGT_TEST_LLM:-0}" = 1 ]; then
  bash scripts/setup_llm.sh 1.5b || echo "本地大模型安装失败：LLM 端到端测试将跳过" >&2
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
