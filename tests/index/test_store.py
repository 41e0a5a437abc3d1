"""The vector store: what cosine two unrelated passages of this index have, and Chroma clients that many threads
open and close at once."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.workspace import Workspace
from index.store import close_client, open_client

TOPICS = {
    "财务.txt": "一、加强财务管理\n修订机关财务管理制度，规范报账审批程序，清理往来款项挂账。\n",
    "保密.txt": "一、加强保密管理\n组织干部职工签订保密承诺书，开展保密自查，规范涉密文件管理。\n",
    "食堂.txt": "一、食堂食品安全\n落实食材采购索证索票制度，每日留样并记录，定期开展食品安全检查。\n",
    "招生.txt": "一、规范招生工作\n公开招生计划和录取结果，严禁违规跨区域招生，畅通投诉举报渠道。\n",
    "校车.txt": "一、校车安全管理\n校车驾驶人每学期培训一次，车辆每月检修，建立接送学生台账。\n",
}


def write_topics(folder: Path, names: list[str]) -> Path:
    folder.mkdir()
    for name in names:
        (folder / name).write_text(TOPICS[name], encoding="utf-8")
    return folder


def test_chance_cosine_is_the_median_cosine_of_the_stored_passages(workspace: Workspace, tmp_path: Path) -> None:
    workspace.index([write_topics(tmp_path / "docs", list(TOPICS))])
    vectors = np.asarray(workspace.vectors.collection.get(include=["embeddings"])["embeddings"], dtype=np.float32)
    assert len(vectors) == len(TOPICS)
    pairs = (vectors @ vectors.T)[np.triu_indices(len(vectors), k=1)]
    chance = workspace.vectors.chance_cosine()
    # every passage is used when there are fewer than the sample (the store re-normalises: float rounding only)
    assert chance == pytest.approx(np.median(pairs).item(), abs=1e-6)
    assert 0.5 < chance < 1.0  # E5's floor is far from zero: a raw cosine of 0.8 says little
    # A restatement of one passage stands well above it.
    restated = workspace.embeddings.embed_array(["组织干部职工签订保密承诺书，开展保密自查"])[0]
    assert float((vectors @ restated).max()) > chance + 0.05
    # A sample spread over the index: three of the five passages, three pairs.
    assert min(pairs) <= workspace.vectors.chance_cosine(sample=3) <= max(pairs)


def test_an_index_of_one_passage_has_no_chance_cosine(workspace: Workspace, tmp_path: Path) -> None:
    workspace.index([write_topics(tmp_path / "docs", ["保密.txt"])])
    assert workspace.vectors.count() == 1
    assert workspace.vectors.chance_cosine() == 0.0


def test_threads_opening_and_closing_clients_of_one_folder_never_get_each_others(tmp_path: Path) -> None:
    # The web app opens a fresh Chroma system for each new generation while the indexer opens and closes its
    # own; Chroma's registry of systems is process-wide, so unserialised, a client could be built on another
    # thread's system and lose it when that thread closed it (about every second run of this test failed).
    folder = tmp_path / "chroma"
    first = open_client("embedded", path=folder, fresh=True)
    first.get_or_create_collection("shared_passages").add(ids=["a"], embeddings=[[0.1, 0.2]], documents=["正文"])
    close_client(first)
    errors: list[str] = []

    def open_count_close() -> None:
        for _ in range(40):
            try:
                client = open_client("embedded", path=folder, fresh=True)
                counts = [client.get_collection("shared_passages").count() for _ in range(3)]
                close_client(client)
                assert counts == [1, 1, 1]
            except Exception as exc:  # noqa: BLE001  # every failure is collected and reported
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=open_count_close) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
