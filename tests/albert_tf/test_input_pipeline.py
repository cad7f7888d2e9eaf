"""Input pipeline: shapes, renames, sharding, determinism, clear errors."""
import os

import numpy as np
import pytest
import tensorflow as tf

from albert_tf import input_pipeline
from albert_tf.errors import UserError
from tests.albert_tf.synthetic_records import make_example, write_records

T, P = 16, 4


@pytest.fixture(scope="module")
def records(tmp_path_factory):
  return write_records(str(tmp_path_factory.mktemp("rec")), num_files=3, per_file=10,
                       seq_len=T, num_preds=P)


def test_batches_have_model_names_static_shapes_int32(records):
  ds = input_pipeline.make_dataset(records, T, P, batch_size=4, is_training=True, seed=1)
  assert set(ds.element_spec) == {"input_word_ids", "input_mask", "input_type_ids",
                                  "masked_lm_positions", "masked_lm_ids",
                                  "masked_lm_weights", "sentence_order_label"}
  assert ds.element_spec["input_word_ids"].shape == (4, T)
  assert ds.element_spec["masked_lm_positions"].shape == (4, P)
  assert ds.element_spec["sentence_order_label"].shape == (4,)
  batch = next(iter(ds))
  assert batch["input_word_ids"].dtype == tf.int32
  assert batch["masked_lm_weights"].dtype == tf.float32


def test_eval_is_one_ordered_pass_with_drop_remainder(records):
  ds = input_pipeline.make_dataset(records, T, P, batch_size=4, is_training=False)
  assert len(list(ds)) == 30 // 4  # 7 full batches, remainder of 2 dropped


def test_seeded_training_order_is_reproducible(records):
  def first(seed):
    ds = input_pipeline.make_dataset(records, T, P, 4, is_training=True, seed=seed)
    return np.concatenate([b["input_word_ids"].numpy() for b in ds.take(5)])
  np.testing.assert_array_equal(first(3), first(3))
  assert not np.array_equal(first(3), first(4))


@pytest.mark.parametrize("num_files", [3, 1])  # file-level shard; record-level fallback
def test_input_context_shards_are_disjoint_and_complete(tmp_path, num_files):
  pattern = write_records(str(tmp_path), num_files=num_files, per_file=12 // num_files,
                          seq_len=T, num_preds=P)
  seen = []
  for pipe in range(2):
    ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipe,
                                     num_replicas_in_sync=2)
    ds = input_pipeline.make_dataset(pattern, T, P, 1, is_training=False, input_context=ctx)
    seen.append({tuple(b["input_word_ids"].numpy()[0]) for b in ds})
  assert not seen[0] & seen[1]
  assert len(seen[0] | seen[1]) == 12


def test_comma_list_and_empty_glob_error(records, tmp_path):
  files = input_pipeline.expand_file_patterns(records)
  assert input_pipeline.expand_file_patterns(",".join(files)) == files
  missing = os.path.join(str(tmp_path), "nothing-*.tfrecord")
  with pytest.raises(ValueError, match="nothing-\\*.tfrecord' matched no files"):
    input_pipeline.make_dataset(f"{records},{missing}", T, P, 4, is_training=True)


def test_missing_feature_names_file_and_feature(tmp_path):
  pattern = write_records(str(tmp_path), num_files=1, per_file=2, seq_len=T, num_preds=P,
                          drop=("masked_lm_weights",))
  with pytest.raises(ValueError, match=r"train-000.tfrecord: first record has no feature "
                                       r"'masked_lm_weights'"):
    input_pipeline.make_dataset(pattern, T, P, 1, is_training=True)


def test_wrong_length_names_the_flags(records):
  with pytest.raises(ValueError, match=r"'input_ids' is int64_list\[16\], expected "
                                       r"int64_list\[32\] \(max_seq_length=32"):
    input_pipeline.make_dataset(records, 32, P, 1, is_training=True)


def test_per_replica_batch_size():
  assert input_pipeline.per_replica_batch_size(4096, 8) == 512
  assert input_pipeline.per_replica_batch_size(32, 2, grad_accum_steps=4) == 4
  with pytest.raises(ValueError, match="train_batch_size=10 must be a positive multiple"):
    input_pipeline.per_replica_batch_size(10, 4)


# --- issue 13: input faults named by file, record and feature ------------------------------------
def _write(path, examples):
  with tf.io.TFRecordWriter(str(path)) as writer:
    for example in examples:
      writer.write(example.SerializeToString())
  return str(path)


def test_check_input_refuses_files_without_records_and_counts(records, tmp_path):
  empty = _write(tmp_path / "empty.tfrecord", [])
  with pytest.raises(UserError, match=r"--eval_input_file=.*empty.tfrecord: no records in the "
                                      r"1 file\(s\)"):
    input_pipeline.check_input(empty, T, P, flag="eval_input_file")
  files = input_pipeline.check_input(f"{records},{empty}", T, P, vocab_size=60)
  assert len(files) == 4  # an empty file beside others is fine
  assert input_pipeline.count_records(files, 7) == 7
  assert input_pipeline.count_records(files, 1000) == 30


@pytest.mark.parametrize("case", ["missing_feature", "wrong_length", "label_out_of_range",
                                  "segment_out_of_range", "position_out_of_range"])
def test_bad_later_record_is_traced_to_file_record_and_feature(tmp_path, case):
  """Record 5 is bad, the first is fine: the batch that holds it fails to parse or fails the
  range assertion, and explained_read_errors names the file, the record and the feature."""
  rng = np.random.default_rng(0)
  examples = [make_example(rng, T, P, 60) for _ in range(8)]
  if case == "missing_feature":
    examples[5] = make_example(rng, T, P, 60, drop=("masked_lm_weights",))
    words = ["record 5 has no feature 'masked_lm_weights'"]
  elif case == "wrong_length":
    examples[5] = make_example(rng, 2 * T, P, 60)
    words = ["feature 'input_ids' is int64_list[32], expected int64_list[16]", "record 5"]
  else:
    name, value = {"label_out_of_range": ("next_sentence_labels", 2),
                   "segment_out_of_range": ("segment_ids", 2),
                   "position_out_of_range": ("masked_lm_positions", T)}[case]
    examples[5].features.feature[name].int64_list.value[0] = value
    words = [f"record 5: {name} holds {value}"]
  path = _write(tmp_path / "bad.tfrecord", examples)
  ds = input_pipeline.make_dataset(path, T, P, 4, is_training=False, vocab_size=60,
                                    type_vocab_size=2)
  with pytest.raises(UserError) as e:
    with input_pipeline.explained_read_errors(path, T, P, vocab_size=60, type_vocab_size=2):
      list(ds)
  for word in ["bad.tfrecord"] + words:
    assert word in str(e.value), (word, str(e.value))


def test_range_assertion_runs_in_every_batch(tmp_path):
  """Without explained_read_errors the assertion itself fails the batch (on GPU an id past
  the embedding table would otherwise be read as zeros, silently)."""
  rng = np.random.default_rng(0)
  examples = [make_example(rng, T, P, 60) for _ in range(8)]
  examples[6].features.feature["masked_lm_ids"].int64_list.value[0] = 60
  ds = input_pipeline.make_dataset(_write(tmp_path / "oov.tfrecord", examples), T, P, 4,
                                    is_training=False, vocab_size=60)
  first, = list(ds.take(1))  # records 0-3: fine
  assert first["masked_lm_ids"].shape == (4, P)
  with pytest.raises(tf.errors.InvalidArgumentError, match="values out of range"):
    list(ds)


def test_a_bug_in_the_block_keeps_its_error(records):
  with pytest.raises(tf.errors.InvalidArgumentError, match="not in the input"):
    with input_pipeline.explained_read_errors(records, T, P, vocab_size=60):
      raise tf.errors.InvalidArgumentError(None, None, "not in the input")
