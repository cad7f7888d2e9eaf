"""Turning head outputs into answer texts: n-best span decoding for SQuAD v1.1 and v2.0.

A candidate (start, end) token pair is valid when both tokens are document pieces of the
feature, end ≥ start, end − start + 1 ≤ max_answer_length (in pieces) and the feature is the
start token's "max context" span. Its text is the context substring covered by the pieces.

  v1.1  (official BERT/ALBERT write_predictions) score = start_logit + end_logit over the
        n_best_size best starts × ends of every feature; the best distinct text wins
        ("" if nothing is valid).
  v2.0  (official ALBERT v2 / XLNet) score = start_log_prob + end_log_prob over the
        start_n_top × end_n_top beam; null score = the smallest cls_logit over the
        example's features (higher = more likely unanswerable), written to null_odds.json;
        the prediction is "" when the null score > null_score_threshold.
"""
import collections

import numpy as np


def _softmax(scores):
  if not scores:
    return []
  x = np.asarray(scores, np.float64)
  e = np.exp(x - x.max())
  return list(e / e.sum())


def _valid(meta, start, end, max_answer_length):
  n = len(meta.token_to_piece)
  if start >= n or end >= n:
    return False
  if meta.token_to_piece[start] is None or meta.token_to_piece[end] is None:
    return False
  if end < start or end - start + 1 > max_answer_length:
    return False
  return bool(meta.token_is_max_context[start])


def _nbest(candidates, contexts, examples, metas, n_best_size):
  """Distinct-text n-best list of (score, text) from (score, feature, start, end) tuples."""
  out, seen = [], set()
  for score, f, start, end in sorted(candidates, key=lambda c: -c[0]):
    meta = metas[f]
    ex = meta.example_index
    first, last = meta.token_to_piece[start], meta.token_to_piece[end]
    text = contexts[ex].text(examples[ex].context_text, first, last)
    if text in seen:
      continue
    seen.add(text)
    out.append({"text": text, "score": float(score)})
    if len(out) >= n_best_size:
      break
  for entry, p in zip(out, _softmax([e["score"] for e in out])):
    entry["probability"] = float(p)
  return out


def _by_example(metas):
  grouped = collections.defaultdict(list)
  for f, meta in enumerate(metas):
    grouped[meta.example_index].append(f)
  return grouped


def decode_v1(examples, metas, contexts, outputs, n_best_size=20, max_answer_length=30):
  """(predictions {id: text}, nbest {id: [...]}) from start/end logits [F,T]."""
  predictions, nbest = {}, {}
  grouped = _by_example(metas)
  for ex_index, example in enumerate(examples):
    candidates = []
    for f in grouped.get(ex_index, []):
      start_logits, end_logits = outputs["start_logits"][f], outputs["end_logits"][f]
      starts = np.argsort(-start_logits)[:n_best_size]
      ends = np.argsort(-end_logits)[:n_best_size]
      for s in starts:
        for e in ends:
          if _valid(metas[f], s, e, max_answer_length):
            candidates.append((start_logits[s] + end_logits[e], f, s, e))
    entries = _nbest(candidates, contexts, examples, metas, n_best_size)
    nbest[example.qas_id] = entries
    predictions[example.qas_id] = entries[0]["text"] if entries else ""
  return predictions, nbest


def decode_v2(examples, metas, contexts, outputs, n_best_size=20, max_answer_length=30,
              null_score_threshold=0.0):
  """(predictions, non-null predictions, null_odds, nbest) from the v2 beam outputs."""
  predictions, non_null, null_odds, nbest = {}, {}, {}, {}
  grouped = _by_example(metas)
  for ex_index, example in enumerate(examples):
    candidates, null_score = [], None
    for f in grouped.get(ex_index, []):
      cls_logit = float(outputs["cls_logits"][f])
      null_score = cls_logit if null_score is None else min(null_score, cls_logit)
      start_lp, start_idx = outputs["start_top_log_probs"][f], outputs["start_top_index"][f]
      end_lp, end_idx = outputs["end_top_log_probs"][f], outputs["end_top_index"][f]
      for i in range(start_idx.shape[0]):
        for j in range(end_idx.shape[1]):
          s, e = int(start_idx[i]), int(end_idx[i, j])
          if _valid(metas[f], s, e, max_answer_length):
            candidates.append((start_lp[i] + end_lp[i, j], f, s, e))
    entries = _nbest(candidates, contexts, examples, metas, n_best_size)
    qid = example.qas_id
    nbest[qid] = entries
    null_odds[qid] = float(null_score) if null_score is not None else 0.0
    non_null[qid] = entries[0]["text"] if entries else ""
    predictions[qid] = "" if null_odds[qid] > null_score_threshold else non_null[qid]
  return predictions, non_null, null_odds, nbest
