#!/usr/bin/env bash
# One command on a fresh machine: set up, index docs_src/ (incrementally), open the web app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/python -m assistant index
exec .venv/bin/python app.py "$@"
