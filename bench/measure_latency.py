"""Measure-check latency over the eval measures on the configured index: what a clerk waits for one measure
and for a whole 整改清单.

    python bench/measure_latency.py --split test          # a fresh embedding cache (the first check of a list)
    python bench/measure_latency.py --split test --warm   # the machine's cache (the same list checked again)
    python bench/measure_latency.py --split tune --limit 40   # a quick sample: the first 40 measures

The check embeds the candidate sentences and their words; with a fresh cache every one is computed, with the
machine's cache most come from it.
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

from assistant.evaluation.eval_sets import records  # noqa: E402
from assistant.measures.checker import workspace_checker  # noqa: E402
from assistant.settings import enforce_offline_environment, get_settings  # noqa: E402
from assistant.workspace import Workspace  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["tune", "test"], default="test")
    parser.add_argument("--warm", action="store_true", help="use the machine's embedding cache")
    parser.add_argument("--limit", type=int, default=0, help="check only the first N measures (0: all)")
    args = parser.parse_args()
    enforce_offline_environment()
    settings = get_settings()
    if not args.warm:
        settings = settings.model_copy(update={"embedding_cache": Path(tempfile.mkdtemp()) / "cache.sqlite"})
    ws = Workspace(settings)
    ws.index()
    ws.warm_up()
    measures = [str(r["measure"]) for r in records("measures", args.split)][: args.limit or None]
    started = time.perf_counter()
    checker = workspace_checker(ws)
    times = []
    for measure in measures:
        t = time.perf_counter()
        checker.check(measure)
        times.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - started
    times.sort()
    print(f"measure check over {len(times)} {args.split} measures ({'warm' if args.warm else 'fresh'} cache): "
          f"p50 {statistics.median(times):.0f} ms, p95 {times[int(0.95 * len(times))]:.0f} ms, "
          f"max {times[-1]:.0f} ms; the whole list {total:.1f} s ({ws.lexical.count()} chunks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
