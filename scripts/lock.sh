#!/usr/bin/env bash
# Regenerates the locked dependency sets from pyproject.toml, with exact versions and sha256 hashes:
#
#   locks/runtime.txt   the product (what scripts/bundle.sh ships)
#   locks/dev.txt       the product + the dev and eval extras (what scripts/setup.sh installs)
#   locks/llm.txt       the product + the llm extra (what `scripts/bundle.sh --with-llm` ships)
#
#   bash scripts/lock.sh              # keep the pins already in locks/ that still fit pyproject.toml
#   bash scripts/lock.sh --upgrade    # re-resolve every unpinned (transitive) dependency to its newest release
#
# pip-compile (pip-tools) resolves with this machine's pip configuration, the same view of the indexes
# that `pip install` has: here that is how `torch==2.13.0` resolves to the CPU build lying on disk
# (find-links /opt/wheels) instead of PyPI's multi-GB CUDA build. The script refuses a lock with any
# other torch build. The dev and llm locks are constrained by the runtime lock, so every package they
# share has the same version in all three files (tests/test_locks.py checks this and pyproject's pins).
# locks/constraints.in holds the few extra constraints, each with its reason (e.g. every Python 3.11.x).
set -euo pipefail
cd "$(dirname "$0")/.."
PIP_TOOLS_VERSION=7.6.2
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
UPGRADE=()
case "${1:-}" in
  "") ;;
  --upgrade) UPGRADE=(--upgrade) ;;
  *) echo "用法：bash scripts/lock.sh [--upgrade]" >&2; exit 2 ;;
esac

# pip-tools lives in its own virtualenv outside the project, so the lock never depends on what
# happens to be installed in .venv (and .venv never gains pip-tools' own pins of pip/setuptools).
TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/zhenggaitong/pip-tools-$PIP_TOOLS_VERSION"
if [ ! -x "$TOOLS/bin/pip-compile" ]; then
  echo "安装 pip-tools $PIP_TOOLS_VERSION 到 $TOOLS …" >&2
  rm -rf "$TOOLS"
  "$PYTHON" -m venv "$TOOLS"
  "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "pip-tools==$PIP_TOOLS_VERSION"
fi

mkdir -p locks
work="$(mktemp -d "${TMPDIR:-/tmp}/zgt-lock.XXXXXX")"
trap 'rm -rf "$work"' EXIT

compile() {  # compile OUTPUT [pip-compile options…]
  local out="$1"; shift
  # --allow-unsafe: setuptools (a dependency of torch) is pinned and hashed like everything else.
  # --no-emit-*: no machine-specific index or find-links paths in the committed file.
  # The log is kept only on failure: pip's warnings about this machine's mirror folders are noise.
  if ! "$TOOLS/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
      --no-emit-index-url --no-emit-find-links --no-emit-trusted-host "${UPGRADE[@]}" \
      --output-file "$out" "$@" pyproject.toml >"$work/log" 2>&1; then
    cat "$work/log" >&2
    echo "生成 $out 失败" >&2
    exit 1
  fi
  echo "已生成 $out：$(grep -c '^[A-Za-z0-9]' "$out") 个包" >&2
}

compile locks/runtime.txt --constraint locks/constraints.in
# Pins only (constraint files may not carry hashes): the other locks must agree with the runtime one.
grep -E '^[A-Za-z0-9][A-Za-z0-9._-]*==' locks/runtime.txt | sed -e 's/ *\\$//' >"$work/runtime-pins.txt"
compile locks/dev.txt --extra dev --extra eval --constraint "$work/runtime-pins.txt"
compile locks/llm.txt --extra llm --constraint "$work/runtime-pins.txt"

# Never a CUDA torch: its wheel is several GB and useless on the CPU-only machines this is for.
for lock in locks/runtime.txt locks/dev.txt locks/llm.txt; do
  if ! grep -qE '^torch==[0-9.]+\+cpu ' "$lock"; then
    echo "$lock 中的 torch 不是 CPU 版本（应为 torch==2.13.0+cpu）：$(grep -E '^torch==' "$lock" || echo 无)" >&2
    echo "本机的 pip 配置（pip config list）找不到 CPU 版 torch 的 wheel" >&2
    exit 1
  fi
  if grep -qE '^nvidia-' "$lock"; then
    echo "$lock 含有 CUDA 组件（nvidia-*），拒绝" >&2
    exit 1
  fi
done
# pip-compile writes its own command line into the header and the temporary constraint file into the
# "via" notes; name instead what reproduces the file, so that running this again changes nothing.
sed -i -e 's|^#    pip-compile .*|#    bash scripts/lock.sh|' \
  -e "s|-c $work/runtime-pins.txt|-c locks/runtime.txt|" locks/runtime.txt locks/dev.txt locks/llm.txt
echo "完成。安装：bash scripts/setup.sh（按 locks/dev.txt 校验哈希安装）" >&2
