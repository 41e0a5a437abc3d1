"""Extractive answer latency over the eval questions on the configured index (warm process).

    python bench/answer_latency.py --split test
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from any folder
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.evaluation.data import load_questions  # noqa: E402
from assistant.evaluation.eval_sets import split_file  # noqa: E402
from assistant.settings import enforce_offline_environment, get_settings  # noqa: E402
from assistant.workspace import Workspace  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["tune", "test"], default="test")
    args = parser.parse_args()
    enforce_offline_environment()
    ws = Workspace(get_settings())
    ws.index()
    ws.warm_up()
    ws.answerer.answer("预热")
    questions = load_questions(split_file("questions", args.split, Path(tempfile.mkdtemp())))
    times = []
    for q in questions:
        started = time.perf_counter()
        ws.answerer.answer(q.question, history=q.history)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"extractive answer over {len(times)} {args.split} questions: p50 {statistics.median(times):.0f} ms, "
          f"p95 {times[int(0.95 * len(times))]:.0f} ms, max {times[-1]:.0f} ms ({ws.lexical.count()} chunks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
