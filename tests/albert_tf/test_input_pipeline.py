"""Input pipeline: shapes, renames, sharding, determinism, clear errors."""
import os

import numpy as np
import pytest
import tensorflow as tf

from albert_tf import input_pipeline
from tests.albert_tf.synthetic_records import write_records

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
