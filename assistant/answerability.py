"""Is the question answered by the evidence? A signal built from the question, not from cosines.

Unanswerable questions score as high on dense similarity as answerable ones here, so the signal asks
two things of the best passages: (1) do they contain the question's specific terms, weighted by how
rare each term is in the corpus, and (2) when the question asks for a kind of fact (a time limit, a
number with a unit, a person, a place), does a passage that covers the terms contain such a fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jieba

from assistant.retrieval import Passage
from assistant.vocabulary import has_official_form
from index.text import tokenize_query

# Words that frame a question rather than name its topic; their absence from a passage means nothing.
FRAME_WORDS = frozenset(
    """整改 措施 举措 局里 局 后来 具体 做了 做 采取 采用 什么样 有没有 没有 分别 目前 现在 一共 主要 相关 那份 那个
    这个 哪儿 哪里 怎么样 怎么办 要求 处理 解决 开展 落实 推进 加强 抓 办法 机制 方面 部门 单位 工作 问题 情况
    需要 可以 能 会 要 应当 应该 受到 什么 时候 期间 里面 里 哪 谁 多久 多长 多少 几 是 的
    涉及 这块 这方面 下来 以后 之后 时间 长时间 多长时间 多少年 最长 最多 最少 有无 吗 呢""".split()
)


_NUMBER = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万半]+)"
_DURATION = re.compile(_NUMBER + r"\s*(?:个)?\s*(?:工作日|小时|日|天|周|个月|月|年)(?:内|以内|之内)?|之日起|即时|立即")
_PERSON = re.compile(r"书记|校长|组长|主任|局长|厅长|部长|处长|院长|负责人|领导|同志")
_PLACE = re.compile(r"部门|机关|机构|委员会|政府|法院|检察院|组织部|纪委|监委|办公室|中心")


@dataclass(frozen=True)
class AskedFact:
    name: str
    pattern: re.Pattern[str] | None  # what a passage must contain to state this kind of fact
    unit: str = ""  # a unit the question names ("平方米", "人"): the answer must use it

    def stated_in(self, text: str) -> bool:
        return self.pattern is not None and bool(self.pattern.search(text)) and (not self.unit or self.unit in text)


def asked_fact(question: str) -> AskedFact | None:
    q = question
    if re.search(r"多久|多长时间|多少天|几天|期限|什么时候|何时|时限", q):
        return AskedFact("duration", _DURATION)
    unit = re.search(r"(?:多少|几)(?:个)?([\u4e00-\u9fff]{1,3})", q)
    if unit and unit.group(1) not in ("项任务",):
        name = unit.group(1)
        return AskedFact("quantity", re.compile(_NUMBER), unit=name.rstrip("？?"))
    if re.search(r"是谁|哪位|谁来|谁担任|由谁", q):
        # "…的组长是谁": the role asked about must itself appear next to a person or post.
        role = re.search(r"([\u4e00-\u9fff]{2})(?:、[\u4e00-\u9fff]+)?(?:分别)?(?:是谁|由谁|谁担任)", q)
        return AskedFact("person", _PERSON, unit=role.group(1) if role else "")
    if re.search(r"向哪|哪个部门|哪些部门|哪里|什么部门|哪个机关", q):
        return AskedFact("place", _PLACE)
    return None


@dataclass(frozen=True)
class Judgement:
    found: bool
    coverage: float  # best share of the question's term weight found in one passage
    fact_ok: bool
    terms: tuple[str, ...]
    missing: tuple[str, ...]  # specific terms no top passage contains


def is_frame_phrase(term: str) -> bool:
    """True for compounds of frame words such as "整改措施" (整改 + 措施)."""
    parts = [p for p in jieba.lcut_for_search(term) if p != term]
    return bool(parts) and all(p in FRAME_WORDS for p in parts)


def content_terms(question: str) -> list[str]:
    unique = dict.fromkeys(tokenize_query(question))
    return [t for t in unique if (t not in FRAME_WORDS and len(t) > 1) or t.isdigit()]


def judge(
    question: str,
    passages: Sequence[Passage],
    idf: Callable[[str], float],
    *,
    min_coverage: float = 0.45,
    top: int = 5,
) -> Judgement:
    terms = content_terms(question)
    evidence = passages[:top]
    if not evidence:
        return Judgement(False, 0.0, False, tuple(terms), tuple(terms))
    if not terms:  # nothing specific to check: trust retrieval
        return Judgement(True, 1.0, True, (), ())
    weights = {t: max(idf(t), 0.1) for t in terms}
    total = sum(weights.values())
    texts = [f"{p.chunk.title} {p.chunk.section} {p.chunk.text}" for p in evidence]
    coverages = [sum(w for t, w in weights.items() if has_official_form(t, text)) / total for text in texts]
    missing = tuple(t for t in terms if not any(has_official_form(t, text) for text in texts))
    best = max(coverages)
    fact = asked_fact(question)
    fact_ok = True
    if fact is not None:
        fact_ok = any(cov >= min_coverage and fact.stated_in(text) for cov, text in zip(coverages, texts, strict=True))
    return Judgement(best >= min_coverage and fact_ok, best, fact_ok, tuple(terms), missing)
