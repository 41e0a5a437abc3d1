"""The kinds of document the product tells apart, and how a title names one.

A document's kind is decided once, when it is indexed (``index/structure.py`` classifies it), and
travels on every chunk; everything downstream reads ``chunk.kind`` and these labels.
"""

from __future__ import annotations

import re
from enum import StrEnum


class DocumentKind(StrEnum):
    REPORT = "report"  # 整改通报、整改方案、报告
    REGULATION = "regulation"  # 法律、条例、规定、细则
    OTHER = "other"


KIND_LABELS: dict[str, str] = {
    DocumentKind.REPORT: "整改通报/报告",
    DocumentKind.REGULATION: "法规制度",
    DocumentKind.OTHER: "其他",
}

# Names of normative documents (法, 条例, 规定, 细则 …) and of reports about them.
_REGULATION_TITLE = re.compile(r"(?:法|条例|规定|细则|准则|办法|规则|规程|守则)$")
_REPORT_TITLE = re.compile(r"通报|报告|方案|清单|情况|答记者问|解读")
_TITLE_NOISE = re.compile(r"[（(](?:试行|修订|修正|草案|\d{4}年?(?:修订|修正)?)[)）]$|\s*\d{4}年?$")


def plain_title(title: str) -> str:
    """A document title without surrounding 《》, whitespace or a trailing year/（试行）."""
    text = "".join(title.split())
    if text.startswith("《") and text.endswith("》") and text.count("《") == 1:
        text = text[1:-1]
    previous = None
    while previous != text:
        previous, text = text, _TITLE_NOISE.sub("", text)
    return text


def is_regulation_title(title: str) -> bool:
    """A title naming a rule ("中央八项规定实施细则", "…办法（试行）"), not a report about one."""
    plain = plain_title(title)
    return bool(_REGULATION_TITLE.search(plain)) and not _REPORT_TITLE.search(plain)
