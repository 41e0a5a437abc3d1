"""The columns of a 整改台账 row, read from the measure's own text: the problem it answers, the units that
act, the deadline and the progress — each only where the text states it. An empty cell is better than a
guess: a clerk fills it from what he knows; a wrong value he would have to find first.

A row of an imported ledger spreadsheet ("列名：值；列名：值") keeps its own columns, recognised by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.measures.elements import extract_orgs
from index.chunking import SECTION_SEPARATOR
from index.text import CLAUSE_BREAK, ITEM_LABEL

# A unit acts when it opens its clause, or follows a word that assigns the work to it.
_ASSIGNS = re.compile(r"(?:由|会同|联合|牵头单位|责任单位|协同|督促|要求|指导)[:：]?$")
# What may stand before the unit at the start of a clause: the measure's label, a date, a frame word.
_OPENING = re.compile(rf"^{ITEM_LABEL}?"
                      r"(?:同时|目前|此外|截至[^，,]{0,12}|[\d*]+年|[\d*]+月[\d*]+日|[\d*]+月)?[，,]?$")

_DEADLINE = re.compile(
    r"(?:[\d*]{1,4}年)?(?:[\d*]{1,2}月)?(?:底|末|中旬|上旬|下旬)?(?:前|之前|以前)完成"
    r"|(?:[\d*]{1,4}年)(?:[\d*]{1,2}月)?(?:底|末)?(?:前|之前|以前)"
    r"|[\d*]{1,2}月(?:底|末)(?:前|之前)"
    r"|年底前|年内|限期[\d*一二三四五六七八九十]+(?:个)?(?:日|天|周|月)|[\d*一二三四五六七八九十]+(?:个)?(?:工作日|日|天|月)内"
    r"|长期坚持|立行立改|即知即改|持续整改"
)
_STATUS = re.compile(
    r"已(?:全部|基本)?(?:完成|整改到位|整改完毕|落实|办结|销号|下发|印发|出台|建立|召开|开展|修订)"
    r"|全部(?:整改到位|完成|落实)|整改到位|基本完成|持续推进|正在(?:推进|进行|开展|整改|落实|制定|修订)|长期坚持"
    r"|尚未(?:完成|整改)|未完成|推进中|完成率[\d.]+%"
)

COLUMN_NAMES = {
    "problem": re.compile(r"反馈问题|问题描述|存在问题|问题"),
    "measure": re.compile(r"整改措施|措施|整改内容|整改任务"),
    "units": re.compile(r"责任单位|牵头单位|责任部门|牵头部门|责任科室"),
    "deadline": re.compile(r"整改时限|完成时限|时限|期限"),
    "status": re.compile(r"完成情况|整改情况|进展情况|进展|完成状态|状态"),
}


@dataclass(frozen=True)
class RowFields:
    problem: str
    measure: str
    units: tuple[str, ...]
    deadline: str
    status: str


def problem_of(area: str) -> str:
    """The heading right above the measure: the problem (or area) it answers."""
    return area.split(SECTION_SEPARATOR)[-1].strip() if area else ""


def acting_units(text: str) -> tuple[str, ...]:
    """Bodies that act in the measure: one opening a clause ("州教育研究室根据…修订"), one the work is
    assigned to ("由组织人事科牵头", "会同财政局制定"); bodies only mentioned are left out."""
    found: list[str] = []
    for org in extract_orgs(text):
        clause_start = max((m.end() for m in CLAUSE_BREAK.finditer(text, 0, org.start)), default=0)
        before = text[clause_start : org.start].strip()
        if (_OPENING.match(before) or _ASSIGNS.search(before)) and not any(org.name in f for f in found):
            found.append(org.name)
    return tuple(found)


def deadline_of(text: str) -> str:
    return "、".join(dict.fromkeys(m.group() for m in _DEADLINE.finditer(text)))


def status_of(text: str) -> str:
    return "、".join(dict.fromkeys(m.group() for m in _STATUS.finditer(text)))


def ledger_columns(text: str) -> dict[str, str] | None:
    """The named columns of a spreadsheet row ("整改措施：…；责任单位：…"), or None for plain text."""
    cells = [c.partition("：") for c in text.split("；") if "：" in c]
    if len(cells) < 2:
        return None
    columns: dict[str, str] = {}
    for name, _, value in cells:
        for key, pattern in COLUMN_NAMES.items():
            if key not in columns and pattern.search(name.strip()):
                columns[key] = value.strip()
                break
    return columns if "measure" in columns else None


def fields_of(text: str, area: str) -> RowFields:
    columns = ledger_columns(text)
    if columns is not None:  # an imported ledger row keeps its own columns
        units = tuple(u for u in re.split(r"[、，,；;/\s]+", columns.get("units", "")) if u)
        return RowFields(columns.get("problem", "") or problem_of(area), columns["measure"], units,
                         columns.get("deadline", ""), columns.get("status", ""))
    return RowFields(problem_of(area), text, acting_units(text), deadline_of(text), status_of(text))
