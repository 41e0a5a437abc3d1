"""Retrieval evaluation: our searcher against two naive baselines on the dev gold set, plus LeCoQA.

Scoring follows ``shared/eval/README.md``: a passage covers a gold quote when it comes from the gold
file and holds the quote once all whitespace is removed on both sides. Every system returns its top
10 ``(doc, text)`` pairs per question, built in the same run over the same documents, so the numbers
in one result are comparable with each other and with ``shared/eval/BASELINES.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jieba
import numpy as np
from rank_bm25 import BM25Okapi

from assistant.retrieval import HybridSearcher
from assistant.settings import PROJECT_ROOT, Settings, get_settings
from assistant.workspace import Workspace
from index.chunking import Chunk
from index.embedding import SentenceEmbeddings
from index.pipeline import discover

SHARED_DIR = PROJECT_ROOT.parent / "shared"
DEV_QUESTIONS = SHARED_DIR / "eval" / "dev_questions.jsonl"
LECOQA_TEST = SHARED_DIR / "bench" / "lecoqa_test.json"
TOP_K = 10

WORKSPACE_SYSTEMS: dict[str, tuple[str, ...]] = {
    "hybrid": ("lexical", "dense"),
    "dense": ("dense",),
    "bm25": ("lexical",),
}
BASELINE_SYSTEMS = ("naive_langchain", "bm25_300")
ALL_SYSTEMS = (*WORKSPACE_SYSTEMS, *BASELINE_SYSTEMS)
RAW_TEXT_SUFFIXES = (".txt", ".md", ".markdown")

# Figures from shared/eval/BASELINES.md, printed next to ours for reference.
REFERENCE_DEV: dict[str, dict[str, float]] = {
    "naive LangChain 500/50 + USE + Chroma": {"recall@5": 0.593, "recall@10": 0.775, "all@10": 0.741, "mrr@10": 0.480},
    "BM25 jieba, 300-char chunks": {"recall@5": 0.846, "recall@10": 0.892, "all@10": 0.778, "mrr@10": 0.821},
    "dense USE, 300-char chunks": {"recall@5": 0.688, "recall@10": 0.821, "all@10": 0.704, "mrr@10": 0.653},
    "equal-weight RRF of the two": {"recall@5": 0.855, "recall@10": 0.935, "all@10": 0.815, "mrr@10": 0.804},
}
REFERENCE_LECOQA: dict[str, dict[str, float]] = {
    "BM25 (jieba)": {"hit@5": 0.764, "hit@10": 0.816, "recall@5": 0.634, "recall@10": 0.711, "mrr@10": 0.641},
    "dense USE": {"hit@5": 0.780, "hit@10": 0.861, "recall@5": 0.637, "recall@10": 0.741, "mrr@10": 0.620},
    "equal-weight RRF": {"hit@5": 0.803, "hit@10": 0.864, "recall@5": 0.674, "recall@10": 0.755, "mrr@10": 0.657},
}

Retrieved = tuple[str, str]  # (source file name, passage text)
Retriever = Callable[[str], list[Retrieved]]
WorkspaceFactory = Callable[[Path], Workspace]

_WHITESPACE = re.compile(r"\s+")


# ---------------------------------------------------------------- gold data and coverage


@dataclass(frozen=True)
class GoldQuote:
    doc: str
    quote: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answerable: bool
    gold: tuple[GoldQuote, ...]
    kind: str


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    """The records of a JSON-lines file (the format of every eval file), blank lines skipped."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def gold_quotes(record: Mapping[str, Any]) -> tuple[GoldQuote, ...]:
    return tuple(GoldQuote(str(g["doc"]), str(g["quote"])) for g in record.get("gold") or ())


def load_questions(path: Path | str) -> list[Question]:
    return [
        Question(
            id=str(item["id"]),
            question=str(item["question"]),
            answerable=bool(item["answerable"]),
            gold=gold_quotes(item),
            kind=str(item.get("kind") or ""),
        )
        for item in read_jsonl(path)
    ]


def _squash(text: str) -> str:
    return _WHITESPACE.sub("", text)


def covers(passage_text: str, quote: str) -> bool:
    """The README rule: the quote without whitespace is a substring of the passage without whitespace."""
    return _squash(quote) in _squash(passage_text)


def covers_gold(passage: Retrieved, gold: GoldQuote) -> bool:
    """A passage counts only when it also comes from the gold file (compared by bare file name)."""
    doc, text = passage
    return Path(doc).name == gold.doc and covers(text, gold.quote)


# ---------------------------------------------------------------- metrics


@dataclass(frozen=True)
class QuestionScore:
    id: str
    kind: str
    recall_at_5: float
    recall_at_10: float
    first_rank: int | None  # 1-based rank of the first passage covering any gold quote, within top 10

    @property
    def reciprocal_rank(self) -> float:
        return 1.0 / self.first_rank if self.first_rank else 0.0


def _quote_recall(ranked: Sequence[Retrieved], gold: Sequence[GoldQuote], k: int) -> float:
    top = ranked[:k]
    found = sum(1 for g in gold if any(covers_gold(p, g) for p in top))
    return found / len(gold)


def _first_rank(ranked: Sequence[Retrieved], gold: Sequence[GoldQuote], k: int) -> int | None:
    for rank, passage in enumerate(ranked[:k], start=1):
        if any(covers_gold(passage, g) for g in gold):
            return rank
    return None


def score_question(ranked: Sequence[Retrieved], question: Question) -> QuestionScore:
    return QuestionScore(
        id=question.id,
        kind=question.kind,
        recall_at_5=_quote_recall(ranked, question.gold, 5),
        recall_at_10=_quote_recall(ranked, question.gold, 10),
        first_rank=_first_rank(ranked, question.gold, 10),
    )


def _summarise(scores: Sequence[QuestionScore]) -> dict[str, float]:
    n = len(scores)
    if n == 0:
        return {"n": 0, "recall@5": 0.0, "recall@10": 0.0, "all@10": 0.0, "mrr@10": 0.0}
    return {
        "n": n,
        "recall@5": sum(s.recall_at_5 for s in scores) / n,
        "recall@10": sum(s.recall_at_10 for s in scores) / n,
        "all@10": sum(1 for s in scores if s.recall_at_10 == 1.0) / n,
        "mrr@10": sum(s.reciprocal_rank for s in scores) / n,
    }


def retrieval_metrics(
    ranked_per_question: Sequence[Sequence[Retrieved]], questions: Sequence[Question]
) -> dict[str, Any]:
    """recall@5/10, "all quotes in top 10" and MRR@10 over answerable questions, overall and per kind.

    ``ranked_per_question[i]`` is the ranked ``(doc, text)`` list returned for ``questions[i]``.
    """
    if len(ranked_per_question) != len(questions):
        raise ValueError("每个问题都需要一份检索结果")
    scores = [
        score_question(ranked, q) for ranked, q in zip(ranked_per_question, questions, strict=True) if q.answerable
    ]
    kinds = sorted({s.kind for s in scores})
    return {
        "overall": _summarise(scores),
        "by_kind": {kind: _summarise([s for s in scores if s.kind == kind]) for kind in kinds},
        "per_question": [
            {"id": s.id, "kind": s.kind, "recall@5": s.recall_at_5, "recall@10": s.recall_at_10, "rank": s.first_rank}
            for s in scores
        ],
    }


def run_retriever(retriever: Retriever, questions: Sequence[Question]) -> list[list[Retrieved]]:
    return [retriever(q.question) for q in questions]


# ---------------------------------------------------------------- systems


def searcher_retriever(searcher: HybridSearcher, k: int = TOP_K) -> Retriever:
    def retrieve(question: str) -> list[Retrieved]:
        return [(p.chunk.doc, p.chunk.text) for p in searcher.search(question, k)]

    return retrieve


def workspace_retrievers(ws: Workspace, names: Iterable[str] = WORKSPACE_SYSTEMS) -> dict[str, Retriever]:
    """hybrid / dense / bm25: one index, the same searcher with different modes."""
    return {name: searcher_retriever(replace(ws.searcher, modes=WORKSPACE_SYSTEMS[name])) for name in names}


def read_raw_texts(docs_dir: Path) -> dict[str, str]:
    """File name → raw UTF-8 text of the plain-text files (the baselines read files as they are)."""
    files = sorted(
        p for p in docs_dir.rglob("*")
        if p.is_file() and p.suffix.lower() in RAW_TEXT_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(docs_dir).parts)
    )
    return {p.name: p.read_text(encoding="utf-8") for p in files}


def naive_langchain_retriever(
    texts: Mapping[str, str], embeddings: SentenceEmbeddings, persist_dir: Path, k: int = TOP_K
) -> Retriever:
    """The usual LangChain tutorial: 500/50 recursive splits, embedded into Chroma, similarity search."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    names = list(texts)
    documents = splitter.create_documents([texts[n] for n in names], metadatas=[{"doc": n} for n in names])
    client = chromadb.PersistentClient(path=str(persist_dir), settings=ChromaSettings(anonymized_telemetry=False))
    # langchain_chroma creates the collection with embedding_function=None and embeds itself, so
    # Chroma's default (downloading) embedding function is never attached.
    store = Chroma(collection_name="naive_langchain", embedding_function=embeddings, client=client)
    if store._collection._embedding_function is not None:  # noqa: SLF001 - the offline guarantee
        raise RuntimeError("naive baseline collection carries an embedding function of its own")
    store.add_documents(documents)

    def retrieve(question: str) -> list[Retrieved]:
        return [(str(d.metadata["doc"]), d.page_content) for d in store.similarity_search(question, k=k)]

    return retrieve


def bm25_300_retriever(texts: Mapping[str, str], k: int = TOP_K) -> Retriever:
    """~300-character Chinese-aware splits, BM25Okapi over plain ``jieba.lcut`` tokens."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=300, chunk_overlap=0, separators=["\n\n", "\n", "。", "；", "！", "？", "，", ""]
    )
    passages = [(name, piece) for name, text in texts.items() for piece in splitter.split_text(text)]
    bm25 = BM25Okapi([jieba.lcut(text) for _, text in passages])

    def retrieve(question: str) -> list[Retrieved]:
        scores = bm25.get_scores(jieba.lcut(question))
        return [passages[i] for i in np.argsort(-scores, kind="stable")[:k]]

    return retrieve


# ---------------------------------------------------------------- workspaces


def default_workspace_factory(
    settings: Settings | None = None, embeddings: SentenceEmbeddings | None = None
) -> WorkspaceFactory:
    """Workspaces on the configured encoder and chunking, always with an embedded Chroma folder, so an
    evaluation never writes into a shared Chroma server."""
    base = settings or get_settings()

    def make(index_dir: Path) -> Workspace:
        return Workspace(base.model_copy(update={"index_dir": index_dir, "chroma_mode": "embedded"}),
                         embeddings=embeddings)

    return make


def close_workspace(ws: Workspace) -> None:
    for name in ("lexical", "manifest"):
        store = ws.__dict__.get(name)
        if store is not None:
            store.close()


@contextmanager
def _index_dir(index_dir: Path | None) -> Iterator[Path]:
    if index_dir is not None:
        yield index_dir
        return
    with tempfile.TemporaryDirectory(prefix="zgt-eval-") as tmp:
        yield Path(tmp)


# ---------------------------------------------------------------- LeCoQA


@dataclass(frozen=True)
class LecoQuestion:
    question: str
    gold: tuple[str, ...]  # article names (the keys of 相关法规)


_ARTICLE = re.compile(r"第[零〇一二三四五六七八九十百千万两\d]+条(?:之[一二三四五六七八九十]+)?$")


def load_lecoqa(path: Path | str) -> tuple[list[LecoQuestion], dict[str, str]]:
    """Questions and the corpus of their distinct gold articles (name → article text)."""
    with open(path, encoding="utf-8") as fh:
        records = json.load(fh)
    questions: list[LecoQuestion] = []
    articles: dict[str, str] = {}
    for record in records:
        gold = dict(record["相关法规"])
        questions.append(LecoQuestion(str(record["问题"]), tuple(gold)))
        for name, text in gold.items():
            articles.setdefault(name, str(text))
    return questions, articles


def article_chunk(name: str, text: str) -> Chunk:
    """One LeCoQA article as one passage: ``doc`` and ``section`` are its name, e.g. 行政许可法第十五条."""
    match = _ARTICLE.search(name)
    label = match.group(0) if match else ""
    return Chunk(
        doc_id=hashlib.sha1(name.encode("utf-8")).hexdigest()[:16],
        doc=name,
        title=name[: len(name) - len(label)] or name,
        kind="regulation",
        section=name,
        label=label,
        start=0,
        end=len(text),
        text=text,
        page=None,
        titles=(),
        ordinal=0,
    )


def write_chunks(ws: Workspace, chunks: Sequence[Chunk]) -> None:
    """Put chunks straight into both stores of a workspace (no files, no manifest)."""
    vectors = ws.embeddings.embed_array([c.embedding_text() for c in chunks])
    ws.vectors.add(chunks, vectors)
    for chunk in chunks:
        ws.lexical.replace_document(chunk.doc_id, [chunk])


def lecoqa_metrics(ranked_docs: Sequence[Sequence[str]], questions: Sequence[LecoQuestion]) -> dict[str, float]:
    """Hit@k: any gold article in the top k; recall@k: share of gold articles there; MRR@10."""
    rows = []
    for ranked, q in zip(ranked_docs, questions, strict=True):
        gold = set(q.gold)
        first = next((i for i, doc in enumerate(ranked[:10], start=1) if doc in gold), None)
        rows.append({
            "hit@5": float(any(d in gold for d in ranked[:5])),
            "hit@10": float(any(d in gold for d in ranked[:10])),
            "recall@5": len(gold & set(ranked[:5])) / len(gold),
            "recall@10": len(gold & set(ranked[:10])) / len(gold),
            "mrr@10": 1.0 / first if first else 0.0,
        })
    keys = ("hit@5", "hit@10", "recall@5", "recall@10", "mrr@10")
    summary: dict[str, float] = {"n": len(rows)}
    summary.update({key: sum(r[key] for r in rows) / len(rows) if rows else 0.0 for key in keys})
    return summary


def run_lecoqa(
    path: Path | str = LECOQA_TEST,
    workspace_factory: WorkspaceFactory | None = None,
    systems: Iterable[str] = WORKSPACE_SYSTEMS,
) -> dict[str, Any]:
    """Statute retrieval over the distinct gold articles of LeCoQA, with our three searcher modes."""
    questions, articles = load_lecoqa(path)
    factory = workspace_factory or default_workspace_factory()
    with tempfile.TemporaryDirectory(prefix="zgt-lecoqa-") as tmp:
        ws = factory(Path(tmp))
        try:
            started = time.perf_counter()
            write_chunks(ws, [article_chunk(name, text) for name, text in articles.items()])
            build_seconds = time.perf_counter() - started
            results = {}
            for name, retrieve in workspace_retrievers(ws, systems).items():
                ranked = [[doc for doc, _ in retrieve(q.question)] for q in questions]
                results[name] = lecoqa_metrics(ranked, questions)
        finally:
            close_workspace(ws)
    return {
        "path": str(path),
        "questions": len(questions),
        "articles": len(articles),
        "build_seconds": round(build_seconds, 2),
        "systems": results,
        "reference": REFERENCE_LECOQA,
    }


# ---------------------------------------------------------------- the whole run


def evaluate_retrievers(retrievers: Mapping[str, Retriever], questions: Sequence[Question]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, retrieve in retrievers.items():
        started = time.perf_counter()
        ranked = run_retriever(retrieve, questions)
        metrics = retrieval_metrics(ranked, questions)
        metrics["query_seconds"] = round(time.perf_counter() - started, 3)
        results[name] = metrics
    return results


def run_evaluation(
    questions_path: Path | str = DEV_QUESTIONS,
    docs_dir: Path | str | None = None,
    index_dir: Path | str | None = None,
    lecoqa_path: Path | str | None = LECOQA_TEST,
    systems: Sequence[str] = ALL_SYSTEMS,
    *,
    settings: Settings | None = None,
    embeddings: SentenceEmbeddings | None = None,
    sweep_weights: Sequence[float] = (),
) -> dict[str, Any]:
    """Build every requested system over ``docs_dir`` and score it on the questions (JSON-serialisable).

    Without ``index_dir`` our index is built in a temporary folder; with it, that folder is brought up
    to date with ``docs_dir`` (an incremental run) and evaluated. ``lecoqa_path=None`` skips LeCoQA.
    """
    unknown = set(systems) - set(ALL_SYSTEMS)
    if unknown:
        raise ValueError(f"未知的检索系统：{', '.join(sorted(unknown))}")
    base = settings or get_settings()
    docs = Path(docs_dir) if docs_dir is not None else base.docs_dir
    questions = load_questions(questions_path)
    factory = default_workspace_factory(base, embeddings)
    result: dict[str, Any] = {
        "questions_path": str(questions_path),
        "docs_dir": str(docs),
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "systems": {},
        "build": {},
        "reference": REFERENCE_DEV,
    }
    ours = [s for s in systems if s in WORKSPACE_SYSTEMS]
    with _index_dir(Path(index_dir) if index_dir is not None else None) as folder:
        ws = factory(folder)
        try:
            embeddings = ws.embeddings
            if ours or sweep_weights:
                report = ws.index([docs])
                result["build"]["workspace"] = {
                    "index_dir": str(folder) if index_dir is not None else "(temporary)",
                    "seconds": round(report.seconds, 2),
                    "chunks": ws.lexical.count(),
                    "counts": report.counts(),
                    "failed": [o.source for o in report.outcomes if o.status == "failed"],
                    "other_documents": _other_documents(ws, docs),
                }
                result["systems"].update(evaluate_retrievers(workspace_retrievers(ws, ours), questions))
            if sweep_weights:
                result["sweep"] = sweep_lexical_weight(ws.searcher, questions, sweep_weights)
        finally:
            close_workspace(ws)
    baselines = [s for s in systems if s in BASELINE_SYSTEMS]
    if baselines:
        result["systems"].update(_run_baselines(baselines, read_raw_texts(docs), embeddings, questions, result))
    if lecoqa_path is not None:
        result["lecoqa"] = run_lecoqa(lecoqa_path, factory, ours or WORKSPACE_SYSTEMS)
    result["systems"] = {name: result["systems"][name] for name in systems}
    return result


def _other_documents(ws: Workspace, docs: Path) -> list[str]:
    """Documents in an existing index that are not in ``docs``: they compete for the top 10 too."""
    wanted = {str(p) for p in discover([docs])}
    return sorted(r.name for r in ws.manifest.records() if r.source not in wanted)


def _run_baselines(
    names: Sequence[str],
    texts: Mapping[str, str],
    embeddings: SentenceEmbeddings,
    questions: Sequence[Question],
    result: dict[str, Any],
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="zgt-naive-") as tmp:
        retrievers: dict[str, Retriever] = {}
        for name in names:
            started = time.perf_counter()
            if name == "naive_langchain":
                retrievers[name] = naive_langchain_retriever(texts, embeddings, Path(tmp))
            else:
                retrievers[name] = bm25_300_retriever(texts)
            result["build"][name] = {"seconds": round(time.perf_counter() - started, 2), "files": len(texts)}
        return evaluate_retrievers(retrievers, questions)


def sweep_lexical_weight(
    searcher: HybridSearcher,
    questions: Sequence[Question],
    weights: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
) -> list[dict[str, float]]:
    """Hybrid recall@5 / recall@10 / MRR@10 per lexical weight: a tuning aid, not a target to maximise."""
    rows = []
    for weight in weights:
        hybrid = replace(searcher, modes=WORKSPACE_SYSTEMS["hybrid"], lexical_weight=weight)
        overall = retrieval_metrics(run_retriever(searcher_retriever(hybrid), questions), questions)["overall"]
        rows.append({"lexical_weight": weight} | {k: overall[k] for k in ("recall@5", "recall@10", "all@10", "mrr@10")})
    return rows


# ---------------------------------------------------------------- output


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def format_table(result: Mapping[str, Any]) -> str:
    columns = ("recall@5", "recall@10", "all@10", "mrr@10")
    header = ("system", "recall@5", "recall@10", "all in top 10", "MRR@10")
    lines = [f"Dev retrieval ({result.get('answerable', '?')} answerable questions, {result.get('docs_dir', '')})", ""]
    rows = [[name, *(_fmt(m["overall"][c]) for c in columns)] for name, m in result.get("systems", {}).items()]
    rows += [[f"_{name} (BASELINES.md)_", *(_fmt(m[c]) for c in columns)] for name, m in REFERENCE_DEV.items()]
    lines += _table(header, rows)
    others = result.get("build", {}).get("workspace", {}).get("other_documents")
    if others:
        lines += ["", f"Note: the index also holds {len(others)} files outside the documents folder "
                      f"(they compete for the top 10): {', '.join(others[:5])}"]
    lines += _kind_table(result.get("systems", {}))
    if result.get("sweep"):
        lines += ["", "Hybrid lexical-weight sweep (dev)", ""]
        lines += _table(("lexical weight", *header[1:]),
                        [[_fmt(r["lexical_weight"]), *(_fmt(r[c]) for c in columns)] for r in result["sweep"]])
    if result.get("lecoqa"):
        lines += ["", *_lecoqa_table(result["lecoqa"])]
    return "\n".join(lines)


def _kind_table(systems: Mapping[str, Any]) -> list[str]:
    kinds = sorted({kind for m in systems.values() for kind in m["by_kind"]})
    if not kinds:
        return []
    rows = [[name, *(_fmt(m["by_kind"].get(k, {}).get("recall@5", "-")) for k in kinds)] for name, m in systems.items()]
    counts = next(iter(systems.values()))["by_kind"]
    return ["", "recall@5 by kind", "", *_table(("system", *(f"{k} ({counts[k]['n']})" for k in kinds)), rows)]


def _lecoqa_table(lecoqa: Mapping[str, Any]) -> list[str]:
    columns = ("hit@5", "hit@10", "recall@5", "recall@10", "mrr@10")
    header = ("retriever", "Hit@5", "Hit@10", "recall@5", "recall@10", "MRR@10")
    rows = [[name, *(_fmt(m[c]) for c in columns)] for name, m in lecoqa["systems"].items()]
    rows += [[f"_{name} (BASELINES.md)_", *(_fmt(m[c]) for c in columns)] for name, m in REFERENCE_LECOQA.items()]
    title = f"LeCoQA statute retrieval ({lecoqa['questions']} questions, {lecoqa['articles']} articles)"
    return [title, "", *_table(header, rows)]


def save_json(result: Mapping[str, Any], path: Path | str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(result, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m assistant.evaluation``: the same run the CLI's ``eval`` subcommand makes."""
    parser = argparse.ArgumentParser(prog="python -m assistant.evaluation", description="检索评测")
    parser.add_argument("--questions", default=str(DEV_QUESTIONS))
    parser.add_argument("--docs", default=None, help="文档目录（默认 settings.docs_dir）")
    parser.add_argument("--index-dir", default=None, help="评测已有索引目录（默认在临时目录新建）")
    parser.add_argument("--lecoqa", default=str(LECOQA_TEST), help="LeCoQA 文件；空字符串表示跳过")
    parser.add_argument("--systems", nargs="+", default=list(ALL_SYSTEMS), choices=ALL_SYSTEMS)
    parser.add_argument("--sweep", nargs="*", type=float, default=[], help="混合检索的词法权重扫描")
    parser.add_argument("--out", default=None, help="JSON 结果文件")
    args = parser.parse_args(argv)
    result = run_evaluation(
        args.questions, args.docs, args.index_dir, args.lecoqa or None, args.systems, sweep_weights=args.sweep
    )
    print(format_table(result))
    if args.out:
        save_json(result, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
