"""The vector store's view of its encoder: what cosine two unrelated passages of this index have."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.workspace import Workspace

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
