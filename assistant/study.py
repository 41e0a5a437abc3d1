"""专题学习资料: for a theme, the regulation articles and the report measures that bear on it, quoted exactly.

A pack has one section per topic ("财务管理与内部审计" → 财务管理, 内部审计); each section has 一、法规依据
(articles) and 二、整改措施 (measures), every excerpt an exact span of its document with a source line.
A measure is linked to the articles beside it when it names their regulation in 《…》 or is close to
the article in TF-IDF cosine over jieba words. Exports: Markdown, JSON and a .docx laid out like an official study pack.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

import jieba

from assistant.retrieval import SearchFilter
from assistant.units import Joined, cached_text, join_pieces, unit_groups
from index.bm25 import never_used
from index.chunking import Chunk
from index.kinds import DocumentKind, plain_title
from index.structure import extract_titles
from index.text import STOPWORDS, sentences, tokenize

if TYPE_CHECKING:
    from assistant.workspace import Workspace

REGULATION = DocumentKind.REGULATION
PART_REGULATIONS = "一、法规依据"
PART_MEASURES = "二、整改措施"
_CN_DIGITS = "一二三四五六七八九十"

# Topic separators: punctuation always; 与/和/及/以及/同 only when jieba reads them as words of their own
# (so 共和国, 和谐 stay whole).
_SEPARATOR_PUNCT = re.compile(r"[、，,；;/｜|\s]+")
_SEPARATOR_WORDS = frozenset({"与", "和", "及", "以及", "同", "跟"})
_PUNCT_TOKEN = re.compile(r"^[\W_]+$")


@dataclass(frozen=True)
class Excerpt:
    text: str  # exact characters of the document: text == document.text[start:end]
    doc: str
    doc_id: str
    title: str
    kind: str  # "regulation" or "report" (documents named like a regulation count as regulations)
    section: str
    label: str
    start: int
    end: int
    page: int | None
    titles: tuple[str, ...]  # 《…》 the excerpt names
    score: float
    partial: bool = False  # only part of its article / measure / paragraph is quoted
    basis: tuple[str, ...] = ()  # for a measure: references of the articles it is linked to

    @property
    def source(self) -> str:
        """《title》section › label, then the page when known and （节选） for a partial quote."""
        page = f"，第{self.page}页" if self.page is not None else ""
        excerpt = "（节选）" if self.partial else ""
        return f"《{plain_title(self.title)}》{self.section}{page}{excerpt}"

    @property
    def reference(self) -> str:
        """Short form for cross references: 《title》第X条 (or the section path when there is no label)."""
        return f"《{plain_title(self.title)}》{self.label or self.section}"

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "doc": self.doc,
            "title": self.title,
            "kind": self.kind,
            "section": self.section,
            "label": self.label,
            "start": self.start,
            "end": self.end,
            "page": self.page,
            "titles": list(self.titles),
            "source": self.source,
            "partial": self.partial,
            "basis": list(self.basis),
        }


@dataclass
class StudySection:
    number: int  # 1-based
    topic: str
    regulations: list[Excerpt] = field(default_factory=list)
    measures: list[Excerpt] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"第{chinese_ordinal(self.number)}部分　{self.topic}"

    @property
    def excerpts(self) -> list[Excerpt]:
        return [*self.regulations, *self.measures]


@dataclass
class StudyPack:
    title: str
    theme: str
    generated: date
    sections: list[StudySection]
    note: str = ""  # 编者按: the editor's paragraph under the title
    date_text: str = ""  # the date as the editor wrote it (overrides ``generated``)

    @property
    def contents(self) -> list[str]:
        """The contents list: each topic, then its two parts with their counts."""
        lines: list[str] = []
        for section in self.sections:
            lines.append(section.heading)
            lines.append(f"　　{PART_REGULATIONS}（{len(section.regulations)}条）")
            lines.append(f"　　{PART_MEASURES}（{len(section.measures)}项）")
        return lines

    @property
    def excerpts(self) -> list[Excerpt]:
        return [e for s in self.sections for e in s.excerpts]

    @property
    def generated_text(self) -> str:
        if self.date_text:
            return self.date_text
        d = self.generated
        return f"{d.year}年{d.month}月{d.day}日"

    def reviewed(self, *, keep: Sequence[str], order: Sequence[str], title: str, date_text: str, note: str) -> StudyPack:
        """The pack as the editor left it: only the excerpts whose ``excerpt_key`` is kept, the topics in
        ``order`` (the rest after, as they were), the editor's title, date and 编者按."""
        kept = set(keep)
        rank = {topic: i for i, topic in enumerate(order)}
        sections = sorted(self.sections, key=lambda s: rank.get(s.topic, len(rank) + s.number))
        renumbered = [
            replace(section, number=i, regulations=[e for e in section.regulations if excerpt_key(e) in kept],
                    measures=[e for e in section.measures if excerpt_key(e) in kept])
            for i, section in enumerate(sections, start=1)
        ]
        return replace(self, title=title.strip() or self.title, sections=renumbered, note=note.strip(),
                       date_text=date_text.strip())


def excerpt_key(excerpt: Excerpt) -> str:
    """A stable key for an excerpt across a review: its document and where it starts."""
    return f"{excerpt.doc_id}:{excerpt.start}"


def excerpt_choice(excerpt: Excerpt, width: int = 28) -> str:
    """What the review list shows for an excerpt: 《title》label：its opening words…"""
    opening = " ".join(excerpt.text.split())
    if len(opening) > width:
        opening = opening[:width] + "…"
    return f"{excerpt.reference}：{opening}"


def chinese_ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (enough for section numbers)."""
    if n <= 10:
        return _CN_DIGITS[n - 1]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CN_DIGITS[tens - 1]
    return head + "十" + (_CN_DIGITS[ones - 1] if ones else "")


# ---------------------------------------------------------------------------------------------------
# Topics and matching


def split_topics(theme: str) -> list[str]:
    """'财务管理与内部审计' → ['财务管理', '内部审计']; a theme without separators stays whole."""
    topics: list[str] = []
    for part in _SEPARATOR_PUNCT.split(theme.strip()):
        current = ""
        for word in jieba.lcut(part):
            if word in _SEPARATOR_WORDS:
                if current:
                    topics.append(current)
                current = ""
            else:
                current += word
        if current:
            topics.append(current)
    topics = [t.strip("“”\"'《》") for t in topics]
    return list(dict.fromkeys(t for t in topics if len(t) >= 2)) or ([theme.strip()] if theme.strip() else [])


def topic_terms(topic: str, idf: Callable[[str], float] | None = None) -> list[str]:
    """The words of a topic an excerpt must contain: jieba words without stopwords and punctuation. With
    the corpus' ``idf``, a compound whose one part is far rarer than the other stands for that part:
    财务管理 is about 财务 (管理 is in every other sentence), so 财务工作纪律 is on the topic too."""
    words = [w.strip() for w in jieba.lcut(topic)]
    terms = [w for w in words if w and not _PUNCT_TOKEN.match(w) and w not in STOPWORDS and len(w) >= 2]
    if idf is not None:
        terms = [_distinctive_part(t, idf) for t in terms]
    return list(dict.fromkeys(terms)) or [topic]


DISTINCTIVE_RATIO = 1.5  # how much rarer a part must be than the rest to stand for the whole compound


def _distinctive_part(term: str, idf: Callable[[str], float]) -> str:
    if len(term) < 4:
        return term
    parts = _compound_parts(term)
    if len(parts) < 2:
        return term
    # A stopword part (保密*工作*) never carries the topic; a part the corpus never uses cannot be judged.
    unseen = never_used(idf)
    content = [p for p in parts if p not in STOPWORDS]
    if len(content) == 1:
        return content[0]
    ranked = sorted((p for p in content if not unseen(p)), key=idf, reverse=True)
    if len(ranked) < 2 or len(ranked) < len(content):
        return term
    return ranked[0] if idf(ranked[0]) >= DISTINCTIVE_RATIO * idf(ranked[1]) else term


def _term_present(term: str, text: str, text_sentences: list[str]) -> bool:
    if term in text:
        return True
    if len(term) < 4:
        return False
    # A compound like 财务管理 also counts when its parts occur in order close together in one sentence
    # (财务统一管理, 财务收支管理), not when they are merely somewhere in the passage.
    parts = _compound_parts(term)
    pattern = re.compile(f".{{0,{COMPOUND_GAP}}}".join(map(re.escape, parts)))
    return any(pattern.search(s) for s in text_sentences)


COMPOUND_GAP = 4


def _compound_parts(term: str) -> list[str]:
    """财务管理 → [财务, 管理]: the term cut into jieba's finer words, longest first from the left."""
    words = {w for w in jieba.lcut_for_search(term) if len(w) >= 2 and w != term}
    parts: list[str] = []
    i = 0
    while i < len(term):
        word = next((w for w in sorted(words, key=len, reverse=True) if term.startswith(w, i)), None)
        if word is None:
            return [term[: len(term) // 2], term[len(term) // 2 :]]
        parts.append(word)
        i += len(word)
    return parts


def matches_topic(text: str, terms: Sequence[str]) -> bool:
    """True when every topic term occurs in the text (not just near it in embedding space)."""
    text_sentences = sentences(text)
    return all(_term_present(t, text, text_sentences) for t in terms)


def _relevant_span(text: str, terms: Sequence[str]) -> tuple[int, int]:
    """Offsets of the run of sentences from the first to the last one naming a topic term."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for sentence in sentences(text):
        at = text.find(sentence, cursor)
        if at < 0:
            return 0, len(text)
        spans.append((at, at + len(sentence)))
        cursor = at + len(sentence)
    hits = [(a, b) for a, b in spans if any(_term_present(t, text[a:b], [text[a:b]]) for t in terms)]
    if not hits:
        return 0, len(text)
    return hits[0][0], hits[-1][1]


# ---------------------------------------------------------------------------------------------------
# Building a pack


@dataclass(frozen=True)
class _Candidate:
    joined: Joined
    score: float
    topic_index: int
    whole: bool  # the whole unit (article, measure, paragraph) is in ``joined``


def build_study_pack(
    ws: Workspace,
    theme: str | Sequence[str],
    *,
    docs: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    k: int = 20,
    split: bool = True,
    today: date | None = None,
    title: str | None = None,
    max_articles: int = 8,
) -> StudyPack:
    """A study pack on ``theme`` (one string, split into topics on 与/和/、/，, or a list of topics).

    ``docs`` limits the sources to these file names; ``kinds`` to "regulation" / "report" / "other".
    ``max_articles`` per topic, the best-scoring (a meeting reads a handful of articles, not a law); every
    measure of the reports on the topic is kept, since the pack is where a unit sees all it has done.
    """
    if isinstance(theme, str):
        theme_text = theme.strip()
        topics = split_topics(theme_text) if split else [theme_text]
    else:
        topics = list(dict.fromkeys(t.strip() for t in theme if t.strip()))
        theme_text = "、".join(topics)
    if not topics:
        raise ValueError("学习主题不能为空")
    allowed = set(kinds or ())
    doc_filter = tuple(docs or ())
    regulation_docs = _regulation_documents(ws, doc_filter)

    # Candidates per topic; a chunk found under several topics goes to the one it scores best in.
    best: dict[str, tuple[float, int, Chunk]] = {}
    for index, topic in enumerate(topics):
        terms = topic_terms(topic, ws.searcher.idf)
        for chunk, score in _search(ws, topic, terms, doc_filter, allowed, k):
            if chunk.id not in best or score > best[chunk.id][0]:
                best[chunk.id] = (score, index, chunk)
        # Regulations the matching measures name: their articles on the topic belong beside them.
        named = {
            regulation_docs[key]
            for _score, i, chunk in list(best.values())
            if i == index and chunk.kind != REGULATION
            for key in map(_title_key, chunk.titles)
            if key in regulation_docs
        }
        if named and (not allowed or REGULATION in allowed):
            for chunk, score in _search(ws, topic, terms, tuple(sorted(named)), allowed, max(3, k // 4)):
                if chunk.id not in best:
                    best[chunk.id] = (score, index, chunk)

    sections = [StudySection(i + 1, topic) for i, topic in enumerate(topics)]
    for candidate in _candidates(ws, best):
        section = sections[candidate.topic_index]
        excerpt = _excerpt(candidate, topic_terms(section.topic, ws.searcher.idf))
        (section.regulations if excerpt.kind == REGULATION else section.measures).append(excerpt)
    for section in sections:
        rules = [e for e in section.regulations if not frames_the_law(e.text)] or section.regulations
        section.regulations = _rules_first(sorted(rules, key=lambda e: -e.score)[:max_articles])
        section.measures = sorted(section.measures, key=lambda e: (e.doc, e.start))  # by document and section
    _link(sections, ws.searcher.idf)
    pack_title = title or f"“{theme_text}”专题学习资料"
    return StudyPack(pack_title, theme_text, today or date.today(), sections)


def _search(
    ws: Workspace, topic: str, terms: Sequence[str], docs: tuple[str, ...], allowed: set[str], k: int
) -> list[tuple[Chunk, float]]:
    """Hybrid hits on the topic that really contain its terms, regulations and reports searched apart
    so one kind cannot crowd the other out of the top ``k``; then every measure of the reports that
    names the topic (a pack on 财务管理 lists all the bureau's financial measures, not the top few)."""
    hits: dict[str, tuple[Chunk, float]] = {}
    for kinds in ((DocumentKind.REGULATION,), (DocumentKind.REPORT, DocumentKind.OTHER)):
        for passage in ws.searcher.search(topic, k, SearchFilter(kinds=kinds, docs=docs)):
            chunk = passage.chunk
            if allowed and chunk.kind not in allowed:
                continue
            if matches_topic(chunk.text, terms):
                hits.setdefault(chunk.id, (chunk, passage.score))
    if not allowed or DocumentKind.REPORT in allowed:
        reports = [r.doc_id for r in ws.manifest.records()
                   if r.kind == DocumentKind.REPORT and (not docs or r.name in docs)]
        for unit in ws.units.measures(reports):
            if matches_topic(unit.text, terms):
                first = next((c for c in ws.lexical.chunks_of(unit.doc_id) if c.start == unit.start), None)
                if first is not None:
                    hits.setdefault(first.id, (first, 0.0))
    return list(hits.values())


def _title_key(title: str) -> str:
    return plain_title(title).removeprefix("中华人民共和国")


def _regulation_documents(ws: Workspace, docs: tuple[str, ...]) -> dict[str, str]:
    """Normalised title → file name of every indexed regulation (within ``docs`` when given)."""
    found: dict[str, str] = {}
    for record in ws.manifest.records():
        if record.status != "ok" or (docs and record.name not in docs):
            continue
        if record.kind == REGULATION:
            found[_title_key(record.title)] = record.name
    return found


def _candidates(ws: Workspace, found: dict[str, tuple[float, int, Chunk]]) -> list[_Candidate]:
    """What to quote for the matching chunks: a measure or an article whole (all the chunks it was cut
    into, joined back), a plain paragraph as the run of matching chunks (overlaps joined)."""
    by_doc: dict[str, set[str]] = {}
    for _score, _topic, chunk in found.values():
        by_doc.setdefault(chunk.doc_id, set()).add(chunk.id)
    out: list[_Candidate] = []
    for doc_id, ids in by_doc.items():
        document_text = cached_text(ws.lexical.document_text, doc_id)
        for group in unit_groups(ws.lexical.chunks_of(doc_id)):
            hits = [c for c in group if c.id in ids]
            if not hits:
                continue
            score, topic = max((found[c.id][0], -found[c.id][1]) for c in hits)
            runs = [group] if group[0].label else _runs(hits)
            for run in runs:
                for joined in join_pieces(run, document_text):
                    whole = joined.start == group[0].start and joined.end == group[-1].end
                    out.append(_Candidate(joined, score, -topic, whole))
    return out


def _runs(chunks: list[Chunk]) -> list[list[Chunk]]:
    """Chunks split where the ordinals stop being consecutive."""
    runs: list[list[Chunk]] = []
    for chunk in chunks:
        if runs and chunk.ordinal == runs[-1][-1].ordinal + 1:
            runs[-1].append(chunk)
        else:
            runs.append([chunk])
    return runs


def _excerpt(candidate: _Candidate, terms: Sequence[str]) -> Excerpt:
    joined = candidate.joined
    first = joined.first
    text, start, partial = joined.text, joined.start, not candidate.whole
    if not first.label:
        # A plain paragraph (e.g. of a work report) is quoted from its first to its last sentence on
        # the topic; measures and articles are quoted whole.
        a, b = _relevant_span(text, terms)
        partial = partial or (a, b) != (0, len(text))
        text, start = text[a:b], start + a
    return Excerpt(
        text=text,
        doc=first.doc,
        doc_id=first.doc_id,
        title=first.title,
        kind=REGULATION if first.kind == REGULATION else DocumentKind.REPORT,
        section=first.section,
        label=first.label,
        start=start,
        end=start + len(text),
        page=first.page,
        titles=extract_titles(text),
        score=candidate.score,
        partial=partial,
    )


# A purpose clause (为了…，制定本法) or a definition (本法所称…是指) frames a law; a meeting studies
# what the law requires, so framing articles come in only when a topic has nothing else.
_PURPOSE = re.compile(r"^第[一二三四五六七八九十百零\d]+条\s*(?:为了|为)[^。]{0,80}?(?:制定|根据)[^。]{0,30}(?:本法|本条例|本规定|本细则|本办法|本准则)")
_DEFINITION = re.compile(r"(?:本法|本条例|本规定|本办法)所称|是指")
_DUTY = re.compile(r"应当|必须|不得|禁止|严禁|须|负责|予以|给予")


def frames_the_law(text: str) -> bool:
    """True for a purpose clause, or a definition that imposes nothing."""
    return bool(_PURPOSE.search(text) or (_DEFINITION.search(text) and not _DUTY.search(text)))


def hierarchy(title: str) -> int:
    """法律 (0), then Party regulations (1), then other rules (2): the order rules are cited in."""
    plain = plain_title(title)
    if plain.startswith("中华人民共和国") or plain.endswith("法"):
        return 0
    if plain.startswith("中国共产党") or "党委" in plain or "党组" in plain or "党政机关" in plain:
        return 1
    return 2


def _rules_first(excerpts: list[Excerpt]) -> list[Excerpt]:
    """Laws, then Party regulations, then other rules; each document's articles in its own order."""
    return sorted(excerpts, key=lambda e: (hierarchy(e.title), e.doc, e.start))


def _weights(text: str, idf: Callable[[str], float]) -> dict[str, float]:
    """TF-IDF weights of the words of a text (jieba tokens of two characters or more)."""
    counts = Counter(t for t in tokenize(text) if len(t) >= 2 and not t.isdigit())
    return {t: (1.0 + math.log(n)) * idf(t) for t, n in counts.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(a[t] * b[t] for t in a.keys() & b.keys())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def _link(sections: Sequence[StudySection], idf: Callable[[str], float]) -> None:
    """Give every measure the articles beside it: articles of a regulation it names in 《…》 first,
    then the articles closest to it in TF-IDF cosine (at least LINK_MIN_SIMILARITY, and close to the best)."""
    articles = [a for s in sections for a in s.regulations]
    vectors = [_weights(a.text, idf) for a in articles]
    for section in sections:
        linked: list[Excerpt] = []
        for measure in section.measures:
            named = {_title_key(t) for t in measure.titles}
            mv = _weights(measure.text, idf)
            scored = sorted(
                ((_cosine(mv, v), a) for v, a in zip(vectors, articles, strict=True)),
                key=lambda pair: -pair[0],
            )
            best = scored[0][0] if scored else 0.0
            chosen = [a for _, a in scored if _title_key(a.title) in named][:LINK_LIMIT]
            chosen += [
                a
                for sim, a in scored
                if sim >= LINK_MIN_SIMILARITY and sim >= LINK_RELATIVE * best and a not in chosen
            ][: max(0, LINK_LIMIT - len(chosen))]
            linked.append(replace(measure, basis=tuple(dict.fromkeys(a.reference for a in chosen))))
        section.measures = linked


LINK_LIMIT = 2
LINK_MIN_SIMILARITY = 0.18
LINK_RELATIVE = 0.75


def parts(section: StudySection) -> list[tuple[str, list[Excerpt], str]]:
    return [
        (PART_REGULATIONS, section.regulations, "（未检索到与本专题直接相关的法规条文。）"),
        (PART_MEASURES, section.measures, "（未检索到与本专题直接相关的整改措施。）"),
    ]
