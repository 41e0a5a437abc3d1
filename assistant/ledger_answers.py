"""Questions about the ledger's columns — what is not done yet, what a unit leads — answered from the
ledger rows (assistant/ledger.py), each row quoted and cited like any other item.

The question's form decides, not its topic: a list or count question that asks about completion
("还有哪些没完成？") or responsibility ("由局党组牵头的有几项？").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.ledger import LedgerRow

_OPEN_Q = re.compile(r"没完成|未完成|尚未完成|还没|没有完成|未整改|没整改|没落实|未落实|正在推进|推进中")
_DONE_Q = re.compile(r"已完成|已经完成|完成了哪些|哪些完成|哪些已经|整改到位了")
_BODY = r"[\u4e00-\u9fff]{0,10}(?:科|室|局|处|部|委|组|办|中心|单位|学校|支部|党组|党委|小组)"
_LEAD_Q = re.compile(rf"由({_BODY})(?:牵头|负责|承担|主抓)|({_BODY})(?:牵头|负责|承担|主抓)")
_OPEN = re.compile(r"正在|尚未|未完成|推进中|持续推进|未整改|未落实")
_DONE = re.compile(r"已(?:全部|基本)?(?:完成|整改到位|整改完毕|落实|办结|销号)|全部(?:完成|整改到位)|整改到位")


@dataclass(frozen=True)
class LedgerQuery:
    status: str = ""  # "open" | "done" | ""
    unit: str = ""  # a unit the question names as leading or responsible


def ledger_query(question: str) -> LedgerQuery | None:
    """What the question asks of the ledger's columns, or None when it asks nothing of them."""
    status = "open" if _OPEN_Q.search(question) else "done" if _DONE_Q.search(question) else ""
    lead = _LEAD_Q.search(question)
    unit = (lead.group(1) or lead.group(2)) if lead else ""
    unit = re.sub(r"^(?:哪些措施|措施|哪些|那些|这些|是)", "", unit).removeprefix("由")
    if unit in ("哪个", "哪些", "谁", "哪个部门", "哪些部门", "哪个单位", "哪些单位", "什么"):
        unit = ""
    return LedgerQuery(status, unit) if status or unit else None


def row_status(row: LedgerRow) -> str:
    if _OPEN.search(row.status):
        return "open"
    return "done" if _DONE.search(row.status) else ""


def matching_rows(rows: Sequence[LedgerRow], query: LedgerQuery) -> list[LedgerRow]:
    """The rows whose own columns say so: an empty status is neither done nor open."""
    out = []
    for row in rows:
        if query.status and row_status(row) != query.status:
            continue
        if query.unit and not any(query.unit in u or u in query.unit for u in row.units):
            continue
        out.append(row)
    return out
