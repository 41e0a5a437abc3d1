"""Synthetic corpora for scale benchmarks, made from the real documents by recombining sentences.

``python bench/synthetic_corpus.py --chunks 10000 --out /tmp/zgt-10k`` writes numbered reports
(一、/（一）/一是… structure) and regulations (第X章/第X条) whose sentences are drawn, with a fixed
seed, from ``docs_src/``. Every file is distinct (its own title and numbering), so every file is
indexed; the chunk count is measured with the product's own loader and chunker while generating,
so the folder holds about the requested number of chunks.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from any folder

from index.chunking import chunk_document  # noqa: E402
from index.loaders import load_document  # noqa: E402
from index.structure import REGULATION, analyze  # noqa: E402

DEFAULT_SOURCE = Path(__file__).resolve().parents[1] / "docs_src"
NUMERALS = "一二三四五六七八九十"
ORDINALS = ["一是", "二是", "三是", "四是", "五是", "六是"]
TOPICS = ["财务管理", "保密工作", "意识形态", "选人用人", "基层党建", "作风建设", "招生考试", "校园安全", "政府采购", "干部监督"]
UNITS = ["区教育局", "市卫健委", "县财政局", "市交通局", "区住建局", "县农业农村局", "市文旅局", "区人社局"]
_SENTENCE = re.compile(r"[^。；！？\n]{12,160}[。；！？]")
_MARKERS = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、]|第[一二三四五六七八九十百]+条|[一二三四五六七八九十]是)")


def harvest(source: Path) -> tuple[list[str], list[str]]:
    """Sentences of the real reports and of the real regulations, without their own numbering."""
    reports: list[str] = []
    regulations: list[str] = []
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        doc = load_document(path)
        target = regulations if analyze(doc).kind == REGULATION else reports
        for match in _SENTENCE.finditer(doc.text):
            sentence = _MARKERS.sub("", match.group().strip())
            if len(sentence) >= 12 and "#" not in sentence:
                target.append(sentence)
    return reports, regulations


def chinese(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


def report_text(rng: random.Random, number: int, sentences: Sequence[str]) -> str:
    unit = rng.choice(UNITS)
    lines = [f"中共{unit}党组关于巡察反馈问题整改情况的通报（合成第{number}号）", ""]
    for part in range(1, rng.randint(3, 5) + 1):
        topic = rng.choice(TOPICS)
        lines += [f"{chinese(part)}、关于{topic}方面问题的整改", ""]
        for section in range(1, rng.randint(2, 4) + 1):
            lines.append(f"（{chinese(section)}）{rng.choice(sentences)}")
            measures = [f"{ORDINALS[i]}{rng.choice(sentences)}" for i in range(rng.randint(2, 5))]
            lines += [rng.choice(sentences) + "".join(measures), ""]
    return "\n".join(lines)


def regulation_text(rng: random.Random, number: int, sentences: Sequence[str]) -> str:
    lines = [f"{rng.choice(TOPICS)}管理办法（合成第{number}号）", ""]
    article = 0
    for chapter in range(1, rng.randint(3, 6) + 1):
        lines += [f"第{chinese(chapter)}章　{rng.choice(TOPICS)}", ""]
        for _ in range(rng.randint(3, 8)):
            article += 1
            body = "".join(rng.choice(sentences) for _ in range(rng.randint(1, 3)))
            lines += [f"第{chinese(article)}条　{body}", ""]
    return "\n".join(lines)


def count_chunks(path: Path) -> int:
    return len(chunk_document(load_document(path), doc_id=path.name))


def generate(out: Path, target_chunks: int, *, source: Path = DEFAULT_SOURCE, seed: int = 20261128) -> tuple[int, int]:
    """Write files until about ``target_chunks`` chunks; returns (files, chunks)."""
    rng = random.Random(seed)
    reports, regulations = harvest(source)
    (out / "reports").mkdir(parents=True, exist_ok=True)
    (out / "regulations").mkdir(parents=True, exist_ok=True)
    files = chunks = 0
    while chunks < target_chunks:
        files += 1
        if rng.random() < 0.7:
            path = out / "reports" / f"合成整改通报{files:06d}.txt"
            path.write_text(report_text(rng, files, reports), encoding="utf-8")
        else:
            path = out / "regulations" / f"合成管理办法{files:06d}.md"
            path.write_text(regulation_text(rng, files, regulations), encoding="utf-8")
        chunks += count_chunks(path)
    return files, chunks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="由真实文档重组句子生成合成语料")
    parser.add_argument("--chunks", type=int, required=True, help="about this many chunks")
    parser.add_argument("--out", type=Path, required=True, help="an empty or new folder")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    files, chunks = generate(args.out, args.chunks, source=args.source, seed=args.seed)
    print(f"{files} files, {chunks} chunks → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
