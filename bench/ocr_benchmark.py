"""OCR benchmark: ``python bench/ocr_benchmark.py [--dpi 200] [--scan-pages 50] [--out FILE.json]``.

Pages are rendered from known text of docs_src/ with Noto Sans CJK (12 pt, A4, 25 mm margins) at
``--dpi``, saved as image-only PDFs (no text layer), and read back through the project's loader.

(a) character accuracy per page: 1 − edit distance / length over non-whitespace characters;
(b) OCR speed (pages per minute, on this machine's cores) and the peak memory of a fresh process
    that only loads one of those scans (rendering the test pages here takes memory of its own);
(c) a ``--scan-pages`` scan indexed end to end by ``python -m assistant index`` (the project's Indexer)
    into a temporary index, in a child process: wall time and the child's peak memory;
(d) retrieval on the OCR'd copy of the bureau report against its text copy, each indexed with the
    rest of docs_src, on the dev questions whose gold quotes are in that report (recall@5/@10 by the
    README coverage rule: the quote without whitespace inside the passage without whitespace).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from any folder
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before any Hugging Face import: never look a model up online

from assistant.evaluation.data import covers, load_questions  # noqa: E402
from assistant.settings import PROJECT_ROOT, Settings  # noqa: E402
from assistant.workspace import Workspace  # noqa: E402
from index.embedding import SentenceEmbeddings, build_embeddings  # noqa: E402
from index.loaders import load_document  # noqa: E402
from index.loaders import ocr as ocr_module  # noqa: E402
from tests.index.scans import image_pdf_bytes, render_pages  # noqa: E402

DOCS = PROJECT_ROOT / "docs_src"
BUREAU = DOCS / "reports" / "教育局党组关于巡察组巡察反馈问题整改情况的通报.txt"
ACCURACY_SOURCES = [BUREAU, DOCS / "regulations" / "中国共产党巡视工作条例.md"]
ACCURACY_PAGES_PER_SOURCE = 8
LONG_SCAN_SOURCES = [
    BUREAU,
    DOCS / "reports" / "中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md",
    DOCS / "reports" / "2024年国务院政府工作报告.txt",
    DOCS / "reports" / "2025年国务院政府工作报告.txt",
]


def child_peak_rss_mib(code: str) -> float:
    """Peak memory of a fresh Python process running ``code`` (it prints its own ru_maxrss in KiB)."""
    code += "\nimport resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PROJECT_ROOT, env=os.environ | {"HF_HUB_OFFLINE": "1"})
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def paragraphs(path: Path) -> list[str]:
    return [line.strip() for line in load_document(path).text.split("\n") if line.strip()]


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(reference: str, recognised: str) -> float:
    ref, got = "".join(reference.split()), "".join(recognised.split())
    return max(0.0, 1 - edit_distance(ref, got) / len(ref)) if ref else float(got == "")


def scan_pdf(sources: list[Path], dpi: int, max_pages: int | None = None) -> tuple[bytes, list[str]]:
    """An image-only PDF of the sources' text and the text drawn on each page."""
    pages = [page for source in sources for page in render_pages(paragraphs(source), dpi=dpi)]
    pages = pages[:max_pages] if max_pages else pages
    return image_pdf_bytes([image for image, _ in pages], dpi=dpi), ["".join(lines) for _, lines in pages]


def accuracy_and_speed(workdir: Path, dpi: int) -> dict[str, Any]:
    started = time.perf_counter()
    ocr_module._engine()
    engine_seconds = time.perf_counter() - started
    per_source = []
    all_pages, seconds_total = 0, 0.0
    for source in ACCURACY_SOURCES:
        data, drawn = scan_pdf([source], dpi, ACCURACY_PAGES_PER_SOURCE)
        path = workdir / f"{source.stem}.pdf"
        path.write_bytes(data)
        started = time.perf_counter()
        document = load_document(path)
        seconds = time.perf_counter() - started
        starts = [*document.page_starts, len(document.text) + 1]
        pages = [document.text[starts[i] : starts[i + 1] - 1] for i in range(len(drawn))]
        scores = [char_accuracy(reference, got) for reference, got in zip(drawn, pages, strict=True)]
        chars = sum(len("".join(text.split())) for text in drawn)
        per_source.append({
            "source": source.name, "pages": len(drawn), "characters": chars, "seconds": round(seconds, 1),
            "accuracy_mean": round(sum(scores) / len(scores), 4), "accuracy_min": round(min(scores), 4),
            "accuracy_chars": round(sum(s * len("".join(t.split())) for s, t in zip(scores, drawn, strict=True)) / chars, 4),
        })
        all_pages += len(drawn)
        seconds_total += seconds
    weighted = sum(s["accuracy_chars"] * s["characters"] for s in per_source) / sum(s["characters"] for s in per_source)
    first = workdir / f"{ACCURACY_SOURCES[0].stem}.pdf"
    ocr_only = child_peak_rss_mib(f"from index.loaders import load_document; load_document({str(first)!r})")
    return {
        "dpi": dpi,
        "engine_load_seconds": round(engine_seconds, 2),
        "sources": per_source,
        "accuracy_all_pages": round(weighted, 4),
        "pages": all_pages,
        "seconds_per_page": round(seconds_total / all_pages, 2),
        "pages_per_minute": round(60 * all_pages / seconds_total, 1),
        "peak_rss_mib_ocr_process": round(ocr_only),
        "cpu_count": os.cpu_count(),
    }


def workspace(root: Path, docs: Path, embeddings: SentenceEmbeddings) -> Workspace:
    return Workspace(Settings(index_dir=root / "index", docs_dir=docs), embeddings=embeddings)


def long_scan(workdir: Path, dpi: int, pages: int) -> dict[str, Any]:
    data, drawn = scan_pdf(LONG_SCAN_SOURCES, dpi, pages)
    if len(drawn) < pages:
        raise SystemExit(f"only {len(drawn)} pages of text in LONG_SCAN_SOURCES")
    docs = workdir / "long-scan-docs"
    docs.mkdir()
    (docs / f"{pages}页扫描件.pdf").write_bytes(data)
    del data
    env = os.environ | {"HF_HUB_OFFLINE": "1", "ZGT_INDEX_DIR": str(workdir / "long-scan-index")}
    # The CLI's own entry point, in a child that reports its peak memory after the run.
    code = (
        "import resource, runpy, sys\n"
        f"sys.argv = ['assistant', 'index', {str(docs)!r}, '--json', '--quiet']\n"
        "try:\n    runpy.run_module('assistant', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PROJECT_ROOT, env=env)
    seconds = time.perf_counter() - started
    *_, summary, rss_kib = out.stdout.strip().splitlines()
    result = json.loads(summary)
    return {
        "pages": pages, "pdf_mib": round((docs / f"{pages}页扫描件.pdf").stat().st_size / 1024 / 1024, 1),
        "added": result["counts"]["added"], "failed": result["failed"], "chunks": result["chunks_written"],
        "seconds": round(seconds, 1), "seconds_per_page": round(seconds / pages, 2),
        "peak_rss_mib": round(int(rss_kib) / 1024),
    }


def retrieval(workdir: Path, dpi: int, embeddings: SentenceEmbeddings) -> dict[str, Any]:
    questions = [q for q in load_questions(Settings().dev_questions) if any(g.doc == BUREAU.name for g in q.gold)]
    data, _ = scan_pdf([BUREAU], dpi)
    results: dict[str, Any] = {"questions": len(questions), "gold_quotes": sum(
        1 for q in questions for g in q.gold if g.doc == BUREAU.name)}
    for copy in ("text", "ocr"):
        docs = workdir / f"docs-{copy}"
        shutil.copytree(DOCS, docs)
        if copy == "ocr":
            (docs / "reports" / BUREAU.name).unlink()
            (docs / "reports" / f"{BUREAU.stem}.pdf").write_bytes(data)
        ws = workspace(workdir / f"index-{copy}", docs, embeddings)
        started = time.perf_counter()
        report = ws.index([docs])
        index_seconds = time.perf_counter() - started
        recall: dict[int, list[float]] = {5: [], 10: []}
        for question in questions:
            passages = ws.searcher.search(question.question, k=10)
            gold = [g.quote for g in question.gold if g.doc == BUREAU.name]
            for k in recall:
                top = [p.chunk.text for p in passages[:k] if Path(p.chunk.doc).stem == BUREAU.stem]
                recall[k].append(sum(1 for quote in gold if any(covers(text, quote) for text in top)) / len(gold))
        results[copy] = {
            "recall@5": round(sum(recall[5]) / len(recall[5]), 3),
            "recall@10": round(sum(recall[10]) / len(recall[10]), 3),
            "index_seconds": round(index_seconds, 1),
            "failed": [o.reason for o in report.outcomes if o.status == "failed"],
        }
    results["recall@5_gap"] = round(results["text"]["recall@5"] - results["ocr"]["recall@5"], 3)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--scan-pages", type=int, default=50)
    parser.add_argument("--skip", nargs="*", default=[], choices=["accuracy", "long", "retrieval"])
    parser.add_argument("--out", help="write the figures as JSON")
    args = parser.parse_args(argv)
    # Timings depend on what else runs: the load average is recorded with them.
    figures: dict[str, Any] = {"load_average_at_start": [round(x, 1) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="zgt-ocr-bench-") as tmp:
        workdir = Path(tmp)
        if "accuracy" not in args.skip:
            figures["accuracy_and_speed"] = accuracy_and_speed(workdir, args.dpi)
            print(json.dumps(figures["accuracy_and_speed"], ensure_ascii=False, indent=1), flush=True)
        if "long" not in args.skip:
            figures["long_scan"] = long_scan(workdir, args.dpi, args.scan_pages)
            print(json.dumps(figures["long_scan"], ensure_ascii=False, indent=1), flush=True)
        if "retrieval" not in args.skip:
            figures["retrieval"] = retrieval(workdir, args.dpi, build_embeddings())
            print(json.dumps(figures["retrieval"], ensure_ascii=False, indent=1), flush=True)
    figures["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps({k: v for k, v in figures.items() if k.startswith("load")}), flush=True)
    if args.out:
        from results import save_json

        save_json(args.out, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
