"""Generations, rebuilds and replicas (issue 15): ``python bench/generation_benchmark.py [--sizes shared 10000 …]``.

For each corpus (``shared`` = ``docs_src/``; a number = a synthetic corpus of about that many chunks made by
bench/synthetic_corpus.py), every step runs in a process of its own, as an administrator would run it:

1. ``python -m assistant index DOCS`` into an empty embedded index (the first build);
2. ``python -m assistant index DOCS --rebuild``: the new build is written beside the current one and the
   pointer switches at the end. ``du -sk`` of the index folder is sampled every ``--interval`` seconds:
   before, peak (two generations at once), right after;
3. a reader process on the embedded index: start-up steps to the first answer, then the cost of the
   generation check, ``Workspace.view()`` called ``--checks`` times while nothing moves (p50/p95/max µs);
4. with ``--server`` (default on): a ``chroma run`` of its own (scripts/chroma_server.sh, free loopback port),
   the corpus indexed into it, then replica start-up to the first answer: a new replica (empty local copy,
   every document record fetched from the server), the same replica restarted (copy up to date), and a cold
   ``python -m assistant search … --json`` from a third new folder; the generation check in server mode
   (one metadata read from the server per call) is timed in the new replica;
5. once the retired build's grace period (60 s) is over, an incremental ``index`` run, which drops the old
   build: the folder's size after that.

Prints a markdown table; writes JSON with ``--out``; ``--table A.json B.json`` prints one table of earlier runs.
Corpora and indexes stay under ``--workdir``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()  # before any heavy import: the reader phase counts imports in its start-up
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUESTION = "哪些措施涉及财务管理？"
COLLECTION = "genbench"
GRACE_SECONDS = 60.0  # index/pipeline.py RETIRED_BUILD_GRACE_SECONDS: the old build is dropped by the next write after it


# -- measuring helpers --------------------------------------------------------------------------------
def du_kib(paths: Sequence[Path]) -> int:
    """Disk usage of ``paths`` together (``du -skc``; files vanishing mid-walk are ignored)."""
    existing = [str(p) for p in paths if p.exists()]
    if not existing:
        return 0
    done = subprocess.run(["du", "-skc", *existing], capture_output=True, text=True, check=False)
    total = [line for line in done.stdout.splitlines() if line.endswith("\ttotal")]
    return int(total[-1].split()[0]) if total else 0


class DiskSampler:
    """``du`` of some folders every ``interval`` seconds in a thread, while a child process runs."""

    def __init__(self, paths: Sequence[Path], interval: float) -> None:
        self.paths, self.interval = list(paths), interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - self._t0, du_kib(self.paths)))
            self._stop.wait(self.interval)

    def __enter__(self) -> DiskSampler:
        self._t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mib(kib: int) -> float:
    return kib / 1024


def percentiles_us(samples_ns: Sequence[int]) -> dict[str, float]:
    import numpy as np

    us = np.asarray(samples_ns, dtype=float) / 1000
    return {"n": int(us.size), "p50_us": float(np.percentile(us, 50)), "p95_us": float(np.percentile(us, 95)),
            "p99_us": float(np.percentile(us, 99)), "max_us": float(us.max())}


def child_env(index_dir: Path, docs: Path, server: tuple[str, int] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGT_")}
    env |= {"ZGT_INDEX_DIR": str(index_dir), "ZGT_DOCS_DIR": str(docs), "ZGT_LLM_PROVIDER": "none",
            "ZGT_RERANK": "false", "HF_HUB_OFFLINE": "1", "ZGT_CHROMA_MODE": "embedded"}
    if server is not None:
        env |= {"ZGT_CHROMA_MODE": "server", "ZGT_CHROMA_HOST": server[0], "ZGT_CHROMA_PORT": str(server[1]),
                "ZGT_CHROMA_COLLECTION": COLLECTION}
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def run_index(docs: Path, env: dict[str, str], watch: Sequence[Path], interval: float,
              *, rebuild: bool = False) -> dict[str, Any]:
    """``python -m assistant index DOCS [--rebuild]`` in a child, with ``du`` of ``watch`` sampled meanwhile."""
    before = du_kib(watch)
    command = cli("index", str(docs), "--json", "--quiet", *(["--rebuild"] if rebuild else []))
    started = time.perf_counter()
    with DiskSampler(watch, interval) as sampler:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    after = du_kib(watch)
    peak_t, peak = max(sampler.samples, key=lambda s: s[1], default=(0.0, after))
    return {
        "wall_s": seconds,  # the whole command: imports and encoder load included
        "index_s": report["seconds"],  # the indexer's own figure
        "chunks_written": report["chunks_written"],
        "counts": report["counts"],
        "disk_before_mib": mib(before),
        "disk_peak_mib": mib(max(peak, before, after)),
        "disk_peak_at_s": peak_t,
        "disk_after_mib": mib(after),
        "samples": len(sampler.samples),
        "ended_at": time.time(),
    }


def run_phase(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"phase {args} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cold_search(env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(cli("search", QUESTION, "--json"), cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"search failed:\n{done.stderr[-3000:]}")
    return {"cli_search_cold_s": seconds, "cli_search_hits": len(json.loads(done.stdout))}


# -- the reader phase (a process of its own) -----------------------------------------------------------
def phase_reader(checks: int) -> dict[str, Any]:
    """Start-up to the first answer on an existing index (configured by ZGT_*), then the generation check."""
    from assistant.settings import Settings
    from assistant.workspace import Workspace

    figures: dict[str, Any] = {"imports_s": time.perf_counter() - STARTED}
    ws = Workspace(Settings())
    t = time.perf_counter()
    view = ws.view()  # embedded: open the build's stores; server: sync this replica's copy, save its BM25
    figures["open_view_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ws.embeddings.embed_array(["预热"])  # torch import and weights
    figures["encoder_s"] = time.perf_counter() - t
    t = time.perf_counter()
    view.searcher.lexical.search("预热", 1)  # BM25 arrays memory-mapped (or built)
    view.vectors.search("预热", 1)  # the HNSW graph
    figures["indexes_s"] = time.perf_counter() - t
    t = time.perf_counter()
    answer = ws.answerer.answer(QUESTION)
    figures["first_answer_s"] = time.perf_counter() - t
    figures["total_to_first_answer_s"] = time.perf_counter() - STARTED
    figures["found"] = answer.found
    figures["chunks"] = view.lexical.count()
    figures["generation"] = [view.generation.build, view.generation.number]

    samples: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(checks):
        t0 = clock()
        same = ws.view()
        samples.append(clock() - t0)
        assert same is view, "the pointer moved during the benchmark"
    figures["check"] = percentiles_us(samples)
    t = time.perf_counter()
    for _ in range(20):
        view.searcher.search(QUESTION, 10)
    figures["hybrid_search_ms"] = (time.perf_counter() - t) / 20 * 1000  # for scale: what one check is added to
    return figures


# -- a chroma server -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def heartbeat(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class ChromaServer:
    """``bash scripts/chroma_server.sh DATA PORT`` in its own session; stopped with its process group."""

    def __init__(self, data: Path) -> None:
        self.data, self.port = data, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ChromaServer:
        self.data.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZGT_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        log = (self.data.parent / "chroma-server.log").open("wb")
        self.process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "chroma_server.sh"), str(self.data), str(self.port), "127.0.0.1"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while not heartbeat(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"chroma server did not start; see {self.data.parent / 'chroma-server.log'}")
            time.sleep(0.25)
        return self

    def __exit__(self, *exc: object) -> None:
        p = self.process
        if p is not None and p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=20)


# -- one corpus ----------------------------------------------------------------------------------------
def corpus(size: str, workdir: Path) -> tuple[str, Path]:
    if size == "shared":
        return "shared (docs_src/)", ROOT / "docs_src"
    from synthetic_corpus import generate  # bench/ is on sys.path: this script's own folder

    docs = workdir / f"corpus-{size}"
    if not docs.exists():
        files, chunks = generate(docs, int(size))
        print(f"[{size}] corpus: {files} files, {chunks} chunks", file=sys.stderr)
    return f"synthetic {int(size):,}", docs


def log(size: str, message: str) -> None:
    print(f"[{size} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measure(size: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    label, docs = corpus(size, workdir)
    base = workdir / f"run-{size}"
    shutil.rmtree(base, ignore_errors=True)
    index_dir = base / "index"
    result: dict[str, Any] = {"corpus": label, "docs": str(docs), "files": sum(1 for p in docs.rglob("*") if p.is_file())}
    env = child_env(index_dir, docs)

    result["first_build"] = run_index(docs, env, [index_dir], args.interval)
    log(size, f"first build: {result['first_build']['chunks_written']} chunks, {result['first_build']['wall_s']:.0f} s")
    result["rebuild"] = run_index(docs, env, [index_dir], args.interval, rebuild=True)
    r = result["rebuild"]
    log(size, f"rebuild {r['wall_s']:.0f} s, disk {r['disk_before_mib']:.0f} → peak {r['disk_peak_mib']:.0f} "
              f"→ {r['disk_after_mib']:.0f} MiB")
    result["reader_embedded"] = run_phase(["--phase", "reader", "--checks", str(args.checks)], env)
    log(size, f"embedded reader: first answer at {result['reader_embedded']['total_to_first_answer_s']:.1f} s")

    if args.server:
        with ChromaServer(base / "chroma-server") as server:
            address = ("127.0.0.1", server.port)
            writer = base / "server-writer"
            result["server_build"] = run_index(docs, child_env(writer, docs, address), [server.data, writer],
                                               args.interval)
            log(size, f"server build: {result['server_build']['wall_s']:.0f} s")
            replica_env = child_env(base / "replica-a", docs, address)
            checks = ["--phase", "reader", "--checks", str(args.server_checks)]
            result["replica_new"] = run_phase(checks, replica_env)
            result["replica_restart"] = run_phase(checks, replica_env)
            result["replica_cli"] = cold_search(child_env(base / "replica-b", docs, address))
            result["replica_copy_mib"] = mib(du_kib([base / "replica-a"]))
            log(size, f"new replica: first answer at {result['replica_new']['total_to_first_answer_s']:.1f} s")

    wait = result["rebuild"]["ended_at"] + GRACE_SECONDS + 1 - time.time()
    if wait > 0:
        log(size, f"waiting {wait:.0f} s for the retired build's grace period")
        time.sleep(wait)
    result["next_write"] = run_index(docs, env, [index_dir], args.interval)
    log(size, f"next write: disk {result['next_write']['disk_after_mib']:.0f} MiB")
    return result


# -- the report ----------------------------------------------------------------------------------------
def disk(r: dict[str, Any]) -> str:
    return f"{r['disk_before_mib']:.1f} / **{r['disk_peak_mib']:.1f}** / {r['disk_after_mib']:.1f} MiB"


def check(r: dict[str, Any]) -> str:
    c = r["check"]
    return f"{c['p50_us']:.1f} / {c['p95_us']:.1f} / {c['max_us']:,.0f} µs"


def startup(r: dict[str, Any]) -> str:
    return (f"**{r['total_to_first_answer_s']:.1f} s** (imports {r['imports_s']:.1f}, open {r['open_view_s']:.2f}, "
            f"encoder {r['encoder_s']:.1f}, indexes {r['indexes_s']:.2f}, answer {r['first_answer_s']:.2f})")


ROWS: list[tuple[str, Any]] = [  # (label, cell from one result; None when not measured)
    ("files / chunks", lambda r: f"{r['files']:,} / {r['first_build']['chunks_written']:,}"),
    ("first build (wall, whole command)", lambda r: f"{r['first_build']['wall_s']:.1f} s"),
    ("first build on disk", lambda r: f"{r['first_build']['disk_after_mib']:.1f} MiB"),
    ("`--rebuild` (wall, whole command)", lambda r: f"**{r['rebuild']['wall_s']:.1f} s** "
                                                    f"(indexer {r['rebuild']['index_s']:.1f} s)"),
    ("`--rebuild` disk before / peak / right after", lambda r: disk(r["rebuild"])),
    ("peak ÷ one build", lambda r: f"{r['rebuild']['disk_peak_mib'] / r['first_build']['disk_after_mib']:.2f}×"),
    ("after the next write (old build dropped)", lambda r: f"{r['next_write']['disk_after_mib']:.1f} MiB "
                                                           f"({r['next_write']['wall_s']:.1f} s, nothing changed)"),
    ("generation check, embedded: p50 / p95 / max", lambda r: check(r["reader_embedded"])),
    ("hybrid search, embedded (mean, for scale)", lambda r: f"{r['reader_embedded']['hybrid_search_ms']:.1f} ms"),
    ("reader start-up to first answer, embedded", lambda r: startup(r["reader_embedded"])),
    ("server: build (wall) / server data + writer folder",
     lambda r: f"{r['server_build']['wall_s']:.1f} s / {r['server_build']['disk_after_mib']:.1f} MiB"),
    ("generation check, server: p50 / p95 / max", lambda r: check(r["replica_new"])),
    ("new replica to first answer (copy from server)", lambda r: startup(r["replica_new"])),
    ("restarted replica to first answer (copy current)", lambda r: startup(r["replica_restart"])),
    ("new replica, cold CLI `search --json`", lambda r: f"{r['replica_cli']['cli_search_cold_s']:.1f} s"),
    ("replica's local copy on disk", lambda r: f"{r['replica_copy_mib']:.1f} MiB"),
]


def markdown(results: Sequence[dict[str, Any]]) -> str:
    lines = ["| figure | " + " | ".join(r["corpus"] for r in results) + " |", "|---|" + "---|" * len(results)]
    for label, cell in ROWS:
        cells = []
        for r in results:
            try:
                cells.append(cell(r))
            except KeyError:
                cells.append("–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="整改通索引代际、重建与副本基准")
    parser.add_argument("--sizes", nargs="+", default=["shared", "10000"],
                        help="'shared' (docs_src/) and/or synthetic corpus sizes in chunks")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/zgt-generation"))
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between du samples")
    parser.add_argument("--checks", type=int, default=20000, help="generation checks timed, embedded")
    parser.add_argument("--server-checks", type=int, default=2000, help="generation checks timed, server mode")
    parser.add_argument("--no-server", dest="server", action="store_false", help="skip the Chroma server part")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--table", type=Path, nargs="+", default=None, metavar="JSON",
                        help="print one table of earlier runs' --out files (no measuring)")
    parser.add_argument("--phase", choices=["reader"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.table:
        runs = [json.loads(path.read_text(encoding="utf-8")) for path in args.table]
        for run in runs:
            print(f"CPUs {run['cpu_count']}, load average {run['load_average_at_start']:.1f} at start, "
                  f"{run['load_average_at_end']:.1f} at end: {', '.join(r['corpus'] for r in run['results'])}")
        print()
        print(markdown([r for run in runs for r in run["results"]]))
        return 0

    if args.phase == "reader":
        print(json.dumps(phase_reader(args.checks)))
        return 0

    args.workdir.mkdir(parents=True, exist_ok=True)
    from results import machine, save_json

    start = machine()
    results = [measure(size, args.workdir, args) for size in args.sizes]
    header = {"cpu_count": start["cpu_count"], "load_average_at_start": start["load_average"],
              "load_average_at_end": machine()["load_average"]}
    print(f"CPUs {header['cpu_count']}, load average {header['load_average_at_start']:.1f} at start, "
          f"{header['load_average_at_end']:.1f} at end\n")
    print(markdown(results))
    if args.out:
        save_json(args.out, {**header, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
