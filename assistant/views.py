"""What a person sees of an answer, a measure check, a ledger, a study pack and the document library.

The CLI and the web app render through these functions, and export files are written from the same
tables (assistant/exports.py), so a screen and its export cannot disagree. Document text is passed
through as it is: escaping for HTML or Markdown is the caller's business (assistant/web.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from index.kinds import KIND_LABELS, plain_title

if TYPE_CHECKING:
    from assistant.access import User
    from assistant.answering import Answer
    from assistant.citations import Citation
    from assistant.ledger import LedgerRow
    from assistant.measures import Conflict, MeasureMatch, MeasureResult, Signals
    from assistant.retrieval import Passage
    from assistant.study import StudyPack
    from index.chunking import Chunk
    from index.manifest import FileRecord


@dataclass(frozen=True)
class Table:
    """A table as shown on screen and written to a spreadsheet: header, rows, column widths, sheet name."""

    title: str
    header: tuple[str, ...]
    rows: list[list[Any]]
    widths: tuple[int, ...]


def page_note(chunk: Chunk) -> str:
    """第p页, and （扫描件识别） when the text was recognised from a scan, so a reader knows it may hold
    recognition errors and checks the paper original."""
    return (f"第{chunk.page}页" if chunk.page else "") + ("（扫描件识别）" if chunk.ocr else "")


def _page(chunk: Chunk) -> str:
    return f"{note}，" if (note := page_note(chunk)) else ""


def document_title(chunk: Chunk) -> str:
    return f"《{plain_title(chunk.title)}》"



# ---------------------------------------------------------------------------------------------------
# Answers


def citation_line(citation: Citation) -> str:
    """``[n] 《title》第p页，section：“quote”`` — one source of an answer, as it is pasted into a report."""
    c = citation.chunk
    return f"[{citation.n}] {document_title(c)}{_page(c)}{c.section}：“{citation.quote}”"


def related_line(passage: Passage, limit: int = 60) -> str:
    """A passage shown beside a "not found" answer: where it is and how it begins."""
    c = passage.chunk
    text = c.text if len(c.text) <= limit else c.text[:limit] + "…"
    return f"{document_title(c)}{c.section}：{text}"


def answer_text(answer: Answer) -> str:
    """The answer and its sources as plain text, for the terminal and for pasting into a document."""
    lines = [answer.text]
    lines += [f"  · {related_line(p)}" for p in answer.related]
    if answer.citations:
        lines.append("\n出处：")
        lines += [citation_line(c) for c in answer.citations]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Measure check

CHECK_HEADER = ("序号", "措施", "结论", "说明", "出处文件", "章节", "原文")
CHECK_SCORES = ("相似度", "判定依据")  # in the export only: numbers a clerk does not need on screen


def check_table(results: Sequence[MeasureResult], *, scores: bool = False) -> Table:
    rows: list[list[Any]] = []
    for n, result in enumerate(results, start=1):
        best = result.matches[0] if result.matches else None
        row: list[Any] = [
            n,
            result.measure,
            result.label,
            verdict_in_words(result),
            document_title(best.chunk) if best else "",
            best.chunk.section if best else "",
            best.quote if best else "",
        ]
        if scores:
            row += [round(result.score, 3), signals_text(best.signals) if best else ""]
        rows.append(row)
    header = CHECK_HEADER + (CHECK_SCORES if scores else ())
    widths = (6, 40, 10, 50, 30, 30, 60) + ((8, 40) if scores else ())
    return Table("措施核查", header, rows, widths)


def verdict_in_words(result: MeasureResult) -> str:
    """What matches and what differs, in a clerk's words: 已有 / 部分相似（单位不同：…）/ 未找到, and where
    the reference material says it when the reports do not."""
    best = result.matches[0] if result.matches else None
    conflicts = best.signals.conflicts if best else ()
    if result.verdict == "exists":
        return "报告中已有这项措施：" + result.explanation.removeprefix("报告中已有该措施，")
    if result.verdict == "partial":
        if conflicts:
            words = f"报告中有相近内容，但{differences(conflicts)}"
        else:
            words = f"报告中有相近内容，但不是同一措施：{result.explanation}"
    else:
        # the checker's own explanation mostly says it already (报告中没有找到相近的措施；未找到：…)
        said = result.explanation.startswith("报告中")
        words = result.explanation if said else f"报告中没有找到这项措施。{result.explanation}"
    return words + (f"。{reference_note(result)}" if result.references else "")


def differences(conflicts: Sequence[Conflict]) -> str:
    """What differs between a measure and a source, in a clerk's words: 范围扩大（措施：…；原文：…）."""
    return "；".join(f"{c.label}（措施：{c.measure_value}；原文：{c.source_value}）" for c in conflicts)


def reference_note(result: MeasureResult) -> str:
    """Where the reference material states the measure, said as what it is: not a measure taken. What the
    passage leaves out or narrows (a scope, a number it does not state) is said too: only a contradiction
    keeps a passage out, so a close one may still differ."""
    where = "、".join(dict.fromkeys(document_title(m.chunk) for m in result.references))
    conflicts = list({c.message: c for m in result.references for c in m.signals.conflicts}.values())
    differs = f"，但{differences(conflicts)}" if conflicts else ""
    return f"参考资料{where}中有相近表述{differs}（参考资料不是整改材料，不能据此认定已有该措施）"


def signals_text(signals: Signals) -> str:
    return (
        f"内容覆盖 {signals.coverage:.2f}，集中覆盖 {signals.compact:.2f}，字面重合 {signals.bigram:.2f}，"
        f"语义相似 {signals.cosine:.2f}，判定概率 {signals.probability:.2f}"
    )


def _squashed(text: str, limit: int) -> str:
    text = re.sub(r"\s+", "", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def measure_summary(result: MeasureResult) -> str:
    """A verdict in three lines for the terminal: verdict and measure, where, why."""
    head = f"【{result.label}】{result.measure}（相似度 {result.score:.2f}）"
    if result.matches:
        head += f"\n    出处：{_quoted_at(result.matches[0])}"
    lines = [head, f"    说明：{result.explanation}"]
    lines += [f"    参考资料（不是整改措施）：{_quoted_at(m)}" for m in result.references]
    return "\n".join(lines)


def _quoted_at(match: MeasureMatch) -> str:
    """《document》 section：“the quote, squashed”."""
    section = f" {match.chunk.section}" if match.chunk.section else ""
    return f"{document_title(match.chunk)}{section}：“{_squashed(match.quote, 90)}”"


# ---------------------------------------------------------------------------------------------------
# Ledger and library

LEDGER_HEADER = ("序号", "反馈问题", "整改措施", "责任单位", "整改时限", "完成情况", "来源文件", "序号标记")
UNITS_JOINER = "、"


def ledger_table(rows: Sequence[LedgerRow], title: str = "整改台账") -> Table:
    """The five columns staff keep (empty where the text does not say), then where the measure is."""
    body: list[list[Any]] = [
        [n, row.problem, row.text, UNITS_JOINER.join(row.units), row.deadline, row.status,
         document_title_of(row.title), row.label]
        for n, row in enumerate(rows, start=1)
    ]
    return Table(title, LEDGER_HEADER, body, (6, 30, 80, 18, 14, 14, 28, 8))


def document_title_of(title: str) -> str:
    return f"《{plain_title(title)}》"


def ledger_overview(rows: Sequence[LedgerRow]) -> Table:
    """How many measures per document and problem area, and per status (an empty status: 未写明)."""
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (document_title_of(row.title), row.problem or "（未写明）")
        counts[key] = counts.get(key, 0) + 1
    body: list[list[Any]] = [[doc, problem, n] for (doc, problem), n in counts.items()]
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row.status or "未写明"] = statuses.get(row.status or "未写明", 0) + 1
    body += [["", "", ""], ["完成情况", "", ""]] + [["", status, n] for status, n in statuses.items()]
    body += [["合计", "", len(rows)]]
    return Table("总览", ("文件", "反馈问题 / 完成情况", "措施数"), body, (34, 60, 10))


LIBRARY_HEADER = ("标题", "文件", "类别", "版本", "片段数", "索引时间", "状态")
_STATUS_LABELS = {"ok": "已索引", "failed": "失败", "pending": "处理中"}


USERS_HEADER = ("用户名", "角色", "状态", "可访问的知识库")


def users_table(users: Sequence[User]) -> Table:
    """The users, their roles, whether they may sign in, and what they read (a 管理员 reads everything)."""
    rows = [[u.name, u.role, "启用" if u.active else "停用", "全部" if u.admin else ("、".join(u.kbs) or "（无）")]
            for u in users]
    return Table("用户", USERS_HEADER, rows, (16, 10, 8, 40))


def library_table(records: Sequence[FileRecord], versions: Mapping[str, int] | None = None) -> Table:
    """The indexed documents, newest first; the version counts the earlier ones a revision replaced."""
    versions = versions or {}
    rows: list[list[Any]] = [
        [
            r.title or r.name,
            r.name,
            KIND_LABELS.get(r.kind, r.kind or "—"),
            f"第 {versions.get(r.name, 1)} 版",
            r.chunks,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.indexed_at)) if r.indexed_at else "",
            _STATUS_LABELS.get(r.status, r.status) + (f"：{r.error}" if r.error else ""),
        ]
        for r in sorted(records, key=lambda r: -r.indexed_at)
    ]
    return Table("资料库", LIBRARY_HEADER, rows, (40, 40, 12, 8, 8, 18, 40))


# ---------------------------------------------------------------------------------------------------
# Study pack

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def markdown_escape(text: str) -> str:
    """Backslash the characters Markdown would read as markup (the "*州" of anonymised reports would
    otherwise turn into italics); the rendered text is the document's text."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def study_markdown(pack: StudyPack) -> str:
    from assistant.study import PART_MEASURES, PART_REGULATIONS, parts

    lines = [f"# {pack.title}", "", f"生成日期：{pack.generated_text}", ""]
    if pack.note:
        lines += [f"**编者按**：{markdown_escape(pack.note)}", ""]
    lines += ["## 目录", ""]
    for section in pack.sections:
        lines.append(f"- {section.heading}")
        lines.append(f"  - {PART_REGULATIONS}（{len(section.regulations)}条）")
        lines.append(f"  - {PART_MEASURES}（{len(section.measures)}项）")
    for section in pack.sections:
        lines += ["", f"## {section.heading}"]
        for part, excerpts, empty in parts(section):
            lines += ["", f"### {part}", ""]
            if not excerpts:
                lines += [empty]
                continue
            for n, excerpt in enumerate(excerpts, start=1):
                lines.append(f"**{n}.**")
                lines.append("")
                lines += [f"> {markdown_escape(line)}" if line else ">" for line in excerpt.text.split("\n")]
                lines.append("")
                lines.append(f"*——{markdown_escape(excerpt.source)}*")
                if excerpt.basis:
                    lines.append("")
                    lines.append(f"*对应法规依据：{markdown_escape('、'.join(excerpt.basis))}*")
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def study_json(pack: StudyPack) -> dict[str, Any]:
    return {
        "title": pack.title,
        "theme": pack.theme,
        "generated": pack.generated.isoformat(),
        "contents": pack.contents,
        "sections": [
            {
                "topic": s.topic,
                "heading": s.heading,
                "regulations": [e.to_json() for e in s.regulations],
                "measures": [e.to_json() for e in s.measures],
            }
            for s in pack.sections
        ],
    }


def jsonl_line(row: dict[str, Any]) -> str:
    """One line of the machine interface's JSON-lines output."""
    return json.dumps(row, ensure_ascii=False) + "\n"
