"""Answerability: a learned judgement over the ranked pool, whose evidence only ever counts the way it points."""

from __future__ import annotations

from assistant.retrieval import Passage
from assistant.signals.answerable import (
    ANSWERABLE_FEATURES,
    ANSWERABLE_SIGNS,
    answerable_probability,
    judge,
    question_features,
)
from assistant.signals.model import load_model
from assistant.signals.question import analyse
from assistant.signals.relevance import Scored
from assistant.workspace import Workspace
from index.chunking import Chunk


def _scored(features: dict[str, float], probability: float = 0.9) -> Scored:
    chunk = Chunk("c1", "通报.md", "通报", "report", "", "", 0, 1, "甲", None, (), 0)
    base = dict.fromkeys(("fact_asked", "fact_sentence", "cover_text", "cover_sentence", "cover_context",
                          "missing_weight", "fact_key", "fact_withheld", "dense", "members_counted",
                          "members_listed", "own_missing"), 0.0)
    return Scored(Passage(chunk, probability), base | features, probability)


def test_every_feature_has_the_direction_its_meaning_gives() -> None:
    assert set(ANSWERABLE_FEATURES) == set(ANSWERABLE_SIGNS)


def test_every_term_found_and_no_value_asked_is_its_own_evidence() -> None:
    whole = _scored({"cover_context": 1.0, "cover_text": 1.0, "dense": 0.9})
    part = _scored({"cover_context": 0.6, "cover_text": 0.6, "missing_weight": 0.4, "dense": 0.9})
    # every feature but the wording, which only a pool ranked with a wording model carries
    assert set(question_features([whole])) >= set(ANSWERABLE_FEATURES) - {"wording"}
    assert question_features([part, whole])["all_found"] == 1.0  # any top passage holding all of it
    assert question_features([part])["all_found"] == 0.0
    # a question asking a figure: every word can stand beside a figure never given
    asked = _scored({"cover_context": 1.0, "cover_text": 1.0, "fact_asked": 1.0, "dense": 0.9})
    assert question_features([asked])["all_found"] == 0.0
    model = load_model("answerable")
    assert answerable_probability([whole], model) > answerable_probability([part], model)


def test_a_value_written_where_every_term_is_found_is_its_own_evidence() -> None:
    """all_found for a question asking a value: one top passage holds every term and writes the value in a
    sentence naming the topic (对41个实体研究机构进行系统梳理 for 南开有多少个实体研究机构？)."""
    stated = _scored({"cover_context": 1.0, "cover_text": 1.0, "fact_asked": 1.0, "fact_sentence": 1.0,
                      "fact_key": 1.0, "dense": 0.9})
    elsewhere = _scored({"cover_context": 1.0, "cover_text": 1.0, "fact_asked": 1.0, "fact_sentence": 0.5,
                         "fact_key": 0.0, "dense": 0.9})  # the words all there, the value only beside another topic
    partial = _scored({"cover_context": 0.7, "cover_text": 0.7, "fact_asked": 1.0, "fact_sentence": 0.7,
                       "fact_key": 1.0, "missing_weight": 0.3, "dense": 0.9})
    assert question_features([partial, stated])["fact_found"] == 1.0
    assert question_features([elsewhere])["fact_found"] == 0.0
    assert question_features([partial])["fact_found"] == 0.0
    plain = _scored({"cover_context": 1.0, "cover_text": 1.0, "dense": 0.9})  # no value asked: all_found's case
    assert question_features([plain])["fact_found"] == 0.0
    model = load_model("answerable")
    assert answerable_probability([stated], model) > model.threshold > answerable_probability([elsewhere], model)


def test_members_counted_and_listed_nowhere_count_against_an_answer() -> None:
    """Asked which ones (分别是哪几门?), a top passage that only counts them (4门思政课上线) is evidence that the
    documents withhold which; a top passage that lists them clears it."""
    counted = _scored({"cover_context": 1.0, "cover_text": 1.0, "dense": 0.9, "members_counted": 1.0})
    listed = _scored({"cover_context": 0.8, "cover_text": 0.8, "dense": 0.9, "members_listed": 1.0})
    assert question_features([counted])["members_unsaid"] == 1.0
    assert question_features([counted, listed])["members_unsaid"] == 0.0
    model = load_model("answerable")
    plain = _scored({"cover_context": 1.0, "cover_text": 1.0, "dense": 0.9})
    assert answerable_probability([counted], model) < answerable_probability([plain], model)


def test_a_follow_up_whose_own_words_no_passage_holds_counts_against_an_answer() -> None:
    """那县属学校呢？ after a question on the 州属学校' audit: the earlier question's words are all found, the follow-up's
    own 县属 nowhere. The evidence is the least of the top passages' (one that holds the follow-up's words is enough)."""
    lacking = _scored({"cover_context": 0.6, "cover_text": 0.6, "missing_weight": 0.4, "own_missing": 0.8})
    holding = _scored({"cover_context": 0.6, "cover_text": 0.6, "missing_weight": 0.4, "own_missing": 0.0})
    assert question_features([lacking])["own_missing"] == 0.8
    assert question_features([lacking, holding])["own_missing"] == 0.0
    model = load_model("answerable")
    assert answerable_probability([lacking], model) < answerable_probability([holding], model)


def test_without_a_wording_model_the_wording_weighs_nothing_either_way() -> None:
    """With another encoder there is no wording model and no ``question_wording`` in the features: the judgement
    reads the signal at its mean, where it moves the probability neither way."""
    model = load_model("answerable")
    mean = model.mean[model.features.index("wording")]
    q = analyse("南开大学是怎样加强师德师风建设的？", lambda _t: 1.0)
    plain = _scored({"cover_context": 0.8, "cover_text": 0.8, "dense": 0.9})
    worded = _scored({"cover_context": 0.8, "cover_text": 0.8, "dense": 0.9, "question_wording": mean + 2.0})
    assert judge(q, [plain]).probability == model.probability(question_features([plain]) | {"wording": mean})
    assert judge(q, [worded]).probability > judge(q, [plain]).probability


def test_the_wording_weighs_nothing_once_a_passage_holds_every_term() -> None:
    """The wording is a prior from the question alone (每周哪一天 is mostly asked where the documents are silent):
    when a top passage holds all the question asks, the evidence decides."""
    q = analyse("南开大学是怎样加强师德师风建设的？", lambda _t: 1.0)
    doubted = _scored({"cover_context": 1.0, "cover_text": 1.0, "dense": 0.9, "question_wording": -3.0})
    trusted = _scored({"cover_context": 1.0, "cover_text": 1.0, "dense": 0.9, "question_wording": 3.0})
    assert question_features([doubted])["wording"] == question_features([trusted])["wording"] == 0.0
    assert judge(q, [doubted]).probability == judge(q, [trusted]).probability
    partial = _scored({"cover_context": 0.8, "cover_text": 0.8, "dense": 0.9, "question_wording": -3.0})
    assert question_features([partial])["wording"] == -3.0


def test_the_issues_own_questions_are_answered_or_refused_as_the_documents_allow(corpus_workspace: Workspace) -> None:
    answerer = corpus_workspace.answerer
    finance = answerer.answer("哪些整改措施涉及财务管理？")
    assert finance.found, finance.text
    assert any("财务管理制度" in c.quote for c in finance.citations)
    # the report speaks of 财政 and of 预算 but never gives the bureau's budget: refused, nothing cited
    budget = answerer.answer("教育局2023年的财政预算总额是多少？")
    assert not budget.found and not budget.citations
    assert budget.text.startswith("资料中未找到")

