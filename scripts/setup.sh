#!/usr/bin/env bash
# Creates .venv and installs the locked dependency set (locks/dev.txt: exact versions, sha256-checked),
# then the project itself (editable, --no-deps: its dependencies are exactly the lock's). Safe to run
# again: pip leaves what already matches the lock alone.
#
# torch is locked as 2.13.0+cpu, the CPU build that pip finds on this machine's disk (pip config:
# find-links); a lock naming any other build is refused by scripts/lock.sh, so no CUDA build can come in.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
LOCK="${ZGT_LOCK:-locks/dev.txt}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check)
"${PIP[@]}" install --quiet --require-hashes -r locks/pip.txt  # a pip that reads the lock right (see the file)
"${PIP[@]}" install --quiet --require-hashes -r "$LOCK"
"${PIP[@]}" install --quiet --no-deps -e .
# The lock is complete, so the environment must be consistent; say so now rather than at first import.
"${PIP[@]}" check >/dev/null || { "${PIP[@]}" check >&2; exit 1; }
# The sample documents' passage vectors, shipped in the repository (scripts/pack_sample_vectors.py), into this
# machine's embedding cache (ZGT_EMBEDDING_CACHE; skipped when that is off): the first index of docs_src/ and
# the tests read them instead of running the encoder. Vectors already there are left alone, so a second run
# adds nothing. Only a cache: without it the first index computes the vectors itself, so never fatal here.
.venv/bin/python -m assistant merge-vectors docs_src.vectors.sqlite \
  || echo "随附段落向量未读入：不影响安装，首次索引时将自行计算向量（多用几分钟）" >&2
