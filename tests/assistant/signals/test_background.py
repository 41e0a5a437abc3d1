"""The reference a question's closeness is read against: the mean of an even sample of an index's vectors,
stored with its encoder, and the same whatever a user's own library holds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.settings import Settings
from assistant.signals.background import REFERENCE_FILE, Background, reference, sampled
from assistant.workspace import Workspace

REPORTS = {
    "财务.txt": "一、加强财务管理\n修订机关财务管理制度，规范报账审批程序，清理往来款项挂账。\n",
    "保密.txt": "一、加强保密管理\n组织干部职工签订保密承诺书，开展保密自查，规范涉密文件管理。\n",
    "食堂.txt": "一、食堂食品安全\n落实食材采购索证索票制度，每日留样并记录，定期开展食品安全检查。\n",
}
QUESTION = "保密承诺书签订了吗"


def indexed(workspace: Workspace, folder: Path, names: list[str]) -> Workspace:
    folder.mkdir()
    for name in names:
        (folder / name).write_text(REPORTS[name], encoding="utf-8")
    workspace.index([folder])
    return workspace


def test_a_query_s_cosine_with_the_sample_is_its_mean_cosine_with_the_sampled_passages(
    workspace: Workspace, tmp_path: Path
) -> None:
    vectors = indexed(workspace, tmp_path / "docs", list(REPORTS)).vectors
    stored = np.asarray(vectors.collection.get(include=["embeddings"])["embeddings"], dtype=np.float32)
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    query = vectors.query_vector(QUESTION)[0]
    background = sampled(vectors)
    assert background.encoder == vectors.embeddings.name
    assert background.cosine(query) == pytest.approx(float((stored @ query).mean()), abs=1e-5)
    assert float((stored @ query).max()) > background.cosine(query)  # the passage it is about stands out


def test_the_stored_reference_serves_its_own_encoder_and_no_other(workspace: Workspace, tmp_path: Path) -> None:
    vectors = indexed(workspace, tmp_path / "docs", ["财务.txt", "保密.txt"]).vectors
    mine = Background(vectors.embeddings.name, tuple(np.full(384, 0.05).tolist()))
    assert reference(vectors, mine.save(tmp_path / "mine.json")) == mine
    other = Background("另一个编码器", mine.vector)
    # vectors of another encoder mean nothing to this one's queries: the library's own sample stands in
    assert reference(vectors, other.save(tmp_path / "other.json")) == sampled(vectors)
    assert reference(vectors, tmp_path / "none.json") == sampled(vectors)


def test_a_library_of_one_report_is_read_against_the_same_committed_reference(
    workspace: Workspace, tmp_path: Path
) -> None:
    # In a library of one finance report every passage is close to a finance question: read against that
    # library, the question would seem close to nothing in particular and be refused.
    vectors = indexed(workspace, tmp_path / "docs", ["财务.txt"]).vectors
    committed = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    assert committed["encoder"] == Settings().embedding_model == vectors.embeddings.name
    used = reference(vectors)
    assert used.vector == tuple(committed["vector"]) != sampled(vectors).vector
    question = vectors.query_vector("哪些整改措施涉及财务管理？")[0]
    assert used.cosine(question) < sampled(vectors).cosine(question)
