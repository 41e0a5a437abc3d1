"""Candidate spans for a measure and how much of its topic each covers.

A measure is compared with the sentences (and pairs of adjacent sentences) of the report chunks the
hybrid searcher returns for it. Each span gets its topic signals: idf-weighted word coverage (with the
synonym groups of assistant/vocabulary.py and abbreviations such as 特教 ~ 特殊教育), the same within one
short stretch of clauses, character-bigram coverage, the encoder's cosine, and a soft coverage in which a
measure word the span lacks is credited for a span word the encoder puts near it (汇编 ~ 编印). The spans the
checker judges also get the encoder's cosine with their closest short stretch of clauses (``stretch_cosines``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import jieba
import numpy as np

from assistant.measures.elements import bigrams, extract_elements, pos_tokens
from assistant.measures.lexicon import COORDINATORS, FILLER, FREQUENCY, FREQUENCY_ONCE, NUMBER
from assistant.measures.results import Signals
from assistant.retrieval import Passage
from assistant.vocabulary import has_synonym
from index.bm25 import never_used
from index.chunking import Chunk
from index.text import CJK, clause_ids, clauses, is_proper_name, sentence_spans

_QUOTE_MARKS = re.compile(r"[《》〈〉“”‘’\"]")


def comparable_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans with enough Chinese to be a measure (at least four characters)."""
    return [(a, b) for a, b in sentence_spans(text) if len(CJK.findall(text[a:b])) >= 4]


def has_abbreviation(word: str, text: str) -> bool:
    """Whether ``text`` spells out the abbreviation ``word``: each of its characters in order with at most
    one character between them (特教 → 特殊教育, 高中 → 高级中学, 纪检 → 纪律检查)."""
    if not 2 <= len(word) <= 4 or not all(CJK.match(ch) for ch in word):
        return False
    pattern = r"[\u4e00-\u9fff]?".join(map(re.escape, word))
    return re.search(pattern, text) is not None


def has_wording(word: str, text: str) -> bool:
    return has_synonym(word, text) or has_abbreviation(word, text)


def names_in(measure: str) -> frozenset[str]:
    """The measure's words inside a body, post or person it names (党组, 组织部门, 研究中心), and its proper names."""
    el = extract_elements(measure)
    inside = [(a.start, a.end) for a in el.actors]
    return frozenset(
        t.word for t in pos_tokens(measure)
        if is_proper_name(t.word, t.flag) or any(a <= t.start and t.end <= b for a, b in inside)
    )


def _missing(words: dict[str, float], unmatched: dict[str, float]) -> tuple[str, ...]:
    """The words less than half found (by their parts), heaviest first."""
    return tuple(sorted((w for w, share in unmatched.items() if share < 0.5), key=lambda w: -words[w]))


def stretch_length(measure: str) -> int:
    """How many characters one short stretch of a source's clauses may hold, for this measure."""
    return max(2 * len(measure), 30)


def word_order(words: dict[str, float], measure: str, text: str) -> float:
    """How far ``text`` writes the measure's words in the measure's order: the share of pairs of shared words
    in the same order, each pair weighted by its words' weights (1.0 when no pair is shared). Two bodies, two
    funds or two steps written the other way round (A 向 B 提交 for B 向 A 下发, 原从甲中支付 for 原从乙中支付)
    keep every word and reverse the pair. Only pairs within one clause of the measure count: a report may put
    a measure's clauses in another order and say the same. A pair is reversed only when no occurrence of its
    first word precedes one of its second in ``text`` (a word the source repeats is not a reversal), and items of
    one list have no order (``coordinated``: 甲与乙合二为一 is 乙与甲合并)."""
    clause_of = clause_ids(measure)
    shared = sorted((measure.find(w), w, weight) for w, weight in words.items() if w in text and w in measure)
    agree = total = 0.0
    for (m1, first, w1), (m2, second, w2) in combinations(shared, 2):
        if m1 == m2 or clause_of[m1] != clause_of[m2] or coordinated(measure, m1 + len(first), m2):
            continue
        total += w1 * w2
        agree += w1 * w2 * float(text.find(first) < text.rfind(second))
    return agree / total if total else 1.0


def coordinated(measure: str, start: int, end: int) -> bool:
    """Whether the two words of ``measure`` that ``measure[start:end]`` stands between are items of one list: it
    holds a coordinating word (、和及与) and no verb, preposition or particle (学校党委向纪委: 向 relates them;
    党支部、党小组的组织生活: 的 does)."""
    between = [t for t in pos_tokens(measure) if t.start >= start and t.end <= end]
    return any(t.word in COORDINATORS for t in between) and all(
        t.word in COORDINATORS or not t.flag.startswith(("v", "p", "u")) for t in between
    )


def clause_runs(text: str, length: int) -> Iterator[tuple[int, int, str]]:
    """(first clause, number of clauses, text) of every run of consecutive clauses of ``text`` within
    ``length`` characters (a run is at least one clause, however long)."""
    pieces = clauses(text)
    for i in range(len(pieces)):
        joined = ""
        for j in range(i, len(pieces)):
            if j > i and len(joined) + len(pieces[j]) > length:
                break
            joined += pieces[j]
            yield i, j - i + 1, joined


@dataclass(frozen=True)
class Span:
    chunk: Chunk
    offset: int
    text: str
    focus: tuple[str, ...]  # the sentence(s) the elements are compared with
    rank: int  # retrieval rank of the chunk


@dataclass
class SpanReader:
    """Finds candidate spans and computes their topic signals."""

    search: Callable[[str, int], list[Passage]]
    embed: Callable[[Sequence[str]], np.ndarray]
    idf: Callable[[str], float]
    k: int = 10  # chunks retrieved per measure
    embed_top: int = 24  # spans scored by the encoder (the lexically closest ones)
    stretch_windows: int = 4  # stretches of one span embedded for its stretch cosine (``stretch_cosines``)
    # The encoder's cosine for unrelated passages (index/store.py ``chance_cosine``): the cosine counts
    # towards similarity only above it, scaled so that 1.0 is the same text.
    chance_cosine: float = 0.0
    # unit vectors by text (measures, sentences, words): the same report sentences and words come back for
    # related measures
    _vectors: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def content_words(self, measure: str) -> dict[str, float]:
        """Content words of the measure with their weight (idf, bounded so no word dominates)."""
        words: dict[str, float] = {}
        unseen = never_used(self.idf)
        plain = _QUOTE_MARKS.sub(" ", measure)  # a title the user quotes is still the topic
        plain = NUMBER.sub(" ", FREQUENCY_ONCE.sub(" ", FREQUENCY.sub(" ", plain)))
        for word in jieba.lcut(plain):
            w = word.strip()
            if len(w) < 2 or w in FILLER or not CJK.search(w):
                continue
            idf = self.idf(w)
            # A word no report uses cannot tell passages apart (colloquial wording, a segmentation slip):
            # its meaning has to come through synonyms, bigrams and the encoder instead.
            words[w] = 1.0 if unseen(w) else min(max(idf, 1.0), 8.0)
        return words

    def unknown_share(self, words: dict[str, float]) -> float:
        """Share of the measure's content ``words`` that no indexed document uses: a topic the reports never
        name (食品安全 in a library without it) leaves the rest of the measure to match something else."""
        unseen = never_used(self.idf)
        return sum(unseen(w) for w in words) / len(words) if words else 0.0

    def content_bigrams(self, measure: str) -> set[str]:
        """Character bigrams inside runs of content words (filler words and punctuation break a run)."""
        plain = NUMBER.sub(" ", FREQUENCY_ONCE.sub(" ", FREQUENCY.sub(" ", measure)))
        runs, run = [], ""
        for word in jieba.lcut(plain):
            if word in FILLER or not CJK.match(word[0]):
                runs.append(run)
                run = ""
            else:
                run += word
        runs.append(run)
        grams = set().union(*(bigrams(r) for r in runs))
        return grams or bigrams(measure)

    def coverage(self, words: dict[str, float], text: str) -> tuple[float, tuple[str, ...]]:
        """Weighted share of ``words`` found in ``text`` and the missing ones, heaviest first; a compound
        word counts in part when its own parts are found."""
        got, unmatched = self._coverage(words, text)
        return got, _missing(words, unmatched)

    def _coverage(self, words: dict[str, float], text: str) -> tuple[float, dict[str, float]]:
        """Weighted share found and, per word not found whole, the share of its parts found."""
        if not words:
            return 0.0, {}
        # A report quotes terms (由“民考民”调整为“民考普”) that a measure writes bare (由民考民调整为民考普).
        text = _QUOTE_MARKS.sub("", text)
        total = sum(words.values())
        got = 0.0
        unmatched = {}
        for word, weight in words.items():
            if has_wording(word, text):
                got += weight
                continue
            parts = [p for p in jieba.lcut_for_search(word) if len(p) >= 2 and p != word]
            share = sum(has_wording(p, text) for p in parts) / len(parts) if parts else 0.0
            got += 0.6 * share * weight
            unmatched[word] = share
        return got / total, unmatched

    def soft_coverage(
        self, words: dict[str, float], spans: Sequence[str], found: Sequence[tuple[float, dict[str, float]]] = (),
        names: frozenset[str] = frozenset(),
    ) -> list[float]:
        """Coverage of each span in ``spans`` where a word not found is credited by how much closer the
        encoder puts it to its nearest word of the span than to the span words in general (汇编 ~ 编印,
        一般 ~ 普通): reworded measures use other words for the same thing. The reference is the 95th
        percentile of the word's similarity to all words of the spans, so a word gets credit only when one
        span word stands out. ``found``: the spans' ``_coverage`` when the caller has it already."""
        if not words:
            return [0.0] * len(spans)
        total = sum(words.values())
        found = found or [self._coverage(words, text) for text in spans]
        span_words = [
            [w for w in dict.fromkeys(jieba.lcut(_QUOTE_MARKS.sub(" ", t))) if len(w) >= 2 and CJK.search(w)]
            for t in spans
        ]
        asked = sorted({w for _, unmatched in found for w in unmatched if w not in names})
        vocabulary = sorted({w for ws in span_words for w in ws})
        if not asked or not vocabulary:
            return [got for got, _ in found]
        vectors = self._unit_vectors([*asked, *vocabulary])
        a = np.stack([vectors[w] for w in asked])
        v = np.stack([vectors[w] for w in vocabulary])
        sims = a @ v.T
        reference = [float(r) for r in np.percentile(sims, 95, axis=1)]
        row = {w: i for i, w in enumerate(asked)}
        col = {w: j for j, w in enumerate(vocabulary)}
        out = []
        for (got, unmatched), ws in zip(found, span_words, strict=True):
            idx = [col[w] for w in ws]
            for word, share in unmatched.items() if idx else ():
                if word in names:
                    continue
                i = row[word]
                best = float(sims[i, idx].max())
                credit = min(max((best - reference[i]) / (1.0 - reference[i]), 0.0), 1.0)
                got += credit * (1.0 - 0.6 * share) * words[word] / total
            out.append(min(got, 1.0))
        return out

    def _unit_vectors(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if todo:
            for text, vector in zip(todo, self.embed(todo), strict=True):
                self._vectors[text] = vector / (float(np.linalg.norm(vector)) or 1.0)
        return {t: self._vectors[t] for t in texts}

    def compact_coverage(self, words: dict[str, float], text: str, stretch: int) -> tuple[float, str]:
        """Best coverage within consecutive clauses of at most ``stretch`` characters (at least one clause),
        with that stretch: a measure assembled from words scattered over two sentences is not the measure."""
        runs = ((self.coverage(words, run)[0], run) for _, _, run in clause_runs(text, stretch))
        return max(runs, key=lambda pair: pair[0], default=(0.0, ""))

    def stretch_cosines(self, measure: str, texts: Sequence[str]) -> list[float]:
        """For each text, the encoder's best cosine of the measure with one stretch of its consecutive clauses:
        a measure reworded from one clause of a long sentence is closest to that clause, and the sentence's
        other clauses blur the cosine of the whole. A stretch has as many clauses as the measure or one more
        (a report often says in two clauses what a measure says in one), within ``compact_coverage``'s length.
        Each stretch is one more text to embed, the slow part, so only the ``stretch_windows`` stretches that
        share most of the measure's content bigrams are embedded. A span has about 10; a one-off count over a
        third of tune's judged spans found the best cosine's stretch, or one within 0.01 of it, among the 4
        for 97% of them."""
        n = max(len(clauses(measure)), 1)
        grams = self.content_bigrams(measure)
        windows: list[list[str]] = []
        for text in texts:
            by_start: dict[int, list[tuple[int, str]]] = {}
            for start, size, run in clause_runs(text, stretch_length(measure)):
                by_start.setdefault(start, []).append((size, run.strip("，,；;。 ")))
            found = []
            for runs in by_start.values():
                # as many clauses as the measure or one more; where the text (or the length allowed) ends
                # first, the longest run there is
                fitting = [run for size, run in runs if size in (n, n + 1)]
                found += fitting or [runs[-1][1]]
            found = [w for w in found if CJK.search(w)] or [text]
            # sorted() is stable: among stretches sharing as many bigrams, the earlier ones
            windows.append(sorted(found, key=lambda w: -len(grams & bigrams(w)))[: self.stretch_windows])
        vectors = self._unit_vectors([measure, *(w for ws in windows for w in ws)])
        query = vectors[measure]
        return [max(float(vectors[w] @ query) for w in ws) for ws in windows]

    def candidates(self, measure: str) -> list[Span]:
        spans: list[Span] = []
        seen: set[tuple[str, int, int]] = set()
        for rank, passage in enumerate(self.search(measure, self.k)):
            chunk = passage.chunk
            sents = comparable_sentences(chunk.text)
            units = [(i, i) for i in range(len(sents))] + [(i, i + 1) for i in range(len(sents) - 1)]
            for i, j in units:
                start, end = sents[i][0], sents[j][1]
                key = (chunk.doc, chunk.start + start, chunk.start + end)
                if key in seen:
                    continue
                seen.add(key)
                focus = tuple(chunk.text[s:e] for s, e in sents[i : j + 1])
                spans.append(Span(chunk, start, chunk.text[start:end], focus, rank))
        return spans

    def signals(self, measure: str, spans: list[Span]) -> list[Signals]:
        """Lexical signals for every span; the encoder (the slow part) only for the lexically closest."""
        words = self.content_words(measure)
        grams = self.content_bigrams(measure)
        stretch = stretch_length(measure)
        lexical = []
        found = [self._coverage(words, span.text) for span in spans]
        for span, (cov, unmatched) in zip(spans, found, strict=True):
            compact, run = self.compact_coverage(words, span.text, stretch) if cov > 0 else (0.0, "")
            big = len(grams & bigrams(span.text)) / len(grams) if grams else 0.0
            lexical.append((cov, compact, big, _missing(words, unmatched), word_order(words, measure, run)))
        ranked = sorted(range(len(spans)), key=lambda i: -(0.35 * lexical[i][0] + 0.15 * lexical[i][1] + 0.3 * lexical[i][2]))
        embedded = ranked[: self.embed_top]
        cosines = dict(zip(embedded, self._cosines(measure, [spans[i].focus for i in embedded]), strict=True))
        unknown = self.unknown_share(words)
        soft_coverages = self.soft_coverage(
            words, [spans[i].text for i in embedded], [found[i] for i in embedded], names=names_in(measure)
        )
        soft = dict(zip(embedded, soft_coverages, strict=True))
        out = []
        for i, (cov, compact, big, missing, order) in enumerate(lexical):
            cos = cosines.get(i, 0.0)
            cos_part = min(max((cos - self.chance_cosine) / (1.0 - self.chance_cosine), 0.0), 1.0)
            similarity = 0.35 * cov + 0.15 * compact + 0.3 * big + 0.2 * cos_part
            out.append(
                Signals(cov, compact, big, cos, similarity, (), missing, unknown=unknown, soft=soft.get(i), order=order)
            )
        return out

    def _cosines(self, measure: str, spans: list[tuple[str, ...]]) -> list[float]:
        """Cosine of the measure with each span; a pair of sentences is the mean of its two vectors."""
        vectors = self._unit_vectors([measure, *(s for span in spans for s in span)])
        query = vectors[measure]
        out = []
        for span in spans:
            vector = np.sum([vectors[s] for s in span], axis=0)
            norm = float(np.linalg.norm(vector))
            out.append(float(vector @ query) / norm if norm else 0.0)
        return out
