"""BERT-style packing with round-robin truncation, written with core TF ops only.

Why not TF Text's `RoundRobinTrimmer` / tf-models' `BertPackInputs`: they emit the op
`TFText>RoundRobinTrim`, which is not in the stock tensorflow_model_server's TF Text
regression list and is the op reported missing in tensorflow/serving#2267
(docs/serving_reference.md C9). The same allocation is computed here from segment lengths.

Round robin gives one token at a time to each segment in turn (segment 0 first) until
the budget is used or every segment is exhausted. Closed form per example: with
lengths l_i and budget m, the largest level L with Σ min(l_i, L) ≤ m keeps min(l_i, L)
tokens of each segment, and the r = m − Σ min(l_i, L) left-over tokens go one each to
the first r segments still longer than L.

Packing (docs/albert_reference.md §6.3): `[CLS] a [SEP] (b [SEP])`; input_type_ids 0 for [CLS],
a and its [SEP], 1 for b and its [SEP]; padding id and type 0 after; mask 1 on tokens.

Shape legend: B batch, S segments, N pieces (ragged), T seq_length.

Example:
    >>> a = tf.ragged.constant([[5, 6, 7, 8], [9]])
    >>> b = tf.ragged.constant([[10, 11, 12], [13, 14, 15, 16]])
    >>> round_robin_lengths([a, b], 4).numpy().tolist()
    [[2, 2], [1, 3]]
    >>> out = bert_pack_inputs([a, b], seq_length=7, cls_id=2, sep_id=3, pad_id=0)
    >>> out["input_word_ids"].numpy().tolist()
    [[2, 5, 6, 3, 10, 11, 3], [2, 9, 3, 13, 14, 15, 3]]
    >>> out["input_type_ids"].numpy().tolist()
    [[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1]]
"""
import tensorflow as tf


def round_robin_lengths(segments, max_total):
  """Lengths [B,S] that round-robin truncation keeps of `segments` (ragged [B,(N)] each)."""
  lengths = tf.stack([tf.cast(s.row_lengths(), tf.int32) for s in segments], axis=1)  # [B,S]
  budget = tf.maximum(tf.cast(max_total, tf.int32), 0)
  levels = tf.range(budget + 1)                                          # [L+1]
  kept = tf.minimum(lengths[:, :, None], levels[None, None, :])          # [B,S,L+1]
  totals = tf.reduce_sum(kept, axis=1)                                   # [B,L+1]
  level = tf.reduce_sum(tf.cast(totals <= budget, tf.int32), axis=1) - 1  # [B] (≥0)
  base = tf.minimum(lengths, level[:, None])                             # [B,S]
  left_over = budget - tf.reduce_sum(base, axis=1)                       # [B]
  longer = tf.cast(lengths > level[:, None], tf.int32)                   # [B,S]
  extra = longer * tf.cast(tf.cumsum(longer, axis=1) <= left_over[:, None], tf.int32)
  return base + extra


def round_robin_trim(segments, max_total):
  """Truncates ragged segments so their total per example is ≤ max_total (round robin)."""
  keep = round_robin_lengths(segments, max_total)
  trimmed = []
  for i, segment in enumerate(segments):
    mask = tf.ragged.range(segment.row_lengths()) < tf.cast(keep[:, i], tf.int64)[:, None]
    trimmed.append(tf.ragged.boolean_mask(segment, mask))
  return trimmed


def bert_pack_inputs(segments, seq_length, cls_id, sep_id, pad_id):
  """List of 1–2 int32 RaggedTensors [B,(N)] → dict of int32 [B,T] encoder inputs."""
  if not 1 <= len(segments) <= 2:
    raise ValueError(f"bert_pack_inputs takes 1 or 2 segments, got {len(segments)}")
  segments = [tf.cast(s, tf.int32) for s in segments]
  seq_length = tf.cast(seq_length, tf.int32)
  trimmed = round_robin_trim(segments, seq_length - (len(segments) + 1))
  batch = trimmed[0].nrows()
  one = tf.ones([batch, 1], tf.int32)
  pieces, types = [one * cls_id], [one * 0]
  for type_id, segment in enumerate(trimmed):
    pieces += [segment, one * sep_id]
    types += [tf.ones_like(segment) * type_id, one * type_id]
  word_ids = tf.concat(pieces, axis=1)
  type_ids = tf.concat(types, axis=1)
  shape = tf.stack([tf.cast(batch, tf.int32), seq_length])
  return {
      "input_word_ids": word_ids.to_tensor(default_value=pad_id, shape=shape),
      "input_mask": tf.ones_like(word_ids).to_tensor(default_value=0, shape=shape),
      "input_type_ids": type_ids.to_tensor(default_value=0, shape=shape),
  }
