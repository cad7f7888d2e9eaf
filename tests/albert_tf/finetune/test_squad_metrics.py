"""Official SQuAD v1.1 / v2.0 evaluation on hand-made predictions (values worked out by hand)."""
import pytest

from albert_tf.finetune import squad_metrics as sm


def _dataset(questions):
  """questions: list of (id, [gold texts]) → a SQuAD data list."""
  qas = [{"id": qid, "question": "?", "answers": [{"text": t, "answer_start": 0} for t in golds],
          **({"is_impossible": True} if not golds else {})} for qid, golds in questions]
  return [{"title": "t", "paragraphs": [{"context": "c", "qas": qas}]}]


def test_normalize_answer():
  assert sm.normalize_answer("The Eiffel-Tower,  in PARIS!") == "eiffeltower in paris"
  assert sm.normalize_answer("an apple a day") == "apple day"
  assert sm.normalize_answer("theater") == "theater"       # articles only as whole words


def test_v1_by_hand():
  data = _dataset([
      ("q1", ["Denver Broncos", "The Denver Broncos"]),
      ("q2", ["Santa Clara, California"]),
      ("q3", ["gold"]),
      ("q4", ["1998"]),
  ])
  predictions = {
      "q1": "the Denver Broncos.",          # EM 1, F1 1
      "q2": "Santa Clara",                   # EM 0; P = 2/2, R = 2/3 → F1 = 0.8
      "q3": "golden anniversary",            # EM 0, F1 0
      # q4 missing: counts 0 in the total, as the official script
  }
  result = sm.evaluate_v1(data, predictions)
  assert result["total"] == 4 and result["missing"] == 1
  assert result["exact_match"] == pytest.approx(100 * 1 / 4)
  assert result["f1"] == pytest.approx(100 * (1 + 0.8) / 4)


def test_f1_max_over_golds_and_token_bags():
  # gold "a b c" normalizes to "b c" (article dropped); pred "c c b": common {c:1, b:1} = 2,
  # P = 2/3, R = 2/2 → F1 = 0.8; gold "x" → 0; max = 0.8
  assert sm.f1_score_v1("c c b", "a b c") == pytest.approx(0.8)
  data = _dataset([("q", ["a b c", "x"])])
  assert sm.evaluate_v1(data, {"q": "c c b"})["f1"] == pytest.approx(80.0)


def test_v2_empty_answers_and_breakdown():
  data = _dataset([
      ("h1", ["Warsaw"]),            # answerable, predicted right
      ("h2", ["Vistula river"]),     # answerable, predicted "the Vistula" → F1 2·1·0.5/1.5
      ("n1", []),                    # unanswerable, predicted "" → 1
      ("n2", []),                    # unanswerable, predicted text → 0
  ])
  predictions = {"h1": "warsaw", "h2": "the Vistula", "n1": "", "n2": "Poland"}
  r = sm.evaluate_v2(data, predictions)
  f1_h2 = 2 * 1.0 * 0.5 / 1.5
  assert r["total"] == 4 and r["HasAns_total"] == 2 and r["NoAns_total"] == 2
  assert r["exact"] == pytest.approx(100 * 2 / 4)
  assert r["f1"] == pytest.approx(100 * (1 + f1_h2 + 1 + 0) / 4)
  assert r["HasAns_f1"] == pytest.approx(100 * (1 + f1_h2) / 2)
  assert r["NoAns_exact"] == pytest.approx(50.0)
  # v2 F1 with an empty side: 1 iff both empty; v1 F1 of empties is 0
  assert sm.f1_score_v2("", "") == 1.0 and sm.f1_score_v2("x", "") == 0.0
  assert sm.f1_score_v1("", "") == 0.0


def test_v2_gold_that_normalizes_to_empty_counts_as_no_answer():
  data = _dataset([("q", ["the", "."])])
  assert sm.evaluate_v2(data, {"q": ""})["exact"] == 100.0


def test_v2_threshold_search_by_hand():
  data = _dataset([("a1", ["x"]), ("a2", ["y"]), ("n1", []), ("n2", [])])
  predictions = {"a1": "x", "a2": "z", "n1": "w", "n2": ""}
  na_probs = {"a1": 0.1, "a2": 0.3, "n1": 0.2, "n2": 0.9}
  # Start: all "no answer" → score = #unanswerable = 2.
  # by na_prob: a1 (+1 → 3, best, thr 0.1), n1 (pred "w": −1 → 2), a2 (+0 → 2), n2 ("" → 2)
  r = sm.evaluate_v2(data, predictions, na_probs)
  assert r["best_exact"] == pytest.approx(75.0) and r["best_exact_thresh"] == 0.1
  assert r["best_f1"] == pytest.approx(75.0) and r["best_f1_thresh"] == 0.1
  # na_prob_thresh = 1.0 (default): nothing exceeds it → raw scores: a1 1, a2 0, n1 0, n2 1
  assert r["exact"] == pytest.approx(50.0)
  r2 = sm.evaluate_v2(data, predictions, na_probs, na_prob_thresh=0.15)
  # > 0.15: a2, n1, n2 → a1 1, a2 0, n1 1, n2 1 → 75
  assert r2["exact"] == pytest.approx(75.0)


def test_evaluate_dispatch():
  data = _dataset([("q", ["x"])])
  assert sm.evaluate(data, {"q": "x"}, "1.1")["exact_match"] == 100.0
  assert sm.evaluate({"data": data}, {"q": "x"}, "2.0")["exact"] == 100.0
  with pytest.raises(ValueError, match="1.1 or 2.0"):
    sm.evaluate(data, {}, "3.0")
