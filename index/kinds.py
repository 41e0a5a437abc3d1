"""The kinds of document the product tells apart, and how a title names one.

A document's kind is decided once, when it is indexed (``index/structure.py`` classifies it), and
travels on every chunk; everything downstream reads ``chunk.kind`` and these labels.
"""

from __future__ import annotations

import re
from enum import StrEnum


class DocumentKind(StrEnum):
    REPORT = "report"  # 整改通报、整改方案、整改报告、整改台账: where measures are taken
    REGULATION = "regulation"  # 法律、条例、规定、细则
    REFERENCE = "reference"  # 工作报告、讲话、答记者问、解读、巡视反馈: background, not measures
    OTHER = "other"


KIND_LABELS: dict[str, str] = {
    DocumentKind.REPORT: "整改通报/报告",
    DocumentKind.REGULATION: "法规制度",
    DocumentKind.REFERENCE: "参考资料",
    DocumentKind.OTHER: "其他",
}

# Names of normative documents (法, 条例, 规定, 细则 …) and of reports about them.
_REGULATION_TITLE = re.compile(r"(?:法|条例|规定|细则|准则|办法|规则|规程|守则)$")
_REPORT_TITLE = re.compile(r"通报|报告|方案|清单|情况|答记者问|解读")
# Titles of material read for background: a government work report, a speech, a press interview, an
# explanation, the inspection team's feedback (it states problems; the measures come in the reports).
_REFERENCE_TITLE = re.compile(r"工作报告|讲话|致辞|答记者问|问答|解读|访谈|发言|反馈.{0,6}(?:情况|意见)(?!.{0,4}整改)")
_RECTIFICATION_TITLE = re.compile(r"整改|台账|清单|方案")
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


def is_reference_title(title: str) -> bool:
    """A title naming background material (工作报告, 答记者问, 反馈巡视情况 …), not a rectification document."""
    plain = plain_title(title)
    own_words = re.sub(r"《[^》]*》", "", plain)  # the title of a document it talks about is not its own
    return bool(_REFERENCE_TITLE.search(own_words)) and not _RECTIFICATION_TITLE.search(own_words)


def is_rectification_title(title: str) -> bool:
    """A title naming rectification material of its own (整改…, …台账, …清单, …方案)."""
    return bool(_RECTIFICATION_TITLE.search(re.sub(r"《[^》]*》", "", plain_title(title))))
