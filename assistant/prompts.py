"""Prompt templates: plain-text files in prompts/, read through this one function."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"


@cache
def load_prompt(name: str) -> str:
    """The template ``prompts/<name>.txt`` (``str.format`` placeholders, ``{{``/``}}`` for braces)."""
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8")
