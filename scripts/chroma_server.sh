#!/usr/bin/env bash
# A local Chroma server for ZGT_CHROMA_MODE=server (the `chroma` CLI that ships with chromadb).
#
#   bash scripts/chroma_server.sh [DATA_DIR] [PORT] [HOST]
#   ZGT_CHROMA_MODE=server ZGT_CHROMA_PORT=8000 python -m assistant index
#
# Defaults: data/chroma-server, ZGT_CHROMA_PORT (8000), ZGT_CHROMA_HOST (127.0.0.1). The server has no
# login of its own, so it only listens on loopback unless ZGT_CHROMA_ALLOW_REMOTE=1 is set (then put it
# behind a firewall or an authenticating proxy). Nothing is sent anywhere: telemetry is off.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${1:-${ZGT_CHROMA_PATH:-$ROOT/data/chroma-server}}"
PORT="${2:-${ZGT_CHROMA_PORT:-8000}}"
HOST="${3:-${ZGT_CHROMA_HOST:-127.0.0.1}}"

case "$HOST" in
  127.*|localhost|::1) ;;
  *)
    if [ "${ZGT_CHROMA_ALLOW_REMOTE:-0}" != 1 ]; then
      echo "Chroma 服务没有登录保护，默认只监听本机（127.0.0.1）。确需对外开放请设置 ZGT_CHROMA_ALLOW_REMOTE=1。" >&2
      exit 2
    fi
    ;;
esac

if [ -x "$ROOT/.venv/bin/chroma" ]; then
  CHROMA="$ROOT/.venv/bin/chroma"
elif command -v chroma >/dev/null 2>&1; then
  CHROMA="$(command -v chroma)"
else
  echo "找不到 chroma 命令：请先运行 bash scripts/setup.sh（chromadb 自带 chroma 命令）。" >&2
  exit 1
fi

mkdir -p "$DIR"
export ANONYMIZED_TELEMETRY=False CHROMA_ANONYMIZED_TELEMETRY=False NO_COLOR=1
echo "Chroma 服务：http://$HOST:$PORT  数据目录：$DIR" >&2
exec "$CHROMA" run --path "$DIR" --host "$HOST" --port "$PORT"
