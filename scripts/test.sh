#!/usr/bin/env bash
# One command on a fresh machine: set up, lint, type-check, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The web test drives a real Chromium from Debian's packages (never a browser downloaded by a test tool).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
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
