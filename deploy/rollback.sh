#!/usr/bin/env bash
# Rolls an install back to the version before the current one (install.sh copies this file into DIR):
#
#   bash DIR/rollback.sh
#
# Swaps the `current` and `previous` symlinks (each one rename), then brings the index up to date for
# that version: when the two versions' index pipelines differ, the index is rebuilt from docs/ and
# data/uploads (nothing stored is lost). Running it twice rolls forward again. A running service keeps
# the old code until it is restarted: systemctl restart zhenggaitong.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { printf '错误：%s\n' "$*" >&2; exit 1; }

if command -v flock >/dev/null 2>&1; then
  exec 9>"$DIR/.install.lock"
  flock -n 9 || die "另一个安装或回退正在进行（$DIR/.install.lock），请稍后再试。"
fi
cur="$(readlink "$DIR/current" 2>/dev/null)" || die "$DIR 不是整改通的安装目录（没有 current）。"
prev="$(readlink "$DIR/previous" 2>/dev/null)" || die "没有可回退的上一版本（$DIR/previous 不存在）。"
[ -f "$DIR/$prev/.complete" ] || die "上一版本 $prev 不完整，无法回退。可重新运行该版本安装包的 install.sh。"

ln -sfn "$prev" "$DIR/current.new" && mv -Tf "$DIR/current.new" "$DIR/current"
ln -sfn "$cur" "$DIR/previous.new" && mv -Tf "$DIR/previous.new" "$DIR/previous"
echo "已回退：${cur#versions/} → ${prev#versions/}（再次运行可恢复）"
"$DIR/.venv/bin/zgt" index --quiet "$DIR/docs" "$DIR/data/uploads" || die "更新索引失败。"
echo "如以系统服务运行，请重启：systemctl restart zhenggaitong"
