"""The optional LLM judge: it may confirm or downgrade a rule verdict, never overrule a rule conflict."""

from __future__ import annotations

import json
import re

from assistant.measures.results import EXISTS, PARTIAL, VERDICT_LABELS


def parse_judge_reply(text: str) -> tuple[str | None, str]:
    match = re.search(r"\{.*\}", text, re.S)
    if match:
        try:
            data = json.loads(match.group())
            verdict = str(data.get("verdict", "")).strip().lower()
            if verdict in VERDICT_LABELS:
                return verdict, str(data.get("reason", "")).strip()
        except json.JSONDecodeError:
            pass
    for verdict, label in VERDICT_LABELS.items():
        if label in text or verdict in text:
            return verdict, ""
    return None, ""


def combine_verdicts(rules: str, llm: str, *, has_conflicts: bool) -> str:
    """The LLM may downgrade "exists" or lift a conflict-free "partial"; a rule conflict stands."""
    if rules == EXISTS and llm != EXISTS:
        return PARTIAL
    if rules == PARTIAL and llm == EXISTS and not has_conflicts:
        return EXISTS
    return rules

