#!/usr/bin/env bash
# 整改通 offline installer, shipped inside the bundle that scripts/bundle.sh builds. Needs no network.
#
#   tar -xf zhenggaitong-<version>-linux-<arch>.tar
#   bash zhenggaitong-<version>-linux-<arch>/install.sh [DIR]      # default ./zhenggaitong
#
# Layout of DIR (kept across upgrades: data/, docs/ you added, zhenggaitong.env):
#   versions/<version>-<id>/.venv   one virtualenv per installed bundle (id: the bundle's content hash)
#   current -> versions/…           the version in use; previous -> the one before (bash DIR/rollback.sh)
#   .venv -> current/.venv          so DIR/.venv/bin/zgt and zgt-web always name the version in use
#   zhenggaitong.env                settings (ZGT_*), read by every version through .venv/zhenggaitong.env
#   docs/  data/index  data/embedding_cache.sqlite  data/uploads  data/trash  models/
#
# Order matters: the bundle is verified, then Python, platform and disk space are checked, and only then
# is DIR touched. A new version is installed beside the old one and switched to by renaming a symlink,
# so a failed install (a full disk, say) leaves the version in use as it was. Running it again is safe:
# an installed bundle is not installed twice, and the index is updated incrementally.
#
# Environment: PYTHON (the Python 3.11 to use), ZGT_INSTALL_SKIP_SPACE_CHECK=1 (skip the free-space
# check; for testing the failure path on a full disk).
set -euo pipefail
BUNDLE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NAME="$(basename "$BUNDLE")"
started=$SECONDS

die() {  # die CODE LINE [LINE…]: the first line says what is wrong, the others what to do
  local code="$1"; shift
  printf '错误：%s\n' "$1" >&2
  shift
  if [ $# -gt 0 ]; then printf '      %s\n' "$@" >&2; fi
  exit "$code"
}
step() { printf '== %s\n' "$*"; }

case "${1:-}" in
  -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
  -*) die 2 "未知参数：$1（用法：bash install.sh [安装目录]）" ;;
esac
[ $# -le 1 ] || die 2 "参数过多（用法：bash install.sh [安装目录]）"
DIR="${1:-zhenggaitong}"
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac

# -- 1. The bundle itself: refuse a corrupt or truncated one before anything else -----------------
step "校验安装包"
for tool in sha256sum tar df; do
  command -v "$tool" >/dev/null 2>&1 || die 6 "缺少系统命令 $tool（coreutils / tar）"
done
archive="$(dirname "$BUNDLE")/$NAME.tar"
if [ -f "$archive" ] && [ -f "$archive.sha256" ]; then
  # The archive this folder came from, when it lies beside it: a truncated copy fails here.
  (cd "$(dirname "$archive")" && sha256sum --check --status "$NAME.tar.sha256") \
    || die 3 "安装包 $NAME.tar 与 $NAME.tar.sha256 不符（文件损坏或不完整），未做任何改动。请重新拷贝安装包。"
fi
[ -f "$BUNDLE/SHA256SUMS" ] && [ -f "$BUNDLE/bundle.env" ] \
  || die 3 "安装包不完整（缺少 SHA256SUMS 或 bundle.env），未做任何改动。请重新拷贝并解压安装包。"
if ! bad="$(cd "$BUNDLE" && LC_ALL=C sha256sum --check --quiet SHA256SUMS 2>&1)"; then
  # Not a pipe into head: under pipefail, printf killed by SIGPIPE would end the script with 141.
  head -n 5 <<<"$bad" >&2
  die 3 "安装包内的文件校验失败（损坏或解压不完整），未做任何改动。请重新拷贝安装包并核对 sha256。"
fi
# shellcheck disable=SC1091
. "$BUNDLE/bundle.env"
BUNDLE_ID="$(sha256sum "$BUNDLE/SHA256SUMS" | cut -c1-12)"
VID="$ZGT_BUNDLE_VERSION-$BUNDLE_ID"

# -- 2. The machine: processor, C library, Python 3.11 with venv ----------------------------------
step "检查运行环境"
arch="$(uname -m)"
[ "$arch" = "$ZGT_BUNDLE_ARCH" ] \
  || die 4 "本安装包适用于 $ZGT_BUNDLE_ARCH 处理器，这台机器是 $arch。请使用 $arch 版本的安装包（bundle.sh --platform）。"
glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
if [ -n "$glibc" ] && [ "$(printf '%s\n%s\n' "$ZGT_BUNDLE_GLIBC_MIN" "$glibc" | sort -V | head -n1)" != "$ZGT_BUNDLE_GLIBC_MIN" ]; then
  die 4 "系统 C 库 glibc $glibc 过旧：本安装包至少需要 glibc $ZGT_BUNDLE_GLIBC_MIN（如麒麟 V10、统信 UOS 20、openEuler 20.03、CentOS 8 及以上）。"
fi
PY=""
seen=()
candidates=(python3.11 python3)
[ -n "${PYTHON:-}" ] && candidates=("$PYTHON")  # a Python named explicitly is the only one tried
for cand in "${candidates[@]}"; do
  if ! command -v "$cand" >/dev/null 2>&1; then
    [ -n "${PYTHON:-}" ] && seen+=("PYTHON=$cand 不存在")
    continue
  fi
  if ! ver="$("$cand" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)"; then
    seen+=("$cand 无法运行")
    continue
  fi
  if [ "$ver" = 3.11 ]; then PY="$(command -v "$cand")"; break; fi
  seen+=("$cand 是 Python $ver")
done
if [ -z "$PY" ]; then
  found=""
  for s in ${seen[@]+"${seen[@]}"}; do found+="${found:+；}$s"; done
  die 4 "需要 Python 3.11（本安装包的 wheel 只适用于 CPython 3.11），但${found:-没有找到任何 python3}。" \
    "请先安装 Python 3.11，例如 Debian/Ubuntu：apt install python3.11 python3.11-venv；麒麟/统信/openEuler：dnf install python3.11；" \
    "已安装在别处时用 PYTHON=/路径/python3.11 bash install.sh 指定。"
fi
"$PY" -c 'import venv, ensurepip' 2>/dev/null \
  || die 4 "$PY 缺少 venv/ensurepip 模块，无法创建虚拟环境。Debian/Ubuntu 请安装 python3.11-venv 软件包。"

# -- 3. Disk space, measured on the file system DIR is (or will be) on ----------------------------
VDIR="$DIR/versions/$VID"
need=300  # index, logs and temporary files (MB); the shipped corpus indexes to ~60 MB
[ -f "$VDIR/.complete" ] || need=$((need + ZGT_BUNDLE_UNPACKED_MB * 13 / 10))  # + byte-compiled files
if [ -n "$ZGT_BUNDLE_MODEL" ] && [ ! -f "$DIR/models/$ZGT_BUNDLE_MODEL" ]; then need=$((need + ZGT_BUNDLE_MODEL_MB)); fi
probe="$DIR"
while [ ! -d "$probe" ]; do probe="$(dirname "$probe")"; done
free_mb="$(df -Pm "$probe" | awk 'NR == 2 {print $4}')"
if [ "$free_mb" -lt "$need" ] && [ "${ZGT_INSTALL_SKIP_SPACE_CHECK:-0}" != 1 ]; then
  die 5 "磁盘空间不足：安装到 $DIR 需要约 $need MB，$probe 所在分区只有 $free_mb MB 可用。未做任何改动。" \
    "请清理空间，或换一个目录：bash $BUNDLE/install.sh /其他/目录"
fi

# A folder that holds something else under the names this layout uses is not taken over.
for name in .venv current previous; do
  if [ -e "$DIR/$name" ] && [ ! -L "$DIR/$name" ]; then
    die 1 "$DIR/$name 已存在且不是本安装程序建立的链接，未做任何改动。请换一个安装目录，或移走它后重新运行。"
  fi
done

# -- 4. Install this version beside any other --------------------------------------------------------
mkdir -p "$DIR/versions"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DIR/.install.lock"
  flock -n 9 || die 1 "另一个安装或回退正在进行（$DIR/.install.lock），请稍后再试。"
fi
installing=""
cleanup() {
  if [ -n "$installing" ]; then
    rm -rf "$installing"
    printf '错误：安装失败，已删除未完成的 %s；正在使用的版本没有改动。若提示 No space left on device，请清理磁盘后重试。\n' \
      "$installing" >&2
  fi
}
trap cleanup EXIT
if [ -f "$VDIR/.complete" ]; then
  step "版本 $ZGT_BUNDLE_VERSION 已安装（$VDIR），跳过"
else
  step "安装 $ZGT_BUNDLE_VERSION 到 $VDIR（约 1–3 分钟）"
  t=$SECONDS
  rm -rf "$VDIR"  # the remains of an interrupted run: never used, the symlinks never pointed here
  installing="$VDIR"
  "$PY" -m venv "$VDIR/.venv"
  # Only the bundle's files: no index, no pip configuration or PIP_* variables of this machine.
  while read -r var; do unset "$var"; done < <(compgen -e | grep '^PIP_' || true)
  PIP_CONFIG_FILE=/dev/null "$VDIR/.venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-index --find-links "$BUNDLE/wheels" --require-hashes --no-cache-dir -r "$BUNDLE/requirements.txt"
  ln -s ../../../zhenggaitong.env "$VDIR/.venv/zhenggaitong.env"
  cp "$BUNDLE/bundle.env" "$VDIR/bundle.env"
  "$VDIR/.venv/bin/zgt" --help >/dev/null  # every module imports
  echo "$BUNDLE_ID" >"$VDIR/.complete"
  installing=""
  echo "   用时 $((SECONDS - t)) 秒"
fi

# -- 5. Settings, documents, model: added to, never replaced -----------------------------------------
mkdir -p "$DIR/docs" "$DIR/data/index" "$DIR/data/uploads" "$DIR/data/trash"
ENV_FILE="$DIR/zhenggaitong.env"
if [ ! -f "$ENV_FILE" ]; then
  cat >"$ENV_FILE" <<EOF
# 整改通的设置（ZGT_* 变量，说明见 README 的“配置”一节）。升级时保留此文件。
ZGT_DOCS_DIR="$DIR/docs"
ZGT_INDEX_DIR="$DIR/data/index"
ZGT_UPLOADS_DIR="$DIR/data/uploads"
ZGT_TRASH_DIR="$DIR/data/trash"
ZGT_EMBEDDING_CACHE="$DIR/data/embedding_cache.sqlite"
# 对本机以外开放时必须设置登录用户：
# ZGT_WEB_HOST=0.0.0.0
# ZGT_WEB_USERS="用户名:密码"
EOF
  echo "   已写入设置 $ENV_FILE"
fi
# The vectors cache lives beside the index, not inside a version's virtualenv (files of versions
# installed before it was named here are given it too).
if ! grep -q '^ZGT_EMBEDDING_CACHE=' "$ENV_FILE"; then
  printf 'ZGT_EMBEDDING_CACHE="%s"\n' "$DIR/data/embedding_cache.sqlite" >>"$ENV_FILE"
fi
cp -R "$BUNDLE/docs/." "$DIR/docs/"
if [ -n "$ZGT_BUNDLE_MODEL" ]; then
  mkdir -p "$DIR/models"
  model="$DIR/models/$ZGT_BUNDLE_MODEL"
  if [ ! -f "$model" ] || [ "$(stat -c %s "$model")" != "$(stat -c %s "$BUNDLE/models/$ZGT_BUNDLE_MODEL")" ]; then
    cp "$BUNDLE/models/$ZGT_BUNDLE_MODEL" "$model.partial" && mv -f "$model.partial" "$model"
  fi
  if ! grep -q '^ZGT_LLM_GGUF_PATH=' "$ENV_FILE"; then
    printf 'ZGT_LLM_PROVIDER=llamacpp\nZGT_LLM_GGUF_PATH="%s"\n' "$model" >>"$ENV_FILE"
    echo "   已启用本地大模型：$model"
  fi
fi

# -- 6. Switch: one rename of a symlink; the version switched from stays for rollback ---------------
was="$(readlink "$DIR/current" 2>/dev/null || true)"
if [ "$was" != "versions/$VID" ]; then
  ln -sfn "versions/$VID" "$DIR/current.new" && mv -Tf "$DIR/current.new" "$DIR/current"
  if [ -n "$was" ]; then ln -sfn "$was" "$DIR/previous.new" && mv -Tf "$DIR/previous.new" "$DIR/previous"; fi
  step "当前版本：$VID${was:+（上一版本 ${was#versions/} 保留，可用 bash $DIR/rollback.sh 回退）}"
fi
[ -L "$DIR/.venv" ] || ln -s current/.venv "$DIR/.venv"
cp "$BUNDLE/rollback.sh" "$DIR/rollback.sh"
# Versions other than the current and the previous one are not needed for a rollback.
keep_prev="$(readlink "$DIR/previous" 2>/dev/null || true)"
for old in "$DIR"/versions/*; do
  [ -d "$old" ] || continue
  rel="versions/$(basename "$old")"
  if [ "$rel" != "versions/$VID" ] && [ "$rel" != "$keep_prev" ]; then
    rm -rf "$old"
    echo "   已删除不再需要的旧版本 $rel"
  fi
done

# -- 7. Index: incremental; a changed pipeline version rebuilds it ---------------------------------
step "建立索引（文档 $DIR/docs 与上传 $DIR/data/uploads）"
t=$SECONDS
vectors=()
[ -f "$BUNDLE/vectors.sqlite" ] && vectors=(--vectors "$BUNDLE/vectors.sqlite")
"$DIR/.venv/bin/zgt" index --quiet ${vectors[@]+"${vectors[@]}"} "$DIR/docs" "$DIR/data/uploads" \
  || die 1 "建立索引失败。已安装的版本可用；修复后重新运行本安装程序即可。"
echo "   用时 $((SECONDS - t)) 秒"

cat <<EOF

整改通 $ZGT_BUNDLE_VERSION 已安装到 $DIR（共用时 $((SECONDS - started)) 秒）。
  启动网页：  $DIR/.venv/bin/zgt-web            然后打开 http://127.0.0.1:7860
  命令行提问：$DIR/.venv/bin/zgt ask "巡视组反馈后多久要报送整改情况？"
  措施核查：  $DIR/.venv/bin/zgt check "组织干部职工签订保密承诺书"
  设置文件：  $ENV_FILE
  作为系统服务运行：见安装说明（install_service.sh）
EOF
