"""The official SQuAD evaluation: v1.1 (`evaluate-v1.1.py`) and v2.0 (`evaluate-v2.0.py`) semantics.

Written from the definitions of the two official scripts:
  normalize_answer  lowercase → drop punctuation (string.punctuation) → drop the articles
                    a/an/the (whole words) → collapse whitespace
  exact             normalize(pred) == normalize(gold)
  f1                token F1 between the normalized token bags (Counter intersection);
                    v2.0 only: if either side has no tokens, F1 = (both empty)
  per question      the max over the gold answers
  v1.1              gold answers as given; a question without a prediction scores 0 and is
                    counted in the total; scores ×100
  v2.0              gold answers = those that normalize to non-empty text, else [""]
                    (unanswerable); a prediction is taken as "no answer" when its
                    na_prob > na_prob_thresh (default 1.0: then it scores 1 iff the question
                    is unanswerable); HasAns_/NoAns_ breakdowns; best_exact/best_f1 from the
                    threshold search over the sorted na_probs (find_best_thresh)

Example:
    >>> normalize_answer("The  Denver Broncos!")
    'denver broncos'
    >>> round(f1_score_v1("Denver Broncos", "the Broncos"), 4)
    0.6667
"""
import collections
import re
import string

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(text):
  text = text.lower()
  text = "".join(ch for ch in text if ch not in _PUNCTUATION)
  text = _ARTICLES.sub(" ", text)
  return " ".join(text.split())


def _tokens(text):
  return normalize_answer(text).split() if text else []


def exact_match_score(prediction, ground_truth):
  return normalize_answer(prediction) == normalize_answer(ground_truth)


def _token_f1(prediction_tokens, gold_tokens):
  common = collections.Counter(prediction_tokens) & collections.Counter(gold_tokens)
  num_same = sum(common.values())
  if num_same == 0:
    return 0.0
  precision = num_same / len(prediction_tokens)
  recall = num_same / len(gold_tokens)
  return 2 * precision * recall / (precision + recall)


def f1_score_v1(prediction, ground_truth):
  """v1.1 F1 (no special case for empty answers: empty → 0)."""
  return _token_f1(normalize_answer(prediction).split(), normalize_answer(ground_truth).split())


def f1_score_v2(prediction, ground_truth):
  """v2.0 F1: when either side is empty, 1 if both are, else 0."""
  pred_tokens, gold_tokens = _tokens(prediction), _tokens(ground_truth)
  if not pred_tokens or not gold_tokens:
    return float(pred_tokens == gold_tokens)
  return _token_f1(pred_tokens, gold_tokens)


def questions(dataset):
  """Yields every qa dict of a SQuAD `data` list (or a full {"data": ...} dict)."""
  if isinstance(dataset, dict):
    dataset = dataset["data"]
  for article in dataset:
    for paragraph in article["paragraphs"]:
      yield from paragraph["qas"]


def evaluate_v1(dataset, predictions):
  """Official v1.1 scores: {"exact_match", "f1", "total", "missing"} (×100)."""
  exact = f1 = 0.0
  total = missing = 0
  for qa in questions(dataset):
    total += 1
    if qa["id"] not in predictions:
      missing += 1  # the official script prints "Unanswered question ... will receive score 0"
      continue
    golds = [a["text"] for a in qa["answers"]]
    prediction = predictions[qa["id"]]
    exact += max(float(exact_match_score(prediction, g)) for g in golds)
    f1 += max(f1_score_v1(prediction, g) for g in golds)
  scale = 100.0 / total if total else 0.0
  return {"exact_match": exact * scale, "f1": f1 * scale, "total": total, "missing": missing}


def _raw_scores_v2(dataset, predictions):
  exact, f1, has_answer, missing = {}, {}, {}, 0
  for qa in questions(dataset):
    qid = qa["id"]
    golds = [a["text"] for a in qa["answers"] if normalize_answer(a["text"])]
    has_answer[qid] = bool(golds)
    if not golds:
      golds = [""]
    if qid not in predictions:
      missing += 1
      continue
    prediction = predictions[qid]
    exact[qid] = max(float(normalize_answer(prediction) == normalize_answer(g)) for g in golds)
    f1[qid] = max(f1_score_v2(prediction, g) for g in golds)
  return exact, f1, has_answer, missing


def _apply_threshold(scores, na_probs, has_answer, threshold):
  return {qid: (float(not has_answer[qid]) if na_probs[qid] > threshold else s)
          for qid, s in scores.items()}


def _mean(scores, qids):
  return 100.0 * sum(scores[q] for q in qids) / len(qids) if qids else 0.0


def find_best_threshold(predictions, scores, na_probs, has_answer):
  """Official find_best_thresh: (best score ×100, threshold) over na_prob cut points.

  Start with every question answered "no answer" (score = #unanswerable); walk the
  questions by increasing na_prob, switching each to its prediction: +score for an
  answerable one, −1 for an unanswerable one with a non-empty prediction.
  """
  current = best = float(sum(1 for q in scores if not has_answer[q]))
  best_threshold = 0.0
  for qid in sorted(na_probs, key=lambda q: na_probs[q]):
    if qid not in scores:
      continue
    if has_answer[qid]:
      delta = scores[qid]
    else:
      delta = -1.0 if predictions[qid] else 0.0
    current += delta
    if current > best:
      best, best_threshold = current, na_probs[qid]
  return 100.0 * best / len(scores) if scores else 0.0, best_threshold


def evaluate_v2(dataset, predictions, na_probs=None, na_prob_thresh=1.0):
  """Official v2.0 scores (×100): exact, f1, total, HasAns_*, NoAns_*, best_* (with na_probs)."""
  exact_raw, f1_raw, has_answer, missing = _raw_scores_v2(dataset, predictions)
  with_probs = na_probs is not None
  if na_probs is None:
    na_probs = {qid: 0.0 for qid in predictions}
  na_probs = {qid: float(na_probs.get(qid, 0.0)) for qid in exact_raw}
  exact = _apply_threshold(exact_raw, na_probs, has_answer, na_prob_thresh)
  f1 = _apply_threshold(f1_raw, na_probs, has_answer, na_prob_thresh)
  qids = list(exact)
  has_qids = [q for q in qids if has_answer[q]]
  no_qids = [q for q in qids if not has_answer[q]]
  out = collections.OrderedDict(
      exact=_mean(exact, qids), f1=_mean(f1, qids), total=len(qids), missing=missing)
  if has_qids:
    out.update(HasAns_exact=_mean(exact, has_qids), HasAns_f1=_mean(f1, has_qids),
               HasAns_total=len(has_qids))
  if no_qids:
    out.update(NoAns_exact=_mean(exact, no_qids), NoAns_f1=_mean(f1, no_qids),
               NoAns_total=len(no_qids))
  if with_probs:
    preds = {q: predictions[q] for q in qids}
    out["best_exact"], out["best_exact_thresh"] = find_best_threshold(
        preds, exact_raw, na_probs, has_answer)
    out["best_f1"], out["best_f1_thresh"] = find_best_threshold(
        preds, f1_raw, na_probs, has_answer)
  return dict(out)


def evaluate(dataset, predictions, version="1.1", na_probs=None):
  if str(version) == "1.1":
    return evaluate_v1(dataset, predictions)
  if str(version) == "2.0":
    return evaluate_v2(dataset, predictions, na_probs)
  raise ValueError(f"version={version!r} is unknown; choose 1.1 or 2.0")
