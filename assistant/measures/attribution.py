"""Whose measure is it? A measure that names one report's issuer ("州教育局建立…", "南开大学编印…") is a near
miss when the matching words come from another report: the content is real, the body is not. And a body
the measure names that the source document never mentions is not supported by it.

Each report document is read once for how it names its issuer: the title's head before 关于/就/向
("教育局党组关于…的通报" → 教育局党组) or, failing that, a signature line at its end ("XX投资集团有限责任公司");
then the short forms official Chinese uses for such a body (中共南开大学委员会 → 南开大学, 南开, 学校党委;
教育局党组 → 教育局, 局党组). Nothing here names a particular document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.measures.elements import Org, extract_orgs, extract_roles, mask_titles, orgs_match
from assistant.measures.results import Conflict
from index.text import CJK

_TITLE_HEAD = re.compile(r"^(?:[^：:]*[：:])?([^：:《》]{2,30}?)(?:关于|就|向)")
_SIGNATURE = re.compile(r"^[\u4e00-\u9fffA-Za-z（）()]{4,30}(?:公司|委员会|党组|党委|政府|局|大学|学院|学校|集团)$")
_PARTY_PREFIX = re.compile(r"^(?:中共|中国共产党)")
_BODY_SUFFIX = re.compile(r"(?:委员会|常委会|党委|党组|有限责任公司|有限公司|公司)$")
_SCHOOL = re.compile(r"(?:大学|学院)$")


@dataclass
class ReportDocument:
    doc_id: str
    title: str
    text: str
    names: tuple[str, ...] = field(default=())

    @classmethod
    def read(cls, doc_id: str, title: str, text: str) -> ReportDocument:
        return cls(doc_id, title, text, issuer_names(title, text))

    def mentions(self, name: str) -> bool:
        return name in self.text or name in self.title

    @property
    def actors(self) -> tuple[Org, ...]:
        """Every body and post the document names (read once per text, only when a name is not found as
        written)."""
        return _actors(self.text)

    def names_actor(self, actor: Org) -> bool:
        """The document names this body: as written, without a leading qualifier it does not use, or in a
        longer form (州政府 ~ 州人民政府)."""
        forms = {actor.name, actor.core, *(actor.name[i:] for i in range(len(actor.name) - 2))}
        return any(self.mentions(f) for f in forms) or any(orgs_match(actor, a) for a in self.actors)


@lru_cache(maxsize=64)
def _actors(text: str) -> tuple[Org, ...]:
    return tuple(a for line in text.splitlines() for a in (*extract_orgs(line), *extract_roles(line)))


def issuer(title: str, text: str) -> str:
    """Who issued the document: the title's head, else a signature line among its last lines."""
    head = _TITLE_HEAD.match(mask_titles(title.strip()))
    if head and CJK.search(head.group(1)):
        return head.group(1).strip()
    lines = [line.strip(" \u3000•") for line in text.strip().splitlines() if line.strip(" \u3000•")]
    for line in reversed(lines[-6:]):
        if _SIGNATURE.match(line):
            return line
    return ""


def issuer_names(title: str, text: str) -> tuple[str, ...]:
    """The issuer and the short forms a reader uses for it."""
    full = issuer(title, text)
    if not full:
        return ()
    base = _PARTY_PREFIX.sub("", full)
    body = _BODY_SUFFIX.sub("", base) or base
    names = [full, base, body]
    if _SCHOOL.search(body):
        names.append(_SCHOOL.sub("", body))  # 南开大学 → 南开
        if base != body:  # a school's party committee calls itself 学校党委 / 校党委
            names += ["学校党委", "校党委"]
    elif base.endswith("党组") and len(body) >= 2:
        names.append(body[-1] + "党组")  # 教育局党组 → 局党组
    return tuple(n for n in dict.fromkeys(names) if len(n) >= 2)


def attribution_conflicts(
    measure: str, actors: Sequence[Org], source: ReportDocument | None, reports: Sequence[ReportDocument]
) -> list[Conflict]:
    """The measure names the issuer of another report and not the source's own; or a body the source never
    mentions."""
    if source is None:
        return []
    text = mask_titles(measure)
    conflicts = []
    if not any(n in text for n in source.names):
        foreign = [
            n for doc in reports if doc.doc_id != source.doc_id
            for n in doc.names if n in text and not source.mentions(n)
        ]
        if foreign:
            conflicts.append(Conflict("document", max(foreign, key=len), source.title))
    for actor in actors:
        if not source.names_actor(actor) and not any(
            actor.name in c.measure_value or c.measure_value in actor.name for c in conflicts
        ):
            conflicts.append(Conflict("actor", actor.name, "原文未提及"))
    return conflicts
