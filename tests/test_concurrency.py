"""Load: 20 chat sessions at once through the web API while the same process re-indexes.

The app is served on a free loopback port over the session's corpus index (like a real launch: queue
with 4 workers). Twenty gradio_client sessions (threads) each ask a few questions; meanwhile a
thread keeps changing a file in a temporary docs folder and re-indexing it into the same index. No
request may fail, the same question must keep its first cited document, and the index must stay
consistent. Bounded: at most 60 requests and 60 seconds of load. Latency p50/p95 is printed (-s).
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.views import answer_text
from assistant.workspace import Workspace
from tests.servers import running_web_app

SESSIONS = 20
QUESTIONS_PER_SESSION = 3
LOAD_SECONDS = 60
QUEUE_WORKERS = 4  # as app.launch()
# Far more often than anyone re-indexes; back to back it would measure little but Chroma's write cost.
REINDEX_PAUSE_SECONDS = 1.0
QUESTIONS = [
    "巡视组反馈后多久要报送整改情况？",
    "保密工作是怎么整改的？",
    "哪些措施涉及财务管理？",
    "处级干部办公用房的面积标准是多少平方米？",  # not in the documents: a refusal, every time
]
# The file the re-index thread keeps changing: its topic is unrelated to the questions.
CHURN = "机房巡检记录第{n}版\n一、加强机房管理\n（一）巡检制度。一是每日巡检空调与不间断电源第{n}次。二是每周核对门禁日志。\n"
FIRST_SOURCE = re.compile(r"^\[1\] 《(.+?)》", re.M)


def first_source(plain: str) -> str:
    """The document of citation [1] in the copyable answer, or the refusal."""
    if plain.startswith("资料中未找到"):
        return "（未找到）"
    match = FIRST_SOURCE.search(plain)
    assert match, f"an answer without citation: {plain[:200]}"
    return match.group(1)


@pytest.fixture(scope="module")
def served(corpus_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("load")
    settings = corpus_workspace.settings.model_copy(
        update={"uploads_dir": folder / "uploads", "trash_dir": folder / "trash", "history_dir": folder / "history"}
    )
    with running_web_app(settings, corpus_workspace, default_concurrency_limit=QUEUE_WORKERS) as url:
        yield url


@dataclass
class Call:
    session: int
    question: str
    seconds: float
    source: str = ""
    error: str = ""


class Reindexer(threading.Thread):
    """Changes one file and re-indexes its folder into the shared index until told to stop."""

    def __init__(self, ws: Workspace, folder: Path) -> None:
        super().__init__(daemon=True)
        self.ws, self.folder = ws, folder
        self.stop = threading.Event()
        self.runs: list[dict[str, int]] = []
        self.errors: list[str] = []

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            (self.folder / "机房巡检.txt").write_text(CHURN.format(n=n), encoding="utf-8")
            try:
                report = self.ws.indexer.run([self.folder])
                self.runs.append(report.counts())
                if report.counts()["failed"]:
                    self.errors.append(report.summary())
            except Exception as exc:  # reported by the test
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self.stop.wait(REINDEX_PAUSE_SECONDS)


def test_twenty_sessions_while_reindexing(served: str, corpus_workspace: Workspace, tmp_path: Path) -> None:
    from gradio_client import Client

    ws = corpus_workspace
    expected = {q: first_source(_plain(ws, q)) for q in QUESTIONS}
    churn = tmp_path / "churn"
    churn.mkdir()
    reindexer = Reindexer(ws, churn)
    deadline = time.monotonic() + LOAD_SECONDS

    def session(i: int) -> list[Call]:
        calls: list[Call] = []
        try:
            # No client timeout of httpx's 5 s: twenty sessions on two cores wait their turn, and how long is
            # for the benchmark to say; this test asks that none fails and all see one index.
            client = Client(served, verbose=False, httpx_kwargs={"timeout": 300})
        except Exception as exc:
            return [Call(i, "（连接）", 0.0, error=f"{type(exc).__name__}: {exc}")]
        for k in range(QUESTIONS_PER_SESSION):
            if time.monotonic() > deadline:
                break
            question = QUESTIONS[(i + k) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                _, _, plain, _ = client.predict(question, [], [], [], "抽取式", api_name="/ask")
                calls.append(Call(i, question, time.perf_counter() - started, source=first_source(plain)))
            except Exception as exc:
                calls.append(Call(i, question, time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}"))
        return calls

    reindexer.start()
    try:
        with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
            calls = [c for result in pool.map(session, range(SESSIONS)) for c in result]
    finally:
        reindexer.stop.set()
        reindexer.join(timeout=120)
        for record in ws.manifest.records():  # leave the shared corpus index as it was
            if Path(record.source).parent == churn.resolve():
                ws.indexer.remove(record.source)

    latencies = sorted(c.seconds for c in calls if not c.error)
    errors = [f"session {c.session} {c.question}: {c.error}" for c in calls if c.error]
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))] if latencies else float("nan")
    print(f"\n{SESSIONS} 个会话，{len(calls)} 次提问，{len(errors)} 次出错；同时重新索引 {len(reindexer.runs)} 次；"
          f"延迟 p50 {p50:.2f} 秒，p95 {p95:.2f} 秒，最长 {max(latencies, default=0):.2f} 秒")

    assert not errors, "\n".join(errors[:10])
    assert not reindexer.errors, "\n".join(reindexer.errors[:5])
    assert len(calls) >= SESSIONS, "most sessions never got to ask"
    assert len(reindexer.runs) >= 2 and any(r["updated"] or r["added"] for r in reindexer.runs), reindexer.runs
    inconsistent = [f"{c.question}: {c.source} ≠ {expected[c.question]}" for c in calls if c.source != expected[c.question]]
    assert not inconsistent, "\n".join(inconsistent[:10])
    assert ws.vectors.count() == ws.lexical.count() == sum(r.chunks for r in ws.manifest.records() if r.status == "ok")
    assert not any(Path(r.source).parent == churn.resolve() for r in ws.manifest.records())


def _plain(ws: Workspace, question: str) -> Any:
    return answer_text(ws.answerer.answer(question))
