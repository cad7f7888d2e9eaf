"""Our hand-rolled Example encoder == protobuf's deterministic serialization."""
import random

import pytest
import tensorflow as tf

from albert_tf import features
from data_prep import example_codec


def _reference_bytes(ids, len_a2, boundary, positions, labels, label, t, p):
  n, k = len(ids), len(positions)
  pad = lambda values, size, fill=0: list(values) + [fill] * (size - len(values))  # noqa: E731
  int_feature = lambda v: tf.train.Feature(int64_list=tf.train.Int64List(value=v))  # noqa: E731
  feats = {
      "input_ids": int_feature(pad(ids, t)),
      "input_mask": int_feature(pad([1] * n, t)),
      "segment_ids": int_feature(pad([0] * len_a2 + [1] * (n - len_a2), t)),
      "token_boundary": int_feature(pad(list(boundary), t)),
      "masked_lm_positions": int_feature(pad(positions, p)),
      "masked_lm_ids": int_feature(pad(labels, p)),
      "masked_lm_weights": tf.train.Feature(
          float_list=tf.train.FloatList(value=pad([1.0] * k, p, 0.0))),
      "next_sentence_labels": int_feature([label]),
  }
  assert set(feats) == set(features.ALL_FEATURES)
  example = tf.train.Example(features=tf.train.Features(feature=feats))
  return example.SerializeToString(deterministic=True)


@pytest.mark.parametrize("t,p", [(8, 2), (128, 20), (512, 20), (512, 80)])
def test_encoder_bytes_equal_protobuf_deterministic(t, p):
  rng = random.Random(t * 1000 + p)
  enc = example_codec.ExampleEncoder(t, p)
  for _ in range(30):
    n = rng.randint(5, t)
    ids = [rng.randint(0, 200000) for _ in range(n)]  # beyond the varint table too
    len_a2 = rng.randint(3, n - 2)
    boundary = bytes(rng.randint(0, 1) for _ in range(n))
    k = rng.randint(0, min(p, n))
    positions = sorted(rng.sample(range(n), k))
    labels = [rng.randint(0, 30000) for _ in range(k)]
    label = rng.randint(0, 1)
    ours = enc.encode(ids, len_a2, boundary, positions, labels, label)
    assert ours == _reference_bytes(ids, len_a2, boundary, positions, labels, label, t, p)


def test_decoder_roundtrips_protobuf_bytes():
  data = _reference_bytes([2, 70, 3, 80, 3], 3, b"\x01\x01\x01\x00\x01", [1], [70], 1, 8, 3)
  decoded = example_codec.decode_example(data)
  parsed = tf.train.Example.FromString(data)
  for name, feature in parsed.features.feature.items():
    expected = list(feature.int64_list.value) or list(feature.float_list.value)
    assert decoded[name] == pytest.approx(expected)


def test_varint():
  assert example_codec.varint(0) == b"\x00"
  assert example_codec.varint(127) == b"\x7f"
  assert example_codec.varint(128) == b"\x80\x01"
  assert example_codec.varint(300) == b"\xac\x02"
