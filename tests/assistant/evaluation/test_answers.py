"""What the answer-level figures mean, pinned on hand-made answers."""

from dataclasses import replace

from assistant.answering import Answer
from assistant.citations import citation_for
from assistant.evaluation.answers import (
    citation_is_precise,
    citation_is_valid,
    evaluate_answers,
    format_answer_table,
    score_answer,
    summarise,
)
from assistant.evaluation.data import GoldQuote, Question
from index.chunking import Chunk

DOC_TEXT = "前言。五是下发《关于对州属学校往来款项开展内部审计的通知》，组织开展内部审计。结尾。"


def chunk() -> Chunk:
    start = DOC_TEXT.index("五是")
    end = DOC_TEXT.index("结尾")
    return Chunk("d", "通报.txt", "通报", "report", "五是", "五是", start, end, DOC_TEXT[start:end], None, (), 0)


QUESTION = Question("q1", "内部审计怎么做的？", True, (GoldQuote("通报.txt", "往来款项开展内部审计"),), "fact")
UNANSWERABLE = Question("q2", "组长是谁？", False, (), "unanswerable")


def test_a_citation_is_valid_only_at_its_exact_document_span() -> None:
    good = citation_for(1, chunk(), "组织开展内部审计。")
    assert good is not None and citation_is_valid(good, {"通报.txt": DOC_TEXT})
    shifted = good.__class__(1, good.chunk, good.quote, good.start + 1, good.end + 1)
    assert not citation_is_valid(shifted, {"通报.txt": DOC_TEXT})
    assert not citation_is_valid(good, {})


def test_a_citation_is_precise_when_its_passage_covers_a_gold_quote_of_the_same_file() -> None:
    citation = citation_for(1, chunk(), "组织开展内部审计。")
    assert citation is not None and citation_is_precise(citation, QUESTION)
    other_file = Question("q", "", True, (GoldQuote("别的文件.md", "往来款项开展内部审计"),), "fact")
    assert not citation_is_precise(citation, other_file)


def test_summary_counts_refusals_and_answers() -> None:
    texts = {"通报.txt": DOC_TEXT}
    citation = citation_for(1, chunk(), "组织开展内部审计。")
    assert citation is not None
    answered = Answer("内部审计怎么做的？", "组织开展内部审计。[1]", True, [citation])
    refused = Answer("组长是谁？", "资料中未找到……", False, [])
    wrongly_answered = Answer("组长是谁？", "……[1]", True, [citation])
    summary = summarise([score_answer(answered, QUESTION, texts), score_answer(refused, UNANSWERABLE, texts)])
    assert summary["citation_validity"] == 1.0 and summary["citation_precision"] == 1.0
    assert summary["answer_rate"] == 1.0 and summary["refusal_accuracy"] == 1.0
    worse = summarise([score_answer(wrongly_answered, UNANSWERABLE, texts)])
    assert worse["refusal_accuracy"] == 0.0 and worse["wrongly_answered"] == ["q2"]
    # a split read only to report (test) shows its figures, not which of its questions went wrong
    assert "q2" in format_answer_table(worse) and "q2" not in format_answer_table(worse, items=False)


def test_a_count_is_right_when_the_answer_states_it_or_points_to_a_quote_that_does() -> None:
    """A counting question with a ``count`` is answered right when the first line writes that number (列出 5 种,
    共 3 项; a citation mark is no number) or points to a cited quote that writes it, in digits or in words."""
    counting = Question("q3", "党内纪律处分分为几种？", True, (GoldQuote("通报.txt", "往来款项开展内部审计"),), "count",
                        count=5)
    citation = citation_for(1, chunk(), "组织开展内部审计。")
    place = citation_for(1, chunk(), "五是下发《关于对州属学校往来款项开展内部审计的通知》")
    assert citation is not None and place is not None
    five = replace(place, quote="对5所学校开展内部审计")  # a quote that counts (validity is not what is read here)
    texts = {"通报.txt": DOC_TEXT}

    def right(text: str, cited: list, found: bool = True) -> bool | None:
        return score_answer(Answer(counting.question, text, found, cited), counting, texts).count_right

    assert right("《纪律处分条例》第八条列出 5 种（见 [1]）：\n- …[1]", [citation])
    assert not right("《纪律处分条例》第八条列出 4 种（见 [1]）：\n- …[1]", [citation])
    assert not right("根据资料：\n- 组织开展内部审计。[5]", [citation])  # [5] is a mark, not the count
    assert right("所问的数量见 [1]。根据资料：\n- …[1]", [five])  # the quote writes 5所
    assert not right("所问的数量见 [1]。根据资料：\n- …[1]", [place])  # 五是 is a place in a list, not a count
    assert not right("资料中未找到。", [], found=False)
    # in LLM mode the line that opens the items follows the model's lead-in
    lead_in = "纪律处分分为几种，条例有明确规定[1]。\n\n《纪律处分条例》第八条列出 5 种（见 [1]）：\n- …[1]"
    llm = Answer(counting.question, lead_in, True, [citation], mode="llm", opening="《纪律处分条例》第八条列出 5 种（见 [1]）：")
    assert score_answer(llm, counting, texts).count_right
    assert not score_answer(replace(llm, opening="根据资料："), counting, texts).count_right
    assert score_answer(Answer("", "", True, []), QUESTION, texts).count_right is None  # not a counting question
    summary = summarise([score_answer(Answer("", "共列出 5 项：", True, [citation]), counting, texts),
                         score_answer(Answer("", "共列出 3 项：", True, [citation]), counting, texts),
                         score_answer(Answer("", "", True, [citation]), QUESTION, texts)])
    assert summary["count_accuracy"] == 0.5 and summary["counting_questions"] == 2


def test_answerability_auc_ranks_confidences_whatever_the_threshold() -> None:
    texts = {"通报.txt": DOC_TEXT}
    sure = Answer("内部审计怎么做的？", "……", True, [], confidence=0.9)
    doubtful = Answer("内部审计怎么做的？", "资料中未找到……", False, [], confidence=0.4)
    unsure = Answer("组长是谁？", "资料中未找到……", False, [], confidence=0.3)
    overconfident = Answer("组长是谁？", "……", True, [], confidence=0.95)

    apart = summarise([score_answer(a, q, texts) for a, q in ((sure, QUESTION), (doubtful, QUESTION), (unsure, UNANSWERABLE))])
    assert apart["answerability_auc"] == 1.0  # every answerable question above every unanswerable one
    mixed = summarise([score_answer(a, q, texts) for a, q in ((sure, QUESTION), (overconfident, UNANSWERABLE))])
    assert mixed["answerability_auc"] == 0.0
    assert summarise([score_answer(sure, QUESTION, texts)])["answerability_auc"] is None  # one kind only


def test_a_run_keeps_each_questions_score_beside_the_summary() -> None:
    """A saved run (``eval --out``) says which question lost what, not only the totals."""

    class Refuser:
        def answer(self, question: str, history: object = (), use_llm: bool = False) -> Answer:
            return Answer(question, "资料中未找到……", False, [], confidence=0.2)

    result = evaluate_answers(Refuser(), [QUESTION, UNANSWERABLE], {"通报.txt": DOC_TEXT})  # type: ignore[arg-type]
    assert result["answer_rate"] == 0.0 and result["refusal_accuracy"] == 1.0
    rows = {row["id"]: row for row in result["per_question"]}
    assert rows["q1"]["found"] is False and rows["q1"]["gold_covered"] == 0.0 and rows["q1"]["kind"] == "fact"
    assert rows["q2"]["confidence"] == 0.2
