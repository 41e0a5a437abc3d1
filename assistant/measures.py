"""Does a rectification measure already exist in the reports — where, and how close?

A measure is compared with the sentences (and pairs of adjacent sentences) of the report chunks the
hybrid searcher returns for it. Cosine similarity alone cannot tell a measure from its near misses
(the wrong department, the opposite action, another frequency, an overstated scope all score as high
as the real thing), so each candidate span gets a small set of transparent signals:

* **topic** — how much of the measure's content the span covers: idf-weighted jieba-token coverage
  (with a small table of everyday/official synonyms), character-bigram coverage and the encoder's
  cosine, combined into one similarity;
* **elements** — the key elements of the measure are extracted (departments and other bodies, actions
  and their negation, numbers with units, frequencies, scope words) and compared with those of the
  span's focus sentence; each disagreement is a ``Conflict`` with a Chinese explanation.

Verdict: ``exists`` when a conflict-free span covers the topic well and no closer span contradicts
it; ``partial`` when the topic is close but an element conflicts or the coverage is middling;
``absent`` otherwise. An optional LLM judge (``ws.chat_model``) can confirm or downgrade the verdict.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jieba
import jieba.posseg as posseg
import numpy as np

from assistant.retrieval import Passage, SearchFilter
from index.chunking import Chunk
from index.lexical import STOPWORDS

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.workspace import Workspace

log = logging.getLogger(__name__)

PROMPT_PATH = Path(__file__).resolve().parents[1] / "prompts" / "measure_judge.txt"

EXISTS, PARTIAL, ABSENT = "exists", "partial", "absent"
VERDICT_LABELS = {EXISTS: "已有", PARTIAL: "部分相似", ABSENT: "未找到"}

# ---------------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------------

# Everyday and official wordings of the same thing; a measure word counts as present when any form is.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("退回", "返回", "回到", "调回", "清退"),
    ("召开", "举行", "举办", "开会"),
    ("会", "会议"),
    ("选", "选定", "确定", "选取", "遴选"),
    ("老师", "教师"),
    ("签", "签订", "签署"),
    ("建立", "建设", "设立", "建起", "健全", "建立健全", "建立完善"),
    ("制定", "出台", "印发", "制发", "研究制定"),
    ("修订", "修改", "修订完善"),
    ("开展", "组织", "实施", "进行"),
    ("临聘", "临时聘用"),
    ("职工", "教职工", "干部职工"),
    ("干部", "干部职工"),
    ("工资", "薪酬"),
    ("钱", "资金", "经费", "款项"),
    ("招投标", "招标", "投标"),
    ("学", "学习"),
    ("查", "检查", "核查", "督查"),
    ("检查", "督查", "核查"),
    ("处分", "处理"),
    ("合并", "并入", "整合", "归并"),
)
SYNONYMS: dict[str, frozenset[str]] = {}
for _group in SYNONYM_GROUPS:
    for _word in _group:
        SYNONYMS[_word] = SYNONYMS.get(_word, frozenset()) | frozenset(_group)

# Words that carry no topic of their own in a measure.
FILLER = frozenset(
    """已经 已 把 给 让 它 它们 他们 将 对 了 的 地 得 着 过 进一步 认真 切实 扎实 积极 及时 严格 全力
    坚持 持续 不断 加强 加大 强化 推进 推动 落实 做好 抓好 一个 一所 一次 当 里 局里 这 那 等 并 及 与 和
    同时 目前 现在 今年 去年 已于 各项 有关 相关 具体 明确要求 要求 提出 做到 实现 完成 全部 所有 全体
    都 均 一律 全面 下来 起来 出来 上来 下去 当周 当月 当年 当天 当日""".split()
) | STOPWORDS

# Action verbs by class. Classes, not words, are compared: 退回 and 返回 agree, 调入 and 返回 do not.
ACTION_CLASSES: dict[str, tuple[str, ...]] = {
    "create": ("建立", "设立", "成立", "组建", "新建", "新组建", "设置", "创建", "增设", "建起", "挂牌"),
    "formulate": ("制定", "出台", "印发", "制发", "起草", "下发", "研究制定", "制定印发"),
    "revise": ("修订", "修改", "修订完善", "完善"),
    "abolish": ("撤销", "取消", "废止", "废除", "撤除", "裁撤", "注销", "撤并"),
    "merge": ("合并", "并入", "整合", "归并", "划入", "划转"),
    "stop": ("停止", "暂停", "中止", "终止", "叫停", "关停", "停办"),
    "prohibit": ("禁止", "严禁", "杜绝", "不得", "不准"),
    "increase": ("增加", "提高", "增配", "扩大", "新增", "增长", "上调", "提升", "增至"),
    "decrease": ("减少", "降低", "压缩", "削减", "下调", "缩减", "精简"),
    "return": ("退回", "返回", "清退", "退出", "回到", "调回", "调出", "清理", "撤回"),
    "admit": ("调入", "纳入", "引进", "录用", "招录", "吸收", "转为", "列入", "编入", "转正"),
    "conduct": ("开展", "组织", "实施", "进行", "举办", "召开", "启动", "实行", "推行", "执行"),
    "check": ("审计", "检查", "督查", "核查", "巡查", "抽查", "排查", "督导", "自查"),
    "sign": ("签订", "签署"),
    "study": ("学习", "研讨", "研学"),
    "report": ("汇报", "报告", "通报"),
    "return_funds": ("退还", "退缴", "追回", "收缴"),
}
ACTION_CLASS_OF: dict[str, str] = {w: cls for cls, words in ACTION_CLASSES.items() for w in words}
OPPOSITE_ACTIONS: dict[str, frozenset[str]] = {
    "create": frozenset({"abolish", "stop"}),
    "abolish": frozenset({"create", "formulate"}),
    "formulate": frozenset({"abolish"}),
    "increase": frozenset({"decrease"}),
    "decrease": frozenset({"increase"}),
    "admit": frozenset({"return"}),
    "return": frozenset({"admit"}),
    "conduct": frozenset({"stop"}),
    "stop": frozenset({"conduct", "create"}),
}
# Classes that change what exists or who belongs where: the action on a named body must agree.
STRUCTURAL = frozenset({"create", "abolish", "merge", "stop", "increase", "decrease", "return", "admit"})
NEGATION_WORDS = frozenset({"不", "不再", "未", "没有", "尚未", "没", "未能", "并未", "从未", "不能", "从不", "并不", "未曾"})

# Bodies (departments, organisations) end in one of these; the family groups like with like.
_ORG_FAMILIES: tuple[tuple[str, str], ...] = (
    ("委员会", "委"), ("常委会", "委"), ("办公室", "办"), ("研究室", "室"), ("领导小组", "小组"),
    ("中心", "中心"), ("政府", "政府"), ("党组", "党组"), ("党委", "委"), ("纪委", "委"), ("支部", "支部"),
    ("局", "局"), ("厅", "局"), ("处", "处"), ("部", "部"), ("办", "办"), ("科", "科"), ("室", "室"), ("委", "委"),
)
# Words ending like a body that are not one: checked against the end of the suffix-bearing word.
NOT_ORG_TAILS = frozenset(
    """干部 全部 内部 外部 局部 各部 细部 基部 底部 顶部 头部 东部 西部 南部 北部 中部 俱乐部 大局 全局 当局
    格局 布局 结局 我局 本局 该局 好处 到处 之处 处处 用处 益处 坏处 长处 短处 难处 深处 住处 出处 此处 各处
    何处 举办 创办 主办 承办 督办 查办 开办 兴办 包办 代办 试办 合办 协办 筹办 怎么办 学科 本科 专科 外科
    内科 文科 理科 工科 百科 前科 各科 分科 教室 科室 实验室 会议室 阅览室 活动室 工作室 值班室 原委 两委
    餐厅 大厅 客厅 展厅""".split()
)
# Generic mentions that name no particular body.
NOT_ORG = frozenset(
    """局 处 部 办 科 室 委 厅 中心 常委 党委 委员会 政府 各级政府 地方政府 人民政府 支部 党支部 办公室 本部
    局机关 机关""".split()
)
_LEADING_FUNCTION = frozenset("经并由在向对将把被从与和及为给让同")
_GENERIC_ORG_PREFIX = re.compile(r"^(?:\*?[州省市县区]|我|本|该|各|校|学校)(?=..)")
_ROLE_SUFFIX = re.compile(r"(书记|副书记|主任|局长|处长|部长|科长|厅长|组长|主席|委员)$")
PERSON = "人"
_ROLE = re.compile(
    r"副?(?:书记|校长|院长|局长|厅长|处长|部长|科长|主任|组长|主席)|(?:校|院|局|厅|州|县|市)领导|班子成员"
)
_ROLE_PREFIX = re.compile(r"(?:党委|纪委|党组|党支部|支部|党总支)$")
_ROLE_NOT_AFTER = re.compile(r"(?:负责制|办公会|信箱|热线|职责)")

_NUMERAL = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+|\*+(?:\.\*+)?)"
_UNIT = (
    r"(?:人次|万元|亿元|平方米|场次|学时|小时|个月|名|人|次|个|所|项|条|元|%|批|场|家|册|篇|门|份|件|位|支|套|本|户|间|处)"
)
_NUMBER = re.compile(rf"(?<![第每周星])({_NUMERAL})\s*(?:余|多)?\s*({_UNIT})")  # 40余处 counts as 40处
_PERIOD = r"(?:星期|周|月|季度|季|年|半年|学期|天|日|双月)"
_FREQUENCY = re.compile(rf"每(?:个)?({_PERIOD})(?:(?:周|星期)?([一二三四五六日天])(?![次个遍回到至名项人]))?")
_FREQUENCY_ONCE = re.compile(rf"[一两二]?({_PERIOD})[一两二三\*]+次")
_PERIOD_NORMAL = {"星期": "周", "季": "季度", "天": "日"}

# "由甲调整为乙": a change has a direction; the reverse change is another measure.
_CHANGE = re.compile(
    r"(?:由|从)[“\"‘]?([^，。；、“”\"‘’]{1,12}?)[”\"’]?(?:调整|改|转|变更|变|划转|调)(?:为|成|到|至)[“\"‘]?([^，。；、“”\"‘’]{1,12}?)(?=[”\"’，。；、]|$)"
)
_TOTAL_SCOPE = ("全部", "所有", "全体", "一律", "全都", "悉数", "全覆盖", "百分之百", "100%", "无一例外", "均已", "全面")
_REGION_SCOPE = re.compile(r"全(州|省|市|县|区|国|校|系统|行业)")

_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*[”’」』）)]*")
_CLAUSE_BREAK = re.compile(r"[，,。！？；!?;：:\n]")
_TITLE = re.compile(r"《[^》]*》")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NUMBERING = re.compile(
    r"^\s*(?:[（(]?[一二三四五六七八九十百]+[）)、.．]|[（(]\d+[）)]|\d+[、.．)）](?!\d)|[①-⑳]|"
    r"[一二三四五六七八九十]+是[：:，,]?|第[一二三四五六七八九十百\d]+[条项点][、：:，,]?|[-•·*]\s)\s*"
)

# ---------------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    kind: str  # "actor" | "person" | "action" | "number" | "frequency" | "scope" | "negation"
    measure_value: str
    source_value: str

    @property
    def message(self) -> str:
        m, s = self.measure_value, self.source_value
        if self.kind == "actor":
            return f"部门不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "person":
            return f"人员不一致：措施为“{m}”，原文为“{s}”"
        if self.kind in ("number", "frequency") and s.startswith("未写明"):
            return f"{'数量' if self.kind == 'number' else '频次'}无依据：措施为“{m}”，原文{s}"
        if self.kind == "action":
            return f"动作不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "number":
            return f"数量不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "frequency":
            return f"频次不一致：措施为“{m}”，原文为“{s}”"
        if self.kind == "scope":
            return f"范围夸大：措施称“{m}”，原文{s}"
        return f"肯定否定相反：措施为“{m}”，原文为“{s}”"


@dataclass(frozen=True)
class Signals:
    """Why a span was judged as it was; every number is in [0, 1]."""

    coverage: float  # idf-weighted share of the measure's content words found in the span
    compact: float  # the same share within the best short stretch of clauses (words not scattered)
    bigram: float  # share of the measure's character bigrams found in the span
    cosine: float  # encoder cosine between measure and span
    similarity: float  # the combination of the four, the "相似度" shown to users
    conflicts: tuple[Conflict, ...] = ()
    missing: tuple[str, ...] = ()  # distinctive measure words the span does not have

    def to_json(self) -> dict[str, Any]:
        return {
            "coverage": round(self.coverage, 4),
            "compact": round(self.compact, 4),
            "bigram": round(self.bigram, 4),
            "cosine": round(self.cosine, 4),
            "similarity": round(self.similarity, 4),
            "conflicts": [c.message for c in self.conflicts],
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class MeasureMatch:
    chunk: Chunk
    quote: str  # exact characters of chunk.text
    offset: int  # position of the quote in chunk.text
    signals: Signals

    @property
    def start(self) -> int:
        return self.chunk.start + self.offset

    @property
    def end(self) -> int:
        return self.start + len(self.quote)

    @property
    def score(self) -> float:
        return self.signals.similarity

    def to_json(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "doc": c.doc,
            "title": c.title,
            "section": c.section,
            "label": c.label,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "score": round(self.score, 4),
        }


@dataclass
class MeasureResult:
    measure: str
    verdict: str  # exists | partial | absent
    score: float
    explanation: str
    matches: list[MeasureMatch] = field(default_factory=list)
    judge: str = ""  # the LLM judge's verdict and reason, when one was asked

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def exists(self) -> bool:
        return self.verdict == EXISTS

    def to_json(self, id: str | None = None) -> dict[str, Any]:
        return {
            "id": id,
            "measure": self.measure,
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "explanation": self.explanation,
            "matches": [m.to_json() for m in self.matches],
        }

    def summary(self) -> str:
        head = f"【{self.label}】{self.measure}（相似度 {self.score:.2f}）"
        if self.matches:
            m = self.matches[0]
            section = f" {m.chunk.section}" if m.chunk.section else ""
            head += f"\n    出处：《{m.chunk.title.strip('《》')}》{section}：“{_shorten(m.quote, 90)}”"
        return f"{head}\n    说明：{self.explanation}"


def _shorten(text: str, limit: int) -> str:
    text = re.sub(r"\s+", "", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------------
# Text units
# ---------------------------------------------------------------------------------------------------


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` (ends kept, surrounding whitespace trimmed)."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if len(_CJK.findall(text[start:end])) >= 4:
            spans.append((start, end))
    return spans


def _clauses(text: str) -> list[str]:
    """Consecutive pieces of ``text`` ending at a comma or a sentence end; they join back to ``text``."""
    pieces, start = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def _mask_titles(text: str) -> str:
    """Titles of documents name bodies that do not act; blank them out, keeping every offset."""
    return _TITLE.sub(lambda m: "《" + "　" * (len(m.group()) - 2) + "》", text)


@dataclass(frozen=True)
class _Token:
    word: str
    flag: str
    start: int
    end: int


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[_Token, ...]:
    out = []
    pos = 0
    for pair in posseg.lcut(text):
        word = pair.word
        out.append(_Token(word, pair.flag, pos, pos + len(word)))
        pos += len(word)
    return tuple(out)


def _clause_id(text: str) -> list[int]:
    """Clause number of every character (clauses break at commas and sentence ends, not at 、)."""
    ids, current = [], 0
    for ch in text:
        ids.append(current)
        if _CLAUSE_BREAK.match(ch):
            current += 1
    return ids


def _present(word: str, text: str) -> bool:
    return word in text or any(form in text for form in SYNONYMS.get(word, ()))


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if _CJK.match(c) or c.isdigit()]
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


# ---------------------------------------------------------------------------------------------------
# Elements
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Org:
    name: str
    core: str  # the name without a generic leading qualifier (州, 学校 …)
    family: str  # 局, 处, 委 …
    start: int
    end: int


@dataclass(frozen=True)
class Action:
    word: str
    cls: str
    negated: bool
    start: int
    end: int


@dataclass(frozen=True)
class Elements:
    text: str
    orgs: tuple[Org, ...]
    actions: tuple[Action, ...]
    numbers: tuple[tuple[str, str], ...]  # (value, unit); value "*" for a redacted number
    frequencies: tuple[tuple[str, str], ...]  # (period, weekday or "")
    total_scope: tuple[str, ...]
    region_scope: tuple[str, ...]
    clauses: tuple[int, ...]  # clause id per character
    negated: tuple[str, ...] = ()  # verbs under a negation: 不再出席 → 出席
    verbs: tuple[str, ...] = ()  # every verb, negated or not
    roles: tuple[Org, ...] = ()  # posts: 党委书记, 校长, 监察室主任 (family PERSON)
    changes: tuple[tuple[str, str], ...] = ()  # 由甲调整为乙 → (甲, 乙)

    @property
    def actors(self) -> tuple[Org, ...]:
        return self.orgs + self.roles


def _org_family(word: str) -> str | None:
    for suffix, family in _ORG_FAMILIES:
        if word.endswith(suffix):
            return family
    return None


def extract_orgs(text: str) -> list[Org]:
    """Departments and other bodies named in ``text`` (not inside 《titles》)."""
    masked = _mask_titles(text)
    tokens = _tokens(masked)
    orgs: list[Org] = []
    for i, tok in enumerate(tokens):
        word = tok.word
        role = _ROLE_SUFFIX.search(word)
        if role and len(word) > len(role.group()) and _org_family(word[: role.start()]):
            word = word[: role.start()]  # 纪委书记 → 纪委
        family = _org_family(word)
        if family is None or word.endswith(tuple(NOT_ORG_TAILS)):
            continue
        if not (tok.flag.startswith(("n", "j")) or len(word) == 1):
            continue
        if i + 1 < len(tokens) and tokens[i + 1].word in ("长", "员", "主任", "级") and len(word) == 1:
            continue
        start, end = tok.start, tok.start + len(word)
        # Extend to the left over the qualifying nouns: 州 + 审计局, 基建 + 保障 + 处.
        j = i - 1
        while j >= 0 and i - j <= 3:
            prev = tokens[j]
            if not _qualifier(prev, short_head=len(word) == 1):
                break
            start = prev.start
            j -= 1
        while start < end - 1 and masked[start] in _LEADING_FUNCTION:  # 经 + 局党组: 经 is not part of it
            start += 1
        name = masked[start:end]
        if name in NOT_ORG or len(name) < 2 or "　" in name:
            continue
        core = _GENERIC_ORG_PREFIX.sub("", name)
        if len(core) < 2 or core in NOT_ORG:
            core = name
        if orgs and orgs[-1].end == start and orgs[-1].family != family:
            # 党委 + 常委会: one body, not two
            prev_org = orgs.pop()
            start, name = prev_org.start, masked[prev_org.start : end]
            core = name
        orgs.append(Org(name, core, family, start, end))
    return orgs


def _qualifier(tok: _Token, *, short_head: bool) -> bool:
    w = tok.word
    if not _CJK.match(w[0]) or w in ACTION_CLASS_OF or w in _FUNCTION_VERBS:
        return False
    if tok.flag.startswith(("n", "j", "a", "b", "vn")):
        return w not in ("的", "我", "本", "该", "各")
    # a verb-like word only before a bare one-character head: 保障 in 基建 + 保障 + 处
    return short_head and tok.flag == "v" and len(w) == 2


_FUNCTION_VERBS = frozenset(
    """协调 会同 联合 配合 根据 按照 通过 要求 督促 指导 向 与 和 及 同 由 经 在 对 给 把 将 为 被 到 让 请
    邀请 征求 报 报送 提交 移交 选派 派 推动 支持 加强 抓好 认真 负责 牵头 指定 确定 选 成为 作为 担任 出席
    列席 参加 主持 统筹 落实 深入 持续 坚持 支持""".split()
)


def extract_actions(text: str) -> list[Action]:
    negated = {tok.start for tok in _negated_tokens(text)}
    return [
        Action(tok.word, ACTION_CLASS_OF[tok.word], tok.start in negated, tok.start, tok.end)
        for tok in _tokens(_mask_titles(text))
        if tok.word in ACTION_CLASS_OF
    ]


def _negated_tokens(text: str) -> list[_Token]:
    """Verbs and action words under a negation: 不再出席, 未及时追回, 尚未完成."""
    out = []
    pending = 0  # tokens a negation may still reach over
    for tok in _tokens(_mask_titles(text)):
        if tok.word in NEGATION_WORDS:
            pending = 3
            continue
        if tok.word in ACTION_CLASS_OF or (tok.flag.startswith("v") and len(tok.word) >= 2):
            if pending:
                out.append(tok)
            pending = 0
        elif pending and (tok.flag.startswith(("d", "u", "a", "c")) or tok.word in ("再", "会", "能", "得")):
            pending -= 1  # 不 + 再 + 出席, 未 + 及时 + 追回: the negation carries over adverbs
        else:
            pending = 0
    return out


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def chinese_number(text: str) -> float | None:
    """12, 3.5, 十二, 两百 … → the number; None when it is not one."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total, section, digit = 0, 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + digit) * unit
                section, digit = 0, 0
            else:
                section += (digit or 1) * unit
                digit = 0
        else:
            return None
    return float(total + section + digit)


def extract_numbers(text: str) -> list[tuple[str, str]]:
    found = []
    for match in _NUMBER.finditer(text):
        raw, unit = match.group(1), match.group(2)
        if "*" in raw:
            found.append(("*", unit))
            continue
        # a Chinese numeral glued to a word (统一, 唯一, 之一 …) is not a count
        if not raw[0].isdigit() and match.start() > 0 and _CJK.match(text[match.start() - 1]) and len(raw) == 1:
            prev = text[match.start() - 1]
            if prev not in "了选配派有设开用召按增计共约近超达至和、到每逾各":
                continue
        value = chinese_number(raw)
        if value is not None:
            found.append((f"{value:g}", unit))
    return found


def extract_frequencies(text: str) -> list[tuple[str, str]]:
    found = []
    for match in _FREQUENCY.finditer(text):
        period = _PERIOD_NORMAL.get(match.group(1), match.group(1))
        weekday = match.group(2) or ""
        if not weekday and period == "周":
            after = re.match(r"(?:周|星期)([一二三四五六日天])", text[match.end() :])
            weekday = after.group(1) if after else ""
        found.append((period, weekday.replace("天", "日")))
    taken = {i for m in _FREQUENCY.finditer(text) for i in range(m.start(), m.end())}
    for match in _FREQUENCY_ONCE.finditer(text):
        if match.start(1) not in taken:  # 每周一次 is one frequency, not two
            found.append((_PERIOD_NORMAL.get(match.group(1), match.group(1)), ""))
    return found


def extract_verbs(text: str) -> tuple[list[str], list[str]]:
    """(verbs under a negation, all verbs) of ``text``."""
    negated = [tok.word for tok in _negated_tokens(text)]
    verbs = [
        tok.word for tok in _tokens(_mask_titles(text))
        if tok.word in ACTION_CLASS_OF or (tok.flag.startswith("v") and len(tok.word) >= 2)
    ]
    return negated, verbs


@lru_cache(maxsize=4096)
def extract_elements(text: str) -> Elements:
    negated, verbs = extract_verbs(text)
    return Elements(
        text=text,
        orgs=tuple(extract_orgs(text)),
        actions=tuple(extract_actions(text)),
        numbers=tuple(extract_numbers(text)),
        frequencies=tuple(extract_frequencies(text)),
        total_scope=tuple(w for w in _TOTAL_SCOPE if w in text),
        region_scope=tuple(dict.fromkeys(m.group() for m in _REGION_SCOPE.finditer(text))),
        clauses=tuple(_clause_id(text)),
        negated=tuple(negated),
        verbs=tuple(verbs),
        roles=tuple(extract_roles(text)),
        changes=tuple((m.group(1), m.group(2)) for m in _CHANGE.finditer(text)),
    )


def extract_roles(text: str) -> list[Org]:
    """Posts named in ``text``: 党委书记, 纪委书记, 校长, 副组长, 监察室主任 …"""
    masked = _mask_titles(text)
    org_ends = {o.end: o for o in extract_orgs(text)}
    roles = []
    for m in _ROLE.finditer(masked):
        if _ROLE_NOT_AFTER.match(masked, m.end()):
            continue
        start = m.start()
        if start in org_ends:  # 监察室 + 主任
            start = org_ends[start].start
        else:
            prefix = _ROLE_PREFIX.search(masked, max(0, start - 3), start)
            start = prefix.start() if prefix else start
        roles.append(Org(masked[start : m.end()], masked[start : m.end()], PERSON, start, m.end()))
    return roles


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def orgs_match(a: Org, b: Org) -> bool:
    """Same body: equal cores, or the shorter core's characters appear in order in the longer one
    (职业学校 ~ 职业技术学校, 纪委 ~ 学校纪委, 编办 ~ 机构编制委员会办公室)."""
    x, y = sorted((a.core, b.core), key=len)
    if x == y:
        return True
    if a.family != b.family or ("副" in y) != ("副" in x):  # 组长 is not 副组长
        return False
    return x[-1] == y[-1] and _subsequence(x, y)


# ---------------------------------------------------------------------------------------------------
# Comparison of a measure with one span
# ---------------------------------------------------------------------------------------------------


def _actions_near(el: Elements, org: Org) -> list[Action]:
    """Structural actions in the clause of ``org`` (what is done to that body)."""
    clause = el.clauses[org.start] if org.start < len(el.clauses) else -1
    return [a for a in el.actions if a.cls in STRUCTURAL and not a.negated and el.clauses[a.start] == clause]


def element_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """Where the span contradicts the measure, all checks on the same text."""
    return [
        *actor_conflicts(measure, span),
        *action_conflicts(measure, span),
        *number_conflicts(measure, span),
        *frequency_conflicts(measure, span),
        *scope_conflicts(measure, span),
    ]


def actor_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """A body or post the measure names that the span replaces by another one, or to which the span
    applies another structural action (撤销 where the measure says 合并)."""
    conflicts: list[Conflict] = []
    mine, theirs = measure.actors, span.actors
    for actor in mine:
        same = [o for o in theirs if orgs_match(actor, o)]
        if same:
            done, other = _actions_near(measure, actor), _actions_near(span, same[0])
            if done and other and not {a.cls for a in done} & {a.cls for a in other}:
                conflicts.append(Conflict("action", f"{_words(done)}{actor.name}", f"{_words(other)}{same[0].name}"))
            continue
        rivals = [o for o in theirs if o.family == actor.family and not any(orgs_match(m, o) for m in mine)]
        if rivals:
            kind = "person" if actor.family == PERSON else "actor"
            conflicts.append(Conflict(kind, actor.name, "、".join(dict.fromkeys(o.name for o in rivals))))

    # Actors bound together in one clause of the measure must be bound together in the span too
    # ("监察室主任出席党委常委会" against "纪委书记出席党委常委会、监察室主任出席校长办公会").
    segments = _segment_ids(span.text, theirs)
    for a, b in _bound_pairs(measure):
        a_in = [o for o in theirs if orgs_match(a, o)]
        b_in = [o for o in theirs if orgs_match(b, o)]
        if not b_in or {segments[o.start] for o in a_in} & {segments[o.start] for o in b_in}:
            continue
        b_segments = {segments[x.start] for x in b_in}
        partners = [
            o for o in theirs
            if segments[o.start] in b_segments and o.family == a.family and not any(orgs_match(m, o) for m in mine)
        ]
        if partners and (a_in or a.family == PERSON):
            kind = "person" if a.family == PERSON else "actor"
            conflicts.append(Conflict(kind, a.name, "、".join(dict.fromkeys(o.name for o in partners))))
    return list(dict.fromkeys(conflicts))


def action_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """The span does the opposite of what the measure says, or negates it (or the other way round)."""
    conflicts: list[Conflict] = []
    span_classes = {a.cls for a in span.actions if not a.negated}
    for action in measure.actions:
        if action.negated:
            positive = [a for a in span.actions if a.cls == action.cls and not a.negated]
            if positive and not any(a.cls == action.cls and a.negated for a in span.actions):
                conflicts.append(Conflict("negation", _negated_text(measure, action), positive[0].word))
            continue
        opposite = OPPOSITE_ACTIONS.get(action.cls, frozenset())
        contrary = [a for a in span.actions if a.cls in opposite and not a.negated]
        if contrary and action.cls not in span_classes:
            conflicts.append(Conflict("action", action.word, contrary[0].word))
        negated = [a for a in span.actions if a.cls == action.cls and a.negated]
        if negated and action.cls not in span_classes:
            conflicts.append(Conflict("negation", action.word, _negated_text(span, negated[0])))
    for before, after in measure.changes:
        for theirs in span.changes:
            if (before, after) != theirs and {before, after} & set(theirs):
                conflicts.append(Conflict("action", f"由{before}调整为{after}", f"由{theirs[0]}调整为{theirs[1]}"))
    if not any(c.kind == "negation" for c in conflicts):
        for verb in dict.fromkeys(measure.negated):
            if verb in span.verbs and verb not in span.negated:
                conflicts.append(Conflict("negation", _negation_phrase(measure.text, verb), verb))
                break
        else:
            for verb in dict.fromkeys(span.negated):
                if verb in measure.verbs and verb not in measure.negated:
                    conflicts.append(Conflict("negation", verb, _negation_phrase(span.text, verb)))
                    break
    return conflicts


def number_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """The same unit with another value (a redacted * matches any value). A count the span does not
    state at all is unsupported, except 一 (一个县, 一所学校 are how people say "a county", "a school")."""
    conflicts = []
    for value, unit in dict.fromkeys(measure.numbers):
        values = [v for v, u in span.numbers if u == unit]
        if values and value not in values and "*" not in values:
            shown = "、".join(f"{v}{unit}" for v in dict.fromkeys(values))
            conflicts.append(Conflict("number", f"{value}{unit}", shown))
        elif not values and value != "1":
            conflicts.append(Conflict("number", f"{value}{unit}", "未写明该数量"))
    return conflicts


def frequency_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """Another period or weekday; a frequency the span does not state at all is unsupported."""
    conflicts = []
    span_periods = {p for p, _ in span.frequencies}
    for period, weekday in dict.fromkeys(measure.frequencies):
        if not span.frequencies:
            conflicts.append(Conflict("frequency", _freq_text(period, weekday), "未写明频次"))
        elif period not in span_periods:
            shown = "、".join(dict.fromkeys(_freq_text(p, d) for p, d in span.frequencies))
            conflicts.append(Conflict("frequency", _freq_text(period, weekday), shown))
        else:
            days = {d for p, d in span.frequencies if p == period and d}
            if weekday and days and weekday not in days:
                shown = "、".join(_freq_text(period, d) for d in sorted(days))
                conflicts.append(Conflict("frequency", _freq_text(period, weekday), shown))
    return conflicts


def scope_conflicts(measure: Elements, span: Elements) -> list[Conflict]:
    """"全部 / 所有 / 全州 …" in the measure that the span does not support. A scope word of the span
    supports it only in a clause about the same thing ("所有台账的整改措施…" does not make "全部177项整改
    任务已完成" true)."""
    conflicts = []
    if measure.total_scope:
        words = _scope_words(measure, measure.total_scope[0])
        if not any(_scope_clause_covers(span, w, words) for w in span.total_scope):
            conflicts.append(Conflict("scope", measure.total_scope[0], "未说明全部完成或全部覆盖"))
    for region in measure.region_scope:
        if not (region in span.region_scope and _scope_clause_covers(span, region, _scope_words(measure, region))):
            conflicts.append(Conflict("scope", region, f"未涉及“{region}”范围"))
    return conflicts


def _scope_words(el: Elements, scope: str) -> list[str]:
    """Content words of the measure clause that holds ``scope`` (what the scope is about)."""
    at = el.text.find(scope)
    clause = "".join(ch for ch, c in zip(el.text, el.clauses, strict=True) if c == el.clauses[max(at, 0)])
    return [
        w for w in jieba.lcut(clause.replace(scope, " "))
        if (len(w) >= 2 and w not in FILLER and _CJK.match(w[0])) or w.isdigit()
    ]


def _scope_clause_covers(span: Elements, scope: str, words: Sequence[str]) -> bool:
    if not words:
        return True
    for match in re.finditer(re.escape(scope), span.text):
        clause_id = span.clauses[match.start()]
        clause = "".join(ch for ch, c in zip(span.text, span.clauses, strict=True) if c == clause_id)
        if sum(_present(w, clause) for w in words) >= len(words) / 2:
            return True
    return False


def _bound_pairs(el: Elements) -> list[tuple[Org, Org]]:
    pairs = []
    for i, a in enumerate(el.actors):
        for b in el.actors[i + 1 :]:
            if el.clauses[a.start] == el.clauses[b.start] and not orgs_match(a, b):
                pairs.append((a, b))
                pairs.append((b, a))
    return pairs


def _segment_ids(text: str, actors: Sequence[Org] = ()) -> list[int]:
    """Like clauses, but items of a "、" list that each have their own verb are segments of their own:
    in "甲出席A会议、乙出席B会议" 甲 goes with A, not with B; in "合并甲处、乙中心" both share the verb."""
    ids, current = [], 0
    for i, ch in enumerate(text):
        ids.append(current)
        if _CLAUSE_BREAK.match(ch):
            current += 1
        elif ch == "、":
            rest = re.match(r"[^、，,。！？；!?;：:\n]*", text[i + 1 :])
            head = re.search(r"[^、，,。！？；!?;：:\n]*$", text[:i])
            if rest and head and _own_item(head.group(), i - len(head.group()), actors) and _own_item(
                rest.group(), i + 1, actors
            ):
                current += 1
    return ids


def _own_item(item: str, offset: int, actors: Sequence[Org]) -> bool:
    """A "、" item that is a statement of its own: it has a verb, or pairs two actors (党委书记任组长)."""
    if len(item) < 4:
        return False
    inside = [a for a in actors if offset <= a.start and a.end <= offset + len(item)]
    return any(t.flag == "v" for t in _tokens(item)) and bool(inside) or len(inside) >= 2


def _words(actions: Sequence[Action]) -> str:
    return "、".join(dict.fromkeys(a.word for a in actions))


def _negated_text(el: Elements, action: Action) -> str:
    start = max(0, action.start - 2)
    return el.text[start : action.end].lstrip("，。；、")


def _negation_phrase(text: str, verb: str) -> str:
    match = re.search(rf"(?:{'|'.join(sorted(NEGATION_WORDS, key=len, reverse=True))})[再会能得]?{re.escape(verb)}", text)
    return match.group() if match else verb


def _freq_text(period: str, weekday: str) -> str:
    return f"每{period}{weekday}"


# ---------------------------------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    chunk: Chunk
    offset: int
    text: str
    focus: tuple[str, ...]  # the sentence(s) the elements are compared with
    rank: int  # retrieval rank of the chunk


@dataclass
class MeasureChecker:
    """The method with its parameters; ``check_measures`` builds one over a workspace."""

    search: Callable[[str, int], list[Passage]]
    embed: Callable[[Sequence[str]], np.ndarray]
    idf: Callable[[str], float]
    chat_model: BaseChatModel | None = None
    k: int = 10  # chunks retrieved per measure
    exists_threshold: float = 0.65  # similarity a conflict-free span needs for "exists"
    partial_threshold: float = 0.42  # similarity below which nothing close was found
    min_compact: float = 0.56  # "exists" needs this much of the measure within one short stretch
    rival_margin: float = 0.08  # a closer conflicting span beats a clean one by more than this
    min_match: float = 0.25  # below this the closest span is noise and no match is shown
    max_matches: int = 3
    embed_top: int = 24  # spans scored by the encoder (the lexically closest ones)
    _vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # encoder cache by text

    # -- content words ------------------------------------------------------------------------------
    def content_words(self, measure: str) -> dict[str, float]:
        """Content words of the measure with their weight (idf, bounded so no word dominates)."""
        words: dict[str, float] = {}
        unseen = self.idf("\x00")  # the weight of a word the corpus never uses
        plain = re.sub(r"[《》〈〉“”\"]", " ", measure)  # a title the user quotes is still the topic
        plain = _NUMBER.sub(" ", _FREQUENCY_ONCE.sub(" ", _FREQUENCY.sub(" ", plain)))
        for word in jieba.lcut(plain):
            w = word.strip()
            if len(w) < 2 or w in FILLER or not _CJK.search(w):
                continue
            idf = self.idf(w)
            # A word no report uses cannot tell passages apart (colloquial wording, a segmentation slip):
            # its meaning has to come through synonyms, bigrams and the encoder instead.
            words[w] = 1.0 if idf >= unseen - 1e-9 else min(max(idf, 1.0), 8.0)
        return words

    def content_bigrams(self, measure: str) -> set[str]:
        """Character bigrams inside runs of content words (filler words and punctuation break a run)."""
        plain = _NUMBER.sub(" ", _FREQUENCY_ONCE.sub(" ", _FREQUENCY.sub(" ", measure)))
        runs, run = [], ""
        for word in jieba.lcut(plain):
            if word in FILLER or not _CJK.match(word[0]):
                runs.append(run)
                run = ""
            else:
                run += word
        runs.append(run)
        grams = set().union(*(_bigrams(r) for r in runs))
        return grams or _bigrams(measure)

    def coverage(self, words: dict[str, float], text: str) -> tuple[float, tuple[str, ...]]:
        if not words:
            return 0.0, ()
        total = sum(words.values())
        got = 0.0
        missing = []
        for word, weight in words.items():
            if _present(word, text):
                got += weight
                continue
            parts = [p for p in jieba.lcut_for_search(word) if len(p) >= 2 and p != word]
            share = sum(_present(p, text) for p in parts) / len(parts) if parts else 0.0
            got += 0.6 * share * weight
            if share < 0.5:
                missing.append(word)
        return got / total, tuple(sorted(missing, key=lambda w: -words[w]))

    # -- candidates ---------------------------------------------------------------------------------
    def candidates(self, measure: str) -> list[_Span]:
        spans: list[_Span] = []
        seen: set[tuple[str, int, int]] = set()
        for rank, passage in enumerate(self.search(measure, self.k)):
            chunk = passage.chunk
            sents = sentence_spans(chunk.text)
            units = [(i, i) for i in range(len(sents))] + [(i, i + 1) for i in range(len(sents) - 1)]
            for i, j in units:
                start, end = sents[i][0], sents[j][1]
                key = (chunk.doc, chunk.start + start, chunk.start + end)
                if key in seen:
                    continue
                seen.add(key)
                focus = tuple(chunk.text[s:e] for s, e in sents[i : j + 1])
                spans.append(_Span(chunk, start, chunk.text[start:end], focus, rank))
        return spans

    def signals(self, measure: str, spans: list[_Span]) -> list[Signals]:
        """Lexical signals for every span; the encoder (the slow part) only for the lexically closest."""
        words = self.content_words(measure)
        grams = self.content_bigrams(measure)
        stretch = max(2 * len(measure), 30)
        lexical = []
        for span in spans:
            cov, missing = self.coverage(words, span.text)
            compact = self.compact_coverage(words, span.text, stretch) if cov > 0 else 0.0
            big = len(grams & _bigrams(span.text)) / len(grams) if grams else 0.0
            lexical.append((cov, compact, big, missing))
        ranked = sorted(range(len(spans)), key=lambda i: -(0.35 * lexical[i][0] + 0.15 * lexical[i][1] + 0.3 * lexical[i][2]))
        embedded = ranked[: self.embed_top]
        cosines = dict(zip(embedded, self._cosines(measure, [spans[i].focus for i in embedded]), strict=True))
        out = []
        for i, (cov, compact, big, missing) in enumerate(lexical):
            cos = cosines.get(i, 0.0)
            cos_part = min(max((cos - 0.25) / 0.5, 0.0), 1.0)
            similarity = 0.35 * cov + 0.15 * compact + 0.3 * big + 0.2 * cos_part
            out.append(Signals(cov, compact, big, cos, similarity, (), missing))
        return out

    def _cosines(self, measure: str, spans: list[tuple[str, ...]]) -> list[float]:
        """Cosine of the measure with each span; a pair of sentences is the mean of its two vectors.
        Sentence vectors are cached: the same report sentences come back for related measures."""
        todo = [t for t in dict.fromkeys([measure, *(s for span in spans for s in span)]) if t not in self._vectors]
        if todo:
            for text, vector in zip(todo, self.embed(todo), strict=True):
                self._vectors[text] = vector
        query = self._vectors[measure]
        out = []
        for span in spans:
            vector = np.sum([self._vectors[s] for s in span], axis=0)
            norm = float(np.linalg.norm(vector))
            out.append(float(vector @ query) / norm if norm else 0.0)
        return out

    def compact_coverage(self, words: dict[str, float], text: str, stretch: int) -> float:
        """Best coverage within consecutive clauses of at most ``stretch`` characters (at least one clause):
        a measure assembled from words scattered over two sentences is not the measure."""
        pieces = _clauses(text)
        best = 0.0
        for i in range(len(pieces)):
            joined = ""
            for j in range(i, len(pieces)):
                if j > i and len(joined) + len(pieces[j]) > stretch:
                    break
                joined += pieces[j]
                best = max(best, self.coverage(words, joined)[0])
        return best

    def conflicts(self, measure: str, span: _Span) -> tuple[Conflict, ...]:
        """Conflicts with the focus sentence: the one of the span's sentences that covers most."""
        mine = extract_elements(measure)
        words = self.content_words(measure)
        focus = extract_elements(max(span.focus, key=lambda s: self.coverage(words, s)[0]))
        whole = extract_elements(span.text) if len(span.focus) > 1 else focus
        actors = actor_conflicts(mine, focus)
        if actors and whole is not focus:
            # an actor the measure names may sit in the other sentence of the pair
            still = {(c.kind, c.measure_value) for c in actor_conflicts(mine, whole)}
            actors = [c for c in actors if (c.kind, c.measure_value) in still]
        found = [
            *actors,
            *action_conflicts(mine, focus),
            *number_conflicts(mine, whole),
            *frequency_conflicts(mine, whole),
            *scope_conflicts(mine, focus),
        ]
        return tuple(dict.fromkeys(found))

    # -- verdict ------------------------------------------------------------------------------------
    def check(self, measure: str) -> MeasureResult:
        measure = measure.strip()
        if not _CJK.search(measure):
            return MeasureResult(measure, ABSENT, 0.0, "措施内容为空或不是中文，无法核查。")
        spans = self.candidates(measure)
        if not spans:
            return MeasureResult(measure, ABSENT, 0.0, "报告中没有检索到相关内容。")
        signals = self.signals(measure, spans)
        order = sorted(range(len(spans)), key=lambda i: -signals[i].similarity)[:12]
        judged = []
        for i in order:
            s = signals[i]
            conflicts = self.conflicts(measure, spans[i]) if s.similarity >= self.partial_threshold else ()
            judged.append((spans[i], replace(s, conflicts=conflicts)))
        verdict, best = self.decide(judged)
        explanation = self.explain(verdict, best[1])
        if verdict == EXISTS and len(self.content_words(measure)) < 2:
            # one word ("审计") is a topic, not a measure: it is "there" in any report that mentions it
            verdict = PARTIAL
            explanation = "措施内容过少（只有一个关键词），无法判断是否为同一措施" + _detail(best[1])
        matches = self._matches(judged, best) if best[1].similarity >= self.min_match else []
        result = MeasureResult(measure, verdict, best[1].similarity, explanation, matches)
        if self.chat_model is not None and verdict != ABSENT:
            self._ask_judge(result, best)
        return result

    def decide(self, judged: list[tuple[_Span, Signals]]) -> tuple[str, tuple[_Span, Signals]]:
        top = judged[0]
        clean = [pair for pair in judged if not pair[1].conflicts]
        if clean:
            sig = clean[0][1]
            if (
                sig.similarity >= self.exists_threshold
                and sig.compact >= self.min_compact
                and sig.similarity >= top[1].similarity - self.rival_margin
            ):
                return EXISTS, clean[0]
        if top[1].similarity >= self.partial_threshold:
            return PARTIAL, top
        return ABSENT, top

    def _matches(self, judged: list[tuple[_Span, Signals]], best: tuple[_Span, Signals]) -> list[MeasureMatch]:
        out: list[MeasureMatch] = []
        used: set[str] = set()
        for span, sig in [best, *judged]:
            if span.chunk.id in used or len(out) >= self.max_matches or sig.similarity < self.min_match:
                continue
            used.add(span.chunk.id)
            out.append(MeasureMatch(span.chunk, span.text, span.offset, sig))
        return out

    def explain(self, verdict: str, sig: Signals) -> str:
        detail = _detail(sig)
        missing = "、".join(sig.missing[:4])
        if verdict == EXISTS:
            text = "报告中已有该措施，原文与措施一致" + detail
            return text + (f"；原文措辞不同之处：{missing}" if missing else "")
        if verdict == PARTIAL:
            parts = [c.message for c in sig.conflicts]
            if not sig.conflicts and sig.compact < self.min_compact:
                parts.append("原文相关词语分散在不同语句中，未见完整的同一措施")
            if missing:
                parts.append(f"原文未提及：{missing}")
            if not parts:
                parts.append("原文与措施只部分重合")
            return "；".join(parts) + detail
        return "报告中没有找到相近的措施" + detail + (f"；未找到：{missing}" if missing else "")

    # -- optional LLM judge -------------------------------------------------------------------------
    def _ask_judge(self, result: MeasureResult, best: tuple[_Span, Signals]) -> None:
        assert self.chat_model is not None
        from langchain_core.messages import HumanMessage

        span, sig = best
        prompt = _judge_prompt().format(measure=result.measure, title=span.chunk.title, quote=span.text)
        try:
            reply = self.chat_model.invoke([HumanMessage(content=prompt)])
        except Exception as exc:  # a judge that fails leaves the rule verdict standing
            log.warning("措施核查大模型调用失败：%s", exc)
            return
        verdict, reason = parse_judge_reply(str(reply.content))
        if verdict is None:
            return
        result.judge = f"{VERDICT_LABELS[verdict]}：{reason}"
        result.verdict = combine_verdicts(result.verdict, verdict, has_conflicts=bool(sig.conflicts))
        if reason:
            result.explanation += f"；大模型复核：{VERDICT_LABELS[verdict]}（{reason}）"


def _detail(sig: Signals) -> str:
    return (
        f"（内容覆盖 {sig.coverage:.2f}，集中覆盖 {sig.compact:.2f}，字面重合 {sig.bigram:.2f}，"
        f"语义相似 {sig.cosine:.2f}）"
    )


@lru_cache(maxsize=1)
def _judge_prompt() -> str:
    if PROMPT_PATH.is_file():
        return PROMPT_PATH.read_text(encoding="utf-8")
    return (
        "判断整改措施是否已在通报原文中落实。只依据原文，不要推测。\n措施：{measure}\n"
        "原文（《{title}》）：{quote}\n"
        '只输出 JSON：{{"verdict": "exists|partial|absent", "reason": "一句话说明差异"}}'
    )


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


def check_measures(ws: Workspace, measures: Iterable[str], *, k: int = 10) -> list[MeasureResult]:
    """Check each measure against the report documents of the workspace's index."""
    where = SearchFilter(kinds=("report",))
    checker = MeasureChecker(
        search=lambda q, n: ws.searcher.search(q, n, where),
        embed=ws.embeddings.embed_array,
        idf=ws.searcher.lexical.idf,
        chat_model=ws.chat_model,
        k=k,
    )
    return [checker.check(m) for m in measures]


# ---------------------------------------------------------------------------------------------------
# Files: an uploaded 整改清单 in, a result table out
# ---------------------------------------------------------------------------------------------------

_MEASURE_HEADER = re.compile(r"整改措施|措施|整改内容|内容")
EXPORT_HEADER = ("序号", "措施", "结论", "相似度", "出处文件", "章节", "原文", "说明")


def strip_numbering(line: str) -> str:
    """"1. 制定…", "（一）制定…", "一是制定…" → "制定…"."""
    text = line.strip()
    for _ in range(2):
        text = _NUMBERING.sub("", text, count=1).strip()
    return text


def read_measures_file(path: str | Path) -> list[str]:
    """Measures from an uploaded list: .txt/.md (one a line), .docx, .xlsx or .csv."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md", ""):
        return _clean_lines(_read_text(path).splitlines())
    if suffix == ".docx":
        return _read_docx(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".csv":
        with open(path, encoding=_csv_encoding(path), newline="") as fh:
            rows = [row for row in csv.reader(fh)]
        return _measures_from_rows(rows)
    raise ValueError(f"不支持的措施清单格式：{path.suffix}（支持 .txt .docx .xlsx .csv）")


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def _csv_encoding(path: Path) -> str:
    try:
        path.read_bytes().decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def _clean_lines(lines: Iterable[str]) -> list[str]:
    out = []
    for line in lines:
        text = strip_numbering(line)
        if len(_CJK.findall(text)) >= 4 and not _is_heading(text):
            out.append(text)
    return out


def _read_docx(path: Path) -> list[str]:
    import docx

    document = docx.Document(str(path))
    from_tables: list[str] = []
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        from_tables.extend(_measures_from_rows(rows))
    if from_tables:
        return from_tables
    return _clean_lines(
        p.text for p in document.paragraphs
        if not (p.style is not None and (p.style.name or "").lower().startswith(("heading", "title", "标题")))
    )


_LIST_NAMES = ("清单", "台账", "一览表", "汇总表", "情况表", "目录", "明细")


def _is_heading(text: str) -> bool:
    """The title of the list itself ("巡察反馈问题整改清单"), not a measure ("建立问题清单")."""
    t = text.strip().rstrip("：:")
    if not t.endswith(_LIST_NAMES) or len(t) > 40:
        return False
    return not any(tok.word in ACTION_CLASS_OF for tok in _tokens(t))


def _read_xlsx(path: Path) -> list[str]:
    import openpyxl

    workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        out: list[str] = []
        for sheet in workbook.worksheets:
            rows = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
            out.extend(_measures_from_rows(rows))
        return out
    finally:
        workbook.close()


def _measures_from_rows(rows: list[list[str]]) -> list[str]:
    """The measure column of a table: the header names 措施/整改措施/内容, else the longest texts."""
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    header_index, column = None, None
    for i, row in enumerate(rows[:5]):
        named = [j for j, cell in enumerate(row) if _MEASURE_HEADER.search(cell) and len(cell) <= 12]
        if named:
            # prefer the most specific header: 整改措施 > 措施 > 内容
            named.sort(key=lambda j: (0 if "措施" in row[j] else 1, -len(row[j])))
            header_index, column = i, named[0]
            break
    if column is None:
        lengths = [sum(len(row[j]) for row in rows) for j in range(width)]
        column = int(np.argmax(lengths))
        first = rows[0][column]
        header_index = 0 if len(first) <= 12 and len(rows) > 1 and not first.endswith("。") else -1
    body = rows[header_index + 1 :] if header_index is not None else rows
    return _clean_lines(row[column] for row in body)


def export_results(results: Sequence[MeasureResult], path: str | Path) -> Path:
    """Write the results as .xlsx (openpyxl) or .csv (UTF-8 with BOM, so Excel opens it)."""
    path = Path(path)
    rows = [_export_row(n, r) for n, r in enumerate(results, start=1)]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(EXPORT_HEADER)
            writer.writerows(rows)
        return path
    if suffix != ".xlsx":
        raise ValueError(f"不支持的导出格式：{path.suffix}（支持 .xlsx .csv）")
    import openpyxl
    from openpyxl.styles import Alignment, Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "措施核查"
    sheet.append(list(EXPORT_HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for letter, width in zip("ABCDEFGH", (6, 40, 10, 8, 30, 30, 60, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(str(path))
    return path


def _export_row(n: int, result: MeasureResult) -> tuple[Any, ...]:
    m = result.matches[0] if result.matches else None
    return (
        n,
        result.measure,
        result.label,
        round(result.score, 3),
        m.chunk.doc if m else "",
        m.chunk.section if m else "",
        m.quote if m else "",
        result.explanation,
    )
