"""Round-robin truncation with core ops == TF Text's RoundRobinTrimmer; BERT packing layout."""
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_text as tf_text

from export import packing


def _ragged(lengths, start=10):
  if len(lengths) == 0:
    return tf.RaggedTensor.from_row_lengths(tf.zeros([0], tf.int32), tf.zeros([0], tf.int64))
  return tf.ragged.constant([[start + j for j in range(n)] for n in lengths], dtype=tf.int32)


@pytest.mark.parametrize("num_segments", [1, 2, 3])
def test_round_robin_matches_tf_text(num_segments):
  rng = np.random.default_rng(num_segments)
  lengths = rng.integers(0, 12, size=(64, num_segments))
  segments = [_ragged(lengths[:, i], start=100 * i) for i in range(num_segments)]
  for budget in (0, 1, 5, 9, 40):
    ours = packing.round_robin_trim(segments, budget)
    reference = tf_text.RoundRobinTrimmer(max_seq_length=budget).trim(segments)
    for a, b in zip(ours, reference):
      assert a.to_list() == b.to_list(), budget


def test_pack_two_segments_layout():
  a, b = _ragged([5, 1]), _ragged([2, 9], start=50)
  out = packing.bert_pack_inputs([a, b], seq_length=8, cls_id=2, sep_id=3, pad_id=0)
  assert out["input_word_ids"].numpy().tolist() == [
      [2, 10, 11, 12, 3, 50, 51, 3], [2, 10, 3, 50, 51, 52, 53, 3]]
  assert out["input_type_ids"].numpy().tolist() == [[0] * 5 + [1] * 3, [0] * 3 + [1] * 5]
  assert out["input_mask"].numpy().tolist() == [[1] * 8, [1] * 8]


def test_pack_pads_and_handles_empty_batch():
  out = packing.bert_pack_inputs([_ragged([1, 0])], seq_length=5, cls_id=2, sep_id=3, pad_id=0)
  assert out["input_word_ids"].numpy().tolist() == [[2, 10, 3, 0, 0], [2, 3, 0, 0, 0]]
  assert out["input_mask"].numpy().tolist() == [[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]]
  empty = packing.bert_pack_inputs([_ragged([])], seq_length=5, cls_id=2, sep_id=3, pad_id=0)
  assert all(v.shape == (0, 5) and v.dtype == tf.int32 for v in empty.values())


def test_pack_rejects_three_segments():
  with pytest.raises(ValueError, match="1 or 2 segments"):
    packing.bert_pack_inputs([_ragged([1])] * 3, 8, 2, 3, 0)


def test_exported_preprocessor(preprocessor_dir):
  loaded = tf.saved_model.load(preprocessor_dir[0])
  long_text = " ".join(["word"] * 500)  # 500 pieces: truncated to 126 + [CLS] + [SEP]
  out = loaded(tf.constant(["hello world", long_text]))
  assert {k: (v.shape, v.dtype) for k, v in out.items()} == {
      k: ((2, 128), tf.int32) for k in ("input_word_ids", "input_mask", "input_type_ids")}
  ids = out["input_word_ids"].numpy()
  assert ids[1, 0] == 2 and ids[1, -1] == 3 and out["input_mask"].numpy()[1].sum() == 128
  segments = [loaded.tokenize(tf.constant(["a b c d e f g"])),
              loaded.tokenize(tf.constant(["x y z"]))]
  packed = loaded.bert_pack_inputs(segments, seq_length=9)
  assert packed["input_word_ids"].shape == (1, 9)
  assert packed["input_type_ids"].numpy().tolist() == [[0, 0, 0, 0, 0, 1, 1, 1, 1]]
  single = loaded.bert_pack_inputs(segments[:1], seq_length=tf.constant(64))
  assert single["input_word_ids"].shape == (1, 64)
  empty = loaded(tf.constant([], tf.string))
  assert empty["input_word_ids"].shape == (0, 128)
