#!/usr/bin/env bash
# Builds the offline bundle (内网部署安装包): one archive with everything an intranet machine with no
# route to any package registry needs to install and run 整改通.
#
#   bash scripts/bundle.sh                      # dist/zhenggaitong-<version>-linux-x86_64.tar (+ .sha256)
#   bash scripts/bundle.sh --with-llm           # + llama-cpp-python and the 1.5B GGUF (scripts/setup_llm.sh 1.5b first)
#   bash scripts/bundle.sh --platform aarch64   # wheels for manylinux aarch64 (Kunpeng, Phytium)
#   options: --out DIR (default dist/), --wheelhouse DIR (default ~/.cache/zhenggaitong/wheelhouse)
#
# Contents: the wheels of locks/runtime.txt (locks/llm.txt with --with-llm), each checked against the
# lock's sha256; the project's own wheel; docs_src/ as docs/ with their passage vectors (vectors.sqlite); install.sh, rollback.sh, 安装说明.md and
# install_service.sh with the systemd unit and logrotate templates (deploy/);
# requirements.txt (every shipped wheel by its sha256), bundle.env and SHA256SUMS (every file).
# Wheels are gathered in a wheelhouse folder kept between runs (scripts/wheelhouse.py), so only the first
# bundle downloads anything; this machine's pip configuration supplies torch's CPU build.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
started=$SECONDS

WITH_LLM=0
ARCH="$(uname -m)"
OUT="$ROOT/dist"
WHEELHOUSE="${ZGT_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/zhenggaitong/wheelhouse}"
while [ $# -gt 0 ]; do
  case "$1" in
    --with-llm) WITH_LLM=1 ;;
    --platform) ARCH="${2:?--platform 需要参数（x86_64 或 aarch64）}"; shift ;;
    --out) OUT="${2:?--out 需要参数}"; shift ;;
    --wheelhouse) WHEELHOUSE="${2:?--wheelhouse 需要参数}"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "未知参数：$1（用法：bash scripts/bundle.sh [--with-llm] [--platform aarch64] [--out DIR]）" >&2; exit 2 ;;
  esac
  shift
done
case "$ARCH" in
  x86_64|amd64) ARCH=x86_64 ;;
  aarch64|arm64) ARCH=aarch64 ;;
  *) echo "不支持的平台：$ARCH（可选 x86_64、aarch64）" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

# The Python that runs pip: the project's own (it has `packaging` for the dependency check).
if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"
elif [ -x .venv/bin/python ]; then PY=.venv/bin/python
else PY=python3.11
fi
VERSION="$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
LOCK=locks/runtime.txt
SUFFIX=""
if [ "$WITH_LLM" = 1 ]; then LOCK=locks/llm.txt; SUFFIX=-llm; fi
NAME="zhenggaitong-$VERSION-linux-$ARCH$SUFFIX"
STAGE="$OUT/.stage/$NAME"
rm -rf "$STAGE"
mkdir -p "$STAGE/wheels"
# Whatever goes wrong, no half-built bundle is left under its real name.
trap 'rm -rf "$OUT/.stage/$NAME" "$OUT/$NAME.tar.partial"' EXIT

# torch for aarch64: PyPI's 2.13.0 there is a CUDA 13 build (+ several GB of nvidia-* wheels); 2.9.1 is
# the CPU build (sentence-transformers needs torch>=2.2). On x86_64 the lock's 2.13.0+cpu is used.
TORCH_OTHER="${ZGT_AARCH64_TORCH:-2.9.1}"
echo "== 收集依赖 wheel（$LOCK，linux $ARCH）" >&2
"$PY" scripts/wheelhouse.py --lock "$LOCK" --platform "$ARCH" --wheelhouse "$WHEELHOUSE" --torch-version "$TORCH_OTHER" \
  --dest "$STAGE/wheels" --requirements "$STAGE/requirements.txt" --report "$OUT/$NAME.wheels.txt" \
  --env-out "$STAGE/sizes.env"
# shellcheck disable=SC1091
. "$STAGE/sizes.env"
rm "$STAGE/sizes.env"
if [ "$INCOMPLETE" = 1 ]; then
  grep -E '^需要|未随包提供' "$OUT/$NAME.wheels.txt" >&2 || true
  echo "有依赖没有 $ARCH 的 wheel，未生成安装包。清单：$OUT/$NAME.wheels.txt" >&2
  exit 3
fi

echo "== 构建本项目的 wheel" >&2
# setuptools copies sources into build/ and never removes what is gone from the tree: start clean.
rm -rf build
"$PY" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$OUT/.stage/project" . >&2
PROJECT_WHEEL="$OUT/.stage/project/zhenggaitong-$VERSION-py3-none-any.whl"
[ -f "$PROJECT_WHEEL" ] || { echo "没有生成 $PROJECT_WHEEL" >&2; exit 1; }
mv "$PROJECT_WHEEL" "$STAGE/wheels/"
rm -rf "$OUT/.stage/project"
echo "zhenggaitong==$VERSION --hash=sha256:$(sha256sum "$STAGE/wheels/$(basename "$PROJECT_WHEEL")" | cut -d' ' -f1)" \
  >>"$STAGE/requirements.txt"

cp -R docs_src "$STAGE/docs"
# The sample documents' passage vectors (from this machine's embedding cache, or computed once): the
# installer's first index then reads them instead of spending minutes on the encoder.
echo "== 随附默认文档的段落向量" >&2
if ! "$PY" -m assistant pack-vectors "$STAGE/vectors.sqlite" docs_src >&2; then
  rm -f "$STAGE/vectors.sqlite"
  echo "未能生成段落向量：安装包照常生成，安装时的首次索引会自行计算（多用几分钟）" >&2
fi
cp deploy/install.sh deploy/rollback.sh deploy/安装说明.md scripts/install_service.sh "$STAGE/"
mkdir -p "$STAGE/deploy"
cp deploy/zhenggaitong.service deploy/zhenggaitong.logrotate "$STAGE/deploy/"
cp "$OUT/$NAME.wheels.txt" "$STAGE/wheels.txt"

MODEL=""
MODEL_MB=0
if [ "$WITH_LLM" = 1 ]; then
  # The model scripts/setup_llm.sh 1.5b assembled and verified; checked again here against its sha256.
  MODEL=qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
  MODEL_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
  src="${MODELS_DIR:-data/models}/$MODEL"
  if [ ! -f "$src" ]; then
    echo "没有找到模型 $src：请先运行 bash scripts/setup_llm.sh 1.5b" >&2
    exit 1
  fi
  echo "== 校验并加入模型 $MODEL" >&2
  [ "$(sha256sum "$src" | cut -d' ' -f1)" = "$MODEL_SHA256" ] || { echo "模型 $src 校验失败" >&2; exit 1; }
  mkdir -p "$STAGE/models"
  ln "$src" "$STAGE/models/$MODEL" 2>/dev/null || cp "$src" "$STAGE/models/$MODEL"
  MODEL_MB=$(( $(stat -c %s "$src") / 1000000 ))
fi

cat >"$STAGE/bundle.env" <<EOF
ZGT_BUNDLE_NAME=$NAME
ZGT_BUNDLE_VERSION=$VERSION
ZGT_BUNDLE_ARCH=$ARCH
ZGT_BUNDLE_PYTHON=3.11
ZGT_BUNDLE_GLIBC_MIN=$GLIBC_MIN
ZGT_BUNDLE_WHEELS=$((WHEEL_COUNT + 1))
ZGT_BUNDLE_UNPACKED_MB=$UNPACKED_MB
ZGT_BUNDLE_MODEL=$MODEL
ZGT_BUNDLE_MODEL_MB=$MODEL_MB
ZGT_BUNDLE_CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF

# Every file by its sha256: install.sh checks them all before it touches anything.
(cd "$STAGE" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | tr '\n' '\0' \
  | xargs -0 sha256sum >SHA256SUMS)

echo "== 打包" >&2
# No compression: the wheels and the model are compressed already. The small files come first, so
# that even a truncated archive yields install.sh, which then refuses it.
first=(install.sh rollback.sh 安装说明.md bundle.env SHA256SUMS requirements.txt wheels.txt install_service.sh deploy
       docs wheels)
[ -f "$STAGE/vectors.sqlite" ] && first+=(vectors.sqlite)
[ "$WITH_LLM" = 1 ] && first+=(models)
tar -cf "$OUT/$NAME.tar.partial" -C "$OUT/.stage" "${first[@]/#/$NAME/}"
mv -f "$OUT/$NAME.tar.partial" "$OUT/$NAME.tar"
(cd "$OUT" && sha256sum "$NAME.tar" >"$NAME.tar.sha256")
rm -rf "$OUT/.stage/$NAME"
rmdir "$OUT/.stage" 2>/dev/null || true
trap - EXIT

size=$(stat -c %s "$OUT/$NAME.tar")
echo "安装包：$OUT/$NAME.tar"
echo "大小：$((size / 1000000)) MB（$size 字节），$((WHEEL_COUNT + 1)) 个 wheel${MODEL:+，含模型 $MODEL}"
echo "sha256：$(cut -d' ' -f1 "$OUT/$NAME.tar.sha256")（已写入 $NAME.tar.sha256）"
echo "用时 $((SECONDS - started)) 秒。在目标机器上：tar -xf $NAME.tar && bash $NAME/install.sh /opt/zhenggaitong"
