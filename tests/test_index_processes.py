"""Several real processes on one index: the web app serving 20 sessions while another process rebuilds,
two ``index`` commands started together, and two app processes (replicas) on one ``chroma run``.

The kill -9 of a rebuild midway is in tests/index/test_crash_points.py (it uses the kill helpers there).
Documents are small subsets of docs_src/, so that each rebuild takes seconds, not minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.cli import EXIT_BUSY, main
from assistant.settings import PROJECT_ROOT, Settings
from assistant.views import answer_text
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings
from index.generation import FilePointer
from index.lock import writer_lock
from tests.conftest import DOCS_SRC, EVAL_DIR, make_workspace
from tests.index.documents import write_numbered_reports
from tests.servers import ChromaServer, free_port, running_chroma_server, running_web_app, stop_process

SESSIONS = 20
QUEUE_WORKERS = 4  # as app.launch()
# Generation A: what the app serves first; B: what ``index --rebuild`` builds meanwhile.
CORPUS_A = ["reports/教育局党组关于巡察组巡察反馈问题整改情况的通报.txt", "regulations/中国共产党巡视工作条例.md"]
CORPUS_B = [
    "reports/教育局党组关于巡察组巡察反馈问题整改情况的通报.txt",
    "reports/中共南开大学委员会关于十九届中央第七轮巡视整改进展情况的通报.md",
    "regulations/中华人民共和国会计法.md",
    "regulations/中华人民共和国审计法.md",
]
QUESTIONS = [
    "哪些措施涉及财务管理？",
    "巡视组反馈后多久要报送整改情况？",
    "保密工作是怎么整改的？",
    "南开大学在选人用人方面做了哪些整改？",
]
SUBPROCESS_SECONDS = 300


def copy_documents(names: list[str], folder: Path) -> Path:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DOCS_SRC / name, folder / name)
    return folder


def cli_env(index_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZGT_")}
    return env | {"ZGT_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1", **extra}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def clean_answers(docs: Path, index_dir: Path, embeddings: SentenceEmbeddings) -> dict[str, str]:
    """Each question's copyable answer from a clean build of ``docs``."""
    ws = make_workspace(index_dir, embeddings)
    report = ws.index([docs])
    assert report.counts()["failed"] == 0, report.summary()
    try:
        return {q: answer_text(ws.answerer.answer(q)) for q in QUESTIONS}
    finally:
        ws.close()


# ---------------------------------------------------------------------------------------------
# 20 sessions while another process runs ``index --rebuild``
# ---------------------------------------------------------------------------------------------
@dataclass
class Asked:
    question: str
    started: float
    finished: float
    plain: str = ""
    error: str = ""


class SwitchWatch(threading.Thread):
    """Records when the index's pointer names a build other than the first one it saw (wall-clock times).

    ``written_at`` (the new pointer file's mtime, set before it replaces the old one) is no later than the
    switch, ``switched_at`` (when this watch saw it) no earlier: a question finished before the first was
    answered before the switch, one started after the second was asked after it.
    """

    def __init__(self, index_dir: Path) -> None:
        super().__init__(daemon=True)
        self.pointer = FilePointer(index_dir)
        first = self.pointer.read()
        assert first is not None
        self.first = first.build
        self.switched_at: float | None = None
        self.written_at: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.switched_at is None:
            current = self.pointer.read()
            if current is not None and current.build != self.first:
                self.written_at = self.pointer.path.stat().st_mtime
                self.switched_at = time.time()
            time.sleep(0.005)


def test_twenty_sessions_while_another_process_rebuilds(tmp_path: Path, embeddings: SentenceEmbeddings) -> None:
    from gradio_client import Client

    docs_a = copy_documents(CORPUS_A, tmp_path / "docs-a")
    docs_b = copy_documents(CORPUS_B, tmp_path / "docs-b")
    expected_a = clean_answers(docs_a, tmp_path / "served", embeddings)  # the served index is this clean build
    expected_b = clean_answers(docs_b, tmp_path / "clean-b", embeddings)
    differing = [q for q in QUESTIONS if expected_a[q] != expected_b[q]]
    assert len(differing) >= 2, "the two generations must answer differently for the test to tell them apart"

    served = make_workspace(tmp_path / "served", embeddings)
    settings = served.settings.model_copy(update={"uploads_dir": tmp_path / "uploads", "trash_dir": tmp_path / "trash"})
    watch = SwitchWatch(tmp_path / "served")
    with running_web_app(settings, served, default_concurrency_limit=QUEUE_WORKERS) as url:
        rebuild = subprocess.Popen(cli("index", str(docs_b), "--rebuild", "--quiet"), cwd=PROJECT_ROOT,
                                   env=cli_env(tmp_path / "served"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        watch.start()
        rebuild_started = time.time()
        ended: list[float] = []

        def wait_rebuild() -> None:
            rebuild.wait(SUBPROCESS_SECONDS)
            ended.append(time.time())

        waiter = threading.Thread(target=wait_rebuild, daemon=True)
        waiter.start()

        def session(i: int) -> list[Asked]:
            # Twenty clients fetch the app's config at once while the rebuild takes a core: httpx's 5 s default is
            # a load test of the client's start-up, not of what the sessions are asked (a CI run timed out there).
            client = Client(url, verbose=False, httpx_kwargs={"timeout": 60})
            asked: list[Asked] = []
            k = i
            # Ask until a few seconds after the rebuild has ended (so every session asks on both sides).
            while not ended or time.time() < ended[0] + 4:
                question = QUESTIONS[k % len(QUESTIONS)]
                k += 1
                call = Asked(question, time.time(), 0.0)
                try:
                    _, _, call.plain, _ = client.predict(question, [], [], [], "抽取式", api_name="/ask")
                except Exception as exc:
                    call.error = f"{type(exc).__name__}: {exc}"
                call.finished = time.time()
                asked.append(call)
                if time.time() > rebuild_started + SUBPROCESS_SECONDS:
                    break
            return asked

        with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
            calls = [c for result in pool.map(session, range(SESSIONS)) for c in result]
        waiter.join(10)
        watch.stop.set()
        out, err = rebuild.communicate(timeout=30)

    assert rebuild.returncode == 0, err[-3000:]
    assert watch.switched_at is not None and watch.written_at is not None, "the pointer never switched"
    errors = [f"{c.question}: {c.error}" for c in calls if c.error]
    assert not errors, "\n".join(errors[:10])
    before = [c for c in calls if c.finished < watch.written_at]
    after = [c for c in calls if c.started > watch.switched_at]
    during = [c for c in before if rebuild_started < c.started]
    print(f"\n{len(calls)} 次提问：切换前完成 {len(before)}（其中重建期间 {len(during)}），切换后开始 {len(after)}")
    assert during and after, "questions must be asked while the rebuild runs and after it switched"
    wrong_a = [c.question for c in before if c.plain != expected_a[c.question]]
    wrong_b = [c.question for c in after if c.plain != expected_b[c.question]]
    either = [c.question for c in calls if c.plain not in (expected_a[c.question], expected_b[c.question])]
    assert not wrong_a, f"answered before the switch, not as generation A: {wrong_a[:5]}"
    assert not wrong_b, f"asked after the switch, not answered as generation B: {wrong_b[:5]}"
    assert not either, either[:5]
    assert {c.question for c in after} >= set(differing)


# ---------------------------------------------------------------------------------------------
# Two ``index`` commands started together
# ---------------------------------------------------------------------------------------------
def test_two_index_commands_started_together_end_like_a_clean_build(
    tmp_path: Path, embeddings: SentenceEmbeddings, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = copy_documents(CORPUS_B, tmp_path / "docs")
    index_dir = tmp_path / "index"
    # --no-wait while another writer holds the lock: a clear refusal, nothing written.
    with writer_lock(index_dir):
        code = main(["index", str(docs), "--no-wait", "--quiet"], settings=Settings(index_dir=index_dir))
    assert code == EXIT_BUSY and "另一个索引任务正在进行" in capsys.readouterr().err
    assert not (index_dir / "current.json").exists()

    runs = [
        subprocess.Popen(cli("index", str(docs), "--quiet"), cwd=PROJECT_ROOT, env=cli_env(index_dir),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=SUBPROCESS_SECONDS) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _, err in outputs]
    waited = [i for i, (_, err) in enumerate(outputs) if "另一个索引任务正在进行，已等待 0 秒…" in err]
    assert len(waited) == 1, [err[-500:] for _, err in outputs]
    second_out = outputs[waited[0]][0]
    assert f"未变 {len(CORPUS_B)}" in second_out and "修复" not in second_out, second_out  # it found the work done
    assert "修复" not in outputs[1 - waited[0]][0]

    clean_dir = tmp_path / "clean"
    clean = make_workspace(clean_dir, embeddings)
    clean.index([docs])
    clean.close()
    questions = EVAL_DIR / "dev_questions.jsonl"
    results = []
    for folder in (index_dir, clean_dir):
        out = tmp_path / f"{folder.name}.jsonl"
        assert main(["search", "--jsonl", str(questions), "-k", "10", "--out", str(out)],
                    settings=Settings(index_dir=folder)) == 0
        results.append(out.read_text(encoding="utf-8"))
    assert len(results[0].splitlines()) == sum(1 for line in questions.open(encoding="utf-8") if line.strip())
    assert results[0] == results[1]


# ---------------------------------------------------------------------------------------------
# Replicas: two app processes on different ports against one ``chroma run``
# ---------------------------------------------------------------------------------------------
UPLOADED = "机房巡检制度.txt"
UPLOADED_TEXT = "机房巡检制度\n一、加强机房管理\n（一）巡检制度。一是每日巡检机房空调与不间断电源。二是每周核对机房门禁日志。\n"
UPLOAD_QUESTION = "机房巡检有哪些要求？"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with running_chroma_server(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server


def start_app(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``python app.py`` as a user starts it, on a free loopback port."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, f"http://127.0.0.1:{port}/"


def wait_served(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SUBPROCESS_SECONDS
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"app.py did not serve {url}:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)


def test_an_upload_through_one_replica_is_answered_by_the_other(
    chroma_server: ChromaServer, tmp_path: Path, embeddings: SentenceEmbeddings
) -> None:
    from gradio_client import Client, handle_file

    collection = "replicas"
    docs = write_numbered_reports(tmp_path / "docs", count=2)
    # Replica 1's folder keeps the index (its manifest and lock); replica 2's folder is its own, as on
    # another machine: it holds only its copy of the documents records.
    keeper = Workspace(chroma_server.settings(tmp_path / "replica-1", collection, docs_dir=docs), embeddings=embeddings)
    assert keeper.index().counts()["added"] == 2
    keeper.close()
    envs = [
        cli_env(tmp_path / f"replica-{i}", **chroma_server.env(collection),
                ZGT_UPLOADS_DIR=str(tmp_path / f"uploads-{i}"), ZGT_TRASH_DIR=str(tmp_path / f"trash-{i}"))
        for i in (1, 2)
    ]
    apps = [start_app(env, tmp_path / f"app-{i}.log") for i, env in enumerate(envs, start=1)]
    try:
        for (process, url), i in zip(apps, (1, 2), strict=True):
            wait_served(process, url, tmp_path / f"app-{i}.log")
        one, two = (Client(url, verbose=False) for _, url in apps)
        cited = f"《{UPLOADED.removesuffix('.txt')}》"
        before = two.predict(UPLOAD_QUESTION, [], [], [], "抽取式", api_name="/ask")[2]
        assert cited not in before

        upload = tmp_path / UPLOADED
        upload.write_text(UPLOADED_TEXT, encoding="utf-8")
        status, *_ = one.predict([handle_file(str(upload))], api_name="/upload")
        assert "新增 1" in status, status
        # The very next question to the other replica checks the pointer, copies the new record and answers.
        after = two.predict(UPLOAD_QUESTION, [], [], [], "抽取式", api_name="/ask")[2]
        assert cited in after and "每日巡检机房空调" in after, after
        assert not (tmp_path / "replica-2" / "builds").exists()  # replica 2 never wrote an index of its own

        # Replica 2's folder does not keep the index: its upload is refused, in Chinese, before storing the file.
        with pytest.raises(Exception, match="另一台机器"):
            two.predict([handle_file(str(upload))], api_name="/upload")
        assert not (tmp_path / "uploads-2").exists() or not any((tmp_path / "uploads-2").iterdir())
    finally:
        for process, _ in apps:
            stop_process(process)
