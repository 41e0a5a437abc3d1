"""Eval files and the coverage rule of ``shared/eval/README.md``: a passage covers a gold quote when it
comes from the gold file and holds the quote once all whitespace is removed on both sides."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Retrieved = tuple[str, str]  # (source file name, passage text)
RAW_TEXT_SUFFIXES = (".txt", ".md", ".markdown")

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class GoldQuote:
    doc: str
    quote: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answerable: bool
    gold: tuple[GoldQuote, ...]
    kind: str
    history: tuple[str, ...] = ()  # earlier questions of the conversation (follow-ups)
    count: int | None = None  # the number a "多少项" question asks for, when the set states it
    style: str = ""


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    """The records of a JSON-lines file (the format of every eval file), blank lines skipped."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def raw_files(docs_dir: Path) -> dict[str, Path]:
    """File name → path of the plain-text documents under ``docs_dir`` (hidden folders skipped). Gold
    quotes name their file by bare name, so this is how an eval item's ``doc`` is found on disk."""
    files = sorted(
        p for p in docs_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in RAW_TEXT_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(docs_dir).parts)
    )
    return {p.name: p for p in files}


def read_raw_texts(docs_dir: Path) -> dict[str, str]:
    """File name → raw UTF-8 text (the text gold quotes are exact substrings of; the baselines read it too)."""
    return {name: path.read_text(encoding="utf-8") for name, path in raw_files(docs_dir).items()}


def gold_quotes(record: Mapping[str, Any]) -> tuple[GoldQuote, ...]:
    return tuple(GoldQuote(str(g["doc"]), str(g["quote"])) for g in record.get("gold") or ())


def load_questions(path: Path | str) -> list[Question]:
    return [
        Question(
            id=str(item["id"]),
            question=str(item["question"]),
            answerable=bool(item["answerable"]),
            gold=gold_quotes(item),
            kind=str(item.get("kind") or ""),
            history=tuple(str(h) for h in item.get("history") or ()),
            count=int(item["count"]) if item.get("count") is not None else None,
            style=str(item.get("style") or ""),
        )
        for item in read_jsonl(path)
    ]


def _squash(text: str) -> str:
    return _WHITESPACE.sub("", text)


def covers(passage_text: str, quote: str) -> bool:
    """The README rule: the quote without whitespace is a substring of the passage without whitespace."""
    return _squash(quote) in _squash(passage_text)


def covers_gold(passage: Retrieved, gold: GoldQuote) -> bool:
    """A passage counts only when it also comes from the gold file (compared by bare file name)."""
    doc, text = passage
    return Path(doc).name == gold.doc and covers(text, gold.quote)
