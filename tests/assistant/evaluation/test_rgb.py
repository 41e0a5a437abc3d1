"""RGB, the public benchmark of the answer layer: what its figures mean, and a real run over two questions."""

from pathlib import Path

import pytest

from assistant.evaluation.rgb import (
    NEGATIVES_ALONE,
    POSITIVES,
    RgbScore,
    answer_holds,
    is_positive,
    load_rgb,
    run_rgb,
    summarise,
)
from assistant.evaluation.workspaces import WorkspaceFactory
from assistant.settings import get_settings
from assistant.workspace import Workspace
from index.embedding import SentenceEmbeddings

RGB = get_settings().rgb_questions


def test_an_answer_is_correct_when_it_holds_every_expected_answer_in_any_of_its_spellings() -> None:
    assert answer_holds("踩踏事故造成12人死亡", [["12人"]])
    assert answer_holds("成员包括中国、日本和东盟十国", [["中国"], ["日本"], ["东盟", "东南亚国家联盟"]])
    assert not answer_holds("成员包括中国、日本", [["中国"], ["日本"], ["东盟"]])
    assert not answer_holds("什么都有", [])


def test_the_summary_counts_refusals_over_negatives_and_answers_over_positives() -> None:
    scores = [
        RgbScore(1, True, True, ("rgb-001-p0", "rgb-001-n1"), True, 0.9, 0.2),
        RgbScore(2, True, False, ("rgb-002-n0",), False, 0.8, 0.7),
        RgbScore(3, False, False, (), True, 0.3, 0.1),
    ]
    summary = summarise(scores)
    assert summary["answer_rate"] == pytest.approx(2 / 3)
    assert summary["accuracy"] == pytest.approx(1 / 3)
    assert summary["accuracy_when_answered"] == pytest.approx(1 / 2)
    assert summary["citation_precision"] == pytest.approx(1 / 3)
    assert summary["rejection"] == pytest.approx(2 / 3)
    # of the 9 pairs (answerable search, negatives-only search), 8 rank the answerable one higher
    assert summary["answerability_auc"] == pytest.approx(8 / 9)


@pytest.mark.skipif(not RGB.exists(), reason="the shared RGB file is not beside the checkout")
def test_the_shared_file_reads_as_questions_with_answers_and_both_kinds_of_passage() -> None:
    questions = load_rgb(RGB)
    assert len(questions) == 300
    first = questions[0]
    assert first.query == "印控克什米尔地区寺庙踩踏事故死亡人数" and first.answers == (("12人",),)
    assert all(q.answers and len(q.positives) >= 1 and len(q.negatives) >= NEGATIVES_ALONE for q in questions)


@pytest.mark.skipif(not RGB.exists(), reason="the shared RGB file is not beside the checkout")
def test_each_question_is_searched_only_over_its_own_passages(tmp_path: Path, embeddings: SentenceEmbeddings) -> None:
    factory: WorkspaceFactory = lambda folder: Workspace(  # noqa: E731
        get_settings().model_copy(update={"index_dir": folder, "chroma_mode": "embedded"}), embeddings=embeddings)
    result = run_rgb(RGB, factory, limit=2)
    assert result["passages"] == 2 * (POSITIVES + NEGATIVES_ALONE)
    for score in result["scores"]:
        prefix = f"rgb-{score['id']:03d}-"
        assert all(name.startswith(prefix) for name in score["cited"])
        # with noise, the search saw three positives and only the first two negatives
        assert all(is_positive(name) or name.endswith(("n0", "n1")) for name in score["cited"])
    summary = result["summary"]
    assert summary["questions"] == 2 and 0.0 <= summary["accuracy"] <= summary["answer_rate"] <= 1.0
