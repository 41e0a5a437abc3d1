#!/usr/bin/env bash
# Free disk before a long run: check_disk.sh MIN_MB WARN_MB FOLDER...
# Prints each folder's free space; exits 1 with a clear message when one has less than MIN_MB, and warns
# below WARN_MB. A full disk otherwise surfaces minutes later as a tar or SQLite error deep inside one test.
set -euo pipefail
min_mb="$1" warn_mb="$2"
shift 2
for place in "$@"; do
  where="$(cd "$place" && pwd)"
  free_mb=$(( $(df -Pk "$where" | awk 'NR==2 {print $4}') / 1024 ))
  echo "磁盘可用：${where} ${free_mb} MB"
  if [ "$free_mb" -lt "$min_mb" ]; then
    echo "磁盘空间不足：${where} 只剩 ${free_mb} MB，至少需要 ${min_mb} MB；请清理旧的测试目录或克隆后重试" >&2
    exit 1
  elif [ "$free_mb" -lt "$warn_mb" ]; then
    echo "提示：${where} 可用空间少于 ${warn_mb} MB，运行中可能因空间不足失败" >&2
  fi
done
