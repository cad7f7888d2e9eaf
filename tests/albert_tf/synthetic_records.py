"""Writes small synthetic pretraining TFRecords in the features.py schema (test helper)."""
import os

import numpy as np
import tensorflow as tf

from albert_tf import features


def make_example(rng, seq_len, num_preds, vocab_size, drop=()):
  length = int(rng.integers(seq_len // 2, seq_len + 1))
  ids = np.zeros(seq_len, np.int64)
  ids[:length] = rng.integers(5, vocab_size, size=length)
  mask = (np.arange(seq_len) < length).astype(np.int64)
  segs = ((np.arange(seq_len) >= length // 2) & (mask == 1)).astype(np.int64)
  n = int(rng.integers(1, num_preds + 1))
  positions = np.zeros(num_preds, np.int64)
  positions[:n] = np.sort(rng.choice(np.arange(1, length), size=n, replace=False))
  labels = np.zeros(num_preds, np.int64)
  labels[:n] = ids[positions[:n]]
  ids[positions[:n]] = 4  # [MASK] in the 30k vocab
  weights = np.zeros(num_preds, np.float32)
  weights[:n] = 1.0
  values = {"input_ids": ids, "input_mask": mask, "segment_ids": segs,
            "token_boundary": mask, "masked_lm_positions": positions, "masked_lm_ids": labels,
            "masked_lm_weights": weights, "next_sentence_labels": [int(rng.integers(0, 2))]}
  feats = {}
  for name, value in values.items():
    if name in drop:
      continue
    if name in features.PRED_FLOAT_FEATURES:
      feats[name] = tf.train.Feature(float_list=tf.train.FloatList(value=list(value)))
    else:
      feats[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=list(value)))
  return tf.train.Example(features=tf.train.Features(feature=feats))


def write_records(out_dir, num_files=2, per_file=32, seq_len=16, num_preds=4, vocab_size=60,
                  seed=0, prefix="train", drop=()):
  """Writes `num_files` files of `per_file` examples; returns the glob pattern."""
  os.makedirs(out_dir, exist_ok=True)
  rng = np.random.default_rng(seed)
  for i in range(num_files):
    path = os.path.join(out_dir, f"{prefix}-{i:03d}.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
      for _ in range(per_file):
        w.write(make_example(rng, seq_len, num_preds, vocab_size, drop).SerializeToString())
  return os.path.join(out_dir, f"{prefix}-*.tfrecord")
