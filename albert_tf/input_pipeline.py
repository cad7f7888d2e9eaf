"""Pretraining input pipeline: TFRecords (features.py schema) → batches of model inputs.

  files (globs / comma lists, sorted) → file-level shard per InputContext
  → [train: shuffle files, repeat] → interleave (cycle ≤ 4) → [train: shuffle 100]
  → batch(per-replica batch, drop_remainder=True) → parse_example → int64→int32, rename
  → prefetch

`DataFeed` hands the trainer one step's batch per replica and makes its position part of the
checkpoint where TF allows it (exact resume).

Batch semantics: `train_batch_size` is the GLOBAL batch (all replicas, all workers, one
optimizer step). Each replica gets global // num_replicas examples per step, each micro-step
of gradient accumulation global // (num_replicas · grad_accum_steps).

Output keys are the model names of features.MODEL_INPUT_NAMES (input_word_ids, input_mask,
input_type_ids, masked_lm_positions, masked_lm_ids, masked_lm_weights,
sentence_order_label [B]); every tensor has a static shape.

Input errors are found at start-up where that is cheap, and explained where it is not (each
message names the flag, the file and the record, and says what to do):
  - check_input (start-up): a pattern that matches nothing, input whose files hold no records
    (training would wait forever for a first batch), and the first record of every file:
    missing features, wrong lengths (another max_seq_length), ids outside the model's vocab;
  - every batch (make_dataset with vocab_size): ids outside [0, vocab_size), segment ids
    outside [0, type_vocab_size), masked positions outside [0, max_seq_length) and labels
    outside {0, 1} fail an assertion (on GPU a gather out of range returns zeros silently);
  - explained_read_errors: a read error of a later record (corrupt or truncated file, wrong
    schema, failed assertion) comes from TensorFlow without a file name; the files are then
    scanned (locate_bad_record) to name the file, the record and what is wrong with it.

Example:
    >>> files = expand_file_patterns("no/such/dir/*.tfrecord")
    Traceback (most recent call last):
    ...
    albert_tf.errors.UserError: --input_file: pattern 'no/such/dir/*.tfrecord' matched no files: ...
"""
import contextlib
import re
import time

import tensorflow as tf

from albert_tf import features
from albert_tf.errors import UserError

SHUFFLE_BUFFER = 100  # official input_fn
MAX_CYCLE_LENGTH = 4  # official input_fn (parallel interleave, cycle ≤ 4)
REQUIRED_FEATURES = tuple(features.MODEL_INPUT_NAMES)  # token_boundary is not needed
# locate_bad_record gives up after this long (a large corpus on GCS could take hours to scan);
# the error then names the input pattern and TensorFlow's message instead of the record.
SCAN_BUDGET_S = 120.0


def expand_file_patterns(patterns, flag="input_file"):
  """Comma-separated / list of globs → sorted unique file list; error names an empty pattern."""
  if isinstance(patterns, str):
    patterns = [patterns]
  files = []
  for pattern in (p.strip() for item in patterns for p in item.split(",")):
    if not pattern:
      continue
    matched = tf.io.gfile.glob(pattern)
    if not matched:
      raise UserError(f"--{flag}: pattern {pattern!r} matched no files: check the path and "
                      f"the glob")
    files.extend(matched)
  if not files:
    raise UserError(f"--{flag}={','.join(patterns)!r} names no files: give TFRecord files "
                    f"(globs and/or a comma-separated list)")
  return sorted(set(files))


def _value_ranges(max_seq_length, vocab_size, type_vocab_size):
  """{record feature: (low, high)}: the values the model can take (high exclusive)."""
  ranges = {"masked_lm_positions": (0, max_seq_length), features.LABEL_FEATURE: (0, 2)}
  if vocab_size:
    ranges.update(input_ids=(0, vocab_size), masked_lm_ids=(0, vocab_size))
  if type_vocab_size:
    ranges["segment_ids"] = (0, type_vocab_size)
  return ranges


def _range_hint(name, vocab_size, type_vocab_size):
  if name in ("input_ids", "masked_lm_ids"):
    return (f"outside the model's vocab_size={vocab_size}: the records were written with "
            f"another vocabulary than the model's; regenerate them with the model's "
            f"SentencePiece model or set vocab_size in the model config to the vocabulary's")
  if name == "segment_ids":
    return (f"outside the model's type_vocab_size={type_vocab_size}: regenerate the records "
            f"or fix type_vocab_size in the model config")
  return "out of range: the records are not data_prep's pretraining records; regenerate them"


def check_record(raw, path, index, max_seq_length, max_predictions_per_seq, vocab_size=None,
                 type_vocab_size=None):
  """Raises UserError naming `path`, the record and the feature if `raw` is not a valid record.

  Valid: every feature the model reads, with the right kind and length (records written with
  another max_seq_length / max_predictions_per_seq, or by a different script, are not) and
  values in range (_value_ranges: ids inside the model's vocab, ...).
  """
  which = "first record" if index == 0 else f"record {index}"
  try:
    example = tf.train.Example.FromString(raw)
  except Exception as e:  # noqa: BLE001 -- protobuf's DecodeError; any failure = not an Example
    raise UserError(f"{path}: {which} is not a tf.train.Example ({type(e).__name__}): "
                    f"give pretraining TFRecords written by data_prep") from None
  feats = example.features.feature
  lengths = features.feature_lengths(max_seq_length, max_predictions_per_seq)
  ranges = _value_ranges(max_seq_length, vocab_size, type_vocab_size)
  for name in REQUIRED_FEATURES:
    want_kind = "float_list" if name in features.PRED_FLOAT_FEATURES else "int64_list"
    if name not in feats:
      raise UserError(f"{path}: {which} has no feature {name!r} (has: "
                      f"{', '.join(sorted(feats)) or 'none'}): give pretraining TFRecords "
                      f"written by data_prep")
    kind = feats[name].WhichOneof("kind")
    values = getattr(feats[name], kind).value if kind else []
    if kind != want_kind or len(values) != lengths[name]:
      raise UserError(
          f"{path}: feature {name!r} is {kind}[{len(values)}], expected "
          f"{want_kind}[{lengths[name]}] (max_seq_length={max_seq_length}, "
          f"max_predictions_per_seq={max_predictions_per_seq}) in {which}: give the lengths "
          f"the records were written with, or regenerate them")
    if name in ranges:
      low, high = ranges[name]
      bad = [int(v) for v in values if not low <= v < high]
      if bad:
        raise UserError(f"{path}: {which}: {name} holds {bad[0]}, "
                        f"{_range_hint(name, vocab_size, type_vocab_size)}")


def validate_first_record(path, max_seq_length, max_predictions_per_seq, vocab_size=None,
                          type_vocab_size=None):
  """Checks the first record of `path` (check_record); returns False when it has no records.

  Catches the common mistakes up front, with the file and feature named: records written with
  another max_seq_length / max_predictions_per_seq, by a different script (BERT's
  `next_sentence_labels`-less or v2-named records), or with another vocabulary.
  """
  try:
    for raw in tf.data.TFRecordDataset(path).take(1):
      check_record(raw.numpy(), path, 0, max_seq_length, max_predictions_per_seq, vocab_size,
                   type_vocab_size)
      return True
  except tf.errors.DataLossError as e:
    raise _corrupt(path, e) from None
  return False


def _corrupt(path, error):
  """UserError for a DataLossError reading `path` ("corrupted record at 313" → offset 313)."""
  found = re.search(r"(corrupted|truncated) record at (\d+)", error.message or "")
  what = f"{found.group(1)} record at byte offset {found.group(2)}" if found else (
      (error.message or "data loss").strip().splitlines()[0])
  return UserError(f"{path}: not a readable TFRecord file ({what}): the file is corrupt or "
                   f"was cut short; regenerate it (or remove it from the input)")


def check_input(input_file, max_seq_length, max_predictions_per_seq, vocab_size=None,
                type_vocab_size=None, flag="input_file"):
  """Start-up check of `input_file` (see the module docstring); returns its sorted files.

  Raises UserError when a pattern matches nothing, when no file holds a record (an input
  without records would leave training waiting forever), or when a first record is invalid.
  """
  files = expand_file_patterns(input_file, flag)
  nonempty = [path for path in files if validate_first_record(
      path, max_seq_length, max_predictions_per_seq, vocab_size, type_vocab_size)]
  if not nonempty:
    listed = ", ".join(files[:3]) + (f", ... ({len(files)} files)" if len(files) > 3 else "")
    raise UserError(f"--{flag}={input_file}: no records in the {len(files)} file(s) it "
                    f"matches ({listed}): check that data_prep finished writing them, or "
                    f"give other files")
  return files


def count_records(files, limit):
  """Records in `files`, counting no further than `limit`."""
  count = 0
  for path in files:
    for _ in tf.data.TFRecordDataset(path).take(limit - count):
      count += 1
    if count >= limit:
      break
  return count


def locate_bad_record(files, max_seq_length, max_predictions_per_seq, vocab_size=None,
                      type_vocab_size=None, budget_s=SCAN_BUDGET_S):
  """The UserError for the first corrupt or invalid record of `files`, else None.

  Reads every record (check_record) until `budget_s` seconds have passed; used after a read
  error whose TensorFlow message does not say which file it came from.
  """
  deadline = time.monotonic() + budget_s
  for path in files:
    index = 0
    try:
      for chunk in tf.data.TFRecordDataset(path).batch(256):
        for raw in chunk.numpy():
          check_record(raw, path, index, max_seq_length, max_predictions_per_seq, vocab_size,
                       type_vocab_size)
          index += 1
        if time.monotonic() > deadline:
          return None
    except tf.errors.DataLossError as e:
      return _corrupt(path, e)
    except UserError as e:
      return e
  return None


@contextlib.contextmanager
def explained_read_errors(input_file, max_seq_length, max_predictions_per_seq, vocab_size=None,
                          type_vocab_size=None, flag="input_file"):
  """Turns a read error raised inside the block into a UserError naming file and record.

  A DataLossError (corrupt/truncated file) or InvalidArgumentError (a record that fails to
  parse or fails the range assertion) raised while batches are read carries no file name;
  the input is scanned (locate_bad_record) for the record at fault. An InvalidArgumentError
  whose cause is not in the input is re-raised unchanged (a bug: keep its traceback).
  """
  try:
    yield
  except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
    found = locate_bad_record(expand_file_patterns(input_file, flag), max_seq_length,
                              max_predictions_per_seq, vocab_size, type_vocab_size)
    if found is not None:
      raise found from None
    if isinstance(e, tf.errors.DataLossError):
      raise UserError(f"--{flag}={input_file}: a file is corrupt or truncated "
                      f"({(e.message or '').strip().splitlines()[0]}); the scan for it "
                      f"gave up after {SCAN_BUDGET_S:g} s: check the files (e.g. with "
                      f"tf.data.TFRecordDataset) and regenerate the bad one") from None
    raise


def _parse_batch(serialized, spec, ranges):
  parsed = tf.io.parse_example(serialized, spec)
  if ranges:
    # One assertion per batch (a min and a max per feature: cheap); explained_read_errors
    # finds the record at fault when it fails.
    inside = [tf.logical_and(tf.reduce_min(parsed[name]) >= low,
                             tf.reduce_max(parsed[name]) < high)
              for name, (low, high) in sorted(ranges.items())]
    check = tf.debugging.Assert(tf.reduce_all(tf.stack(inside)),
                                ["pretraining record values out of range", sorted(ranges)])
    with tf.control_dependencies([check]):  # explicit: the map function must run the check
      parsed = {name: tf.identity(value) for name, value in parsed.items()}
  batch = {}
  for record_name, model_name in features.MODEL_INPUT_NAMES.items():
    value = parsed[record_name]
    if value.dtype == tf.int64:
      value = tf.cast(value, tf.int32)  # TPUs want int32 (official _decode_record)
    if record_name == features.LABEL_FEATURE:
      value = tf.reshape(value, [-1])
    batch[model_name] = value
  return batch


def make_dataset(input_file, max_seq_length, max_predictions_per_seq, batch_size,
                 is_training, input_context=None, seed=None, validate=True, vocab_size=None,
                 type_vocab_size=None, flag="input_file"):
  """Returns a tf.data.Dataset of {model name: tensor} batches of `batch_size` (per replica).

  Args:
    input_file: glob(s), comma list(s) or list of files.
    batch_size: examples per replica per (micro-)step, i.e. already divided by replicas.
    is_training: shuffle + repeat forever; otherwise one ordered pass.
    input_context: tf.distribute.InputContext; files are split across its input pipelines
      (falls back to record-level sharding when there are fewer files than pipelines).
    seed: makes file order and shuffling reproducible (needed for exact resume).
    validate: check the first record of each file of this pipeline (check_record), and
      that they are not all empty (a training pipeline would wait forever for a batch).
    vocab_size, type_vocab_size: the model's; every batch's ids are asserted to be inside
      them (plus positions and labels: _value_ranges). None: not checked.
    flag: the flag that gave `input_file`, for error messages.
  """
  files = expand_file_patterns(input_file, flag)
  num_pipes = input_context.num_input_pipelines if input_context else 1
  pipe_id = input_context.input_pipeline_id if input_context else 0
  shard_files = len(files) >= num_pipes
  if shard_files:
    files = files[pipe_id::num_pipes]
  if validate:
    nonempty = [path for path in files if validate_first_record(
        path, max_seq_length, max_predictions_per_seq, vocab_size, type_vocab_size)]
    if not nonempty:
      raise UserError(f"--{flag}={input_file}: no records in the {len(files)} file(s) of "
                      f"input pipeline {pipe_id} of {num_pipes}: check that data_prep "
                      f"finished writing them, or give more (non-empty) files")
  ranges = (_value_ranges(max_seq_length, vocab_size, type_vocab_size)
            if vocab_size or type_vocab_size else None)
  spec = {name: s for name, s in features.feature_spec(
      max_seq_length, max_predictions_per_seq).items() if name in REQUIRED_FEATURES}

  ds = tf.data.Dataset.from_tensor_slices(files)
  if is_training:
    ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True).repeat()
  ds = ds.interleave(tf.data.TFRecordDataset, cycle_length=min(MAX_CYCLE_LENGTH, len(files)),
                     num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  if not shard_files:
    ds = ds.shard(num_pipes, pipe_id)
  if is_training:
    ds = ds.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
  ds = ds.batch(batch_size, drop_remainder=True)
  ds = ds.map(lambda x: _parse_batch(x, spec, ranges), num_parallel_calls=tf.data.AUTOTUNE,
              deterministic=True)
  options = tf.data.Options()
  options.deterministic = True
  ds = ds.with_options(options)
  return ds.prefetch(tf.data.AUTOTUNE)


def per_replica_batch_size(global_batch_size, num_replicas, grad_accum_steps=1,
                           flag="train_batch_size"):
  """global // (replicas · accumulation), with an error when it does not divide evenly."""
  parts = num_replicas * grad_accum_steps
  if global_batch_size % parts or global_batch_size < parts:
    raise UserError(f"--{flag}={global_batch_size} must be a positive multiple of "
                    f"num_replicas ({num_replicas}) × grad_accum_steps ({grad_accum_steps}): "
                    f"choose a multiple")
  return global_batch_size // parts


def distributed_dataset(strategy, input_file, max_seq_length, max_predictions_per_seq,
                        global_batch_size, is_training, grad_accum_steps=1, seed=None,
                        **checks):
  """strategy.distribute_datasets_from_function over make_dataset (one pipeline per worker).

  `checks`: make_dataset's validate, vocab_size, type_vocab_size, flag.
  """
  batch = per_replica_batch_size(global_batch_size, strategy.num_replicas_in_sync,
                                 grad_accum_steps)

  def dataset_fn(ctx):
    return make_dataset(input_file, max_seq_length, max_predictions_per_seq, batch,
                        is_training, input_context=ctx, seed=seed, **checks)

  return strategy.distribute_datasets_from_function(dataset_fn)


class DataFeed:
  """Training batches for `strategy.run`, with a checkpointable position where possible.

  `next()` (called inside the compiled loop) returns one step's per-replica batch. Single-worker
  strategies (one_device, mirrored): one local tf.data iterator (`iterator`, trackable, so its
  position - shuffle and prefetch buffers included - goes into the checkpoint); each step
  takes one per-replica batch per local replica, in order, exactly what
  distribute_datasets_from_function would hand out. TPU and multi-worker: tf.distribute's
  iterator (per-host pipelines, prefetch to device), which TF cannot checkpoint
  (`checkpointable` is False); there a resumed run reseeds the stream with seed + start_step
  instead of replaying it from the start. `checks`: make_dataset's validate, vocab_size,
  type_vocab_size, flag.

  >>> import tempfile
  >>> from tests.albert_tf.synthetic_records import write_records
  >>> pattern = write_records(tempfile.mkdtemp(), num_files=1, per_file=8)
  >>> feed = DataFeed(tf.distribute.OneDeviceStrategy("/cpu:0"), pattern, 16, 4,
  ...                 global_batch_size=4, seed=1)
  >>> feed.checkpointable, feed.next()["input_word_ids"].shape
  (True, TensorShape([4, 16]))
  """

  def __init__(self, strategy, input_file, max_seq_length, max_predictions_per_seq,
               global_batch_size, grad_accum_steps=1, seed=None, start_step=0, **checks):
    self.strategy = strategy
    self.checkpointable = not isinstance(
        strategy, (tf.distribute.TPUStrategy, tf.distribute.MultiWorkerMirroredStrategy))
    args = (input_file, max_seq_length, max_predictions_per_seq)
    if self.checkpointable:
      self.local_replicas = len(strategy.extended.worker_devices)
      batch = per_replica_batch_size(global_batch_size, strategy.num_replicas_in_sync,
                                     grad_accum_steps)
      self.iterator = iter(make_dataset(*args, batch, is_training=True, seed=seed, **checks))
    else:
      self.iterator = iter(distributed_dataset(
          strategy, *args, global_batch_size, is_training=True,
          grad_accum_steps=grad_accum_steps, seed=None if seed is None else seed + start_step,
          **checks))

  def next(self):
    if not self.checkpointable:
      return next(self.iterator)
    parts = [next(self.iterator) for _ in range(self.local_replicas)]
    return self.strategy.experimental_distribute_values_from_function(
        lambda ctx: parts[ctx.replica_id_in_sync_group % self.local_replicas])
