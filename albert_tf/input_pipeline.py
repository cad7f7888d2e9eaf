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

Example:
    >>> files = expand_file_patterns("no/such/dir/*.tfrecord")
    Traceback (most recent call last):
    ...
    ValueError: input_file pattern 'no/such/dir/*.tfrecord' matched no files
"""
import tensorflow as tf

from albert_tf import features

SHUFFLE_BUFFER = 100  # official input_fn
MAX_CYCLE_LENGTH = 4  # official input_fn (parallel interleave, cycle ≤ 4)
REQUIRED_FEATURES = tuple(features.MODEL_INPUT_NAMES)  # token_boundary is not needed


def expand_file_patterns(patterns):
  """Comma-separated / list of globs → sorted unique file list; error names an empty pattern."""
  if isinstance(patterns, str):
    patterns = [patterns]
  files = []
  for pattern in (p.strip() for item in patterns for p in item.split(",")):
    if not pattern:
      continue
    matched = tf.io.gfile.glob(pattern)
    if not matched:
      raise ValueError(f"input_file pattern {pattern!r} matched no files")
    files.extend(matched)
  if not files:
    raise ValueError(f"input_file {patterns!r} names no files")
  return sorted(set(files))


def validate_first_record(path, max_seq_length, max_predictions_per_seq):
  """Checks that the first record of `path` has every feature, with the right kind and length.

  Catches the common mistakes up front, with the file and feature named: records written with
  another max_seq_length / max_predictions_per_seq, or by a different script (BERT's
  `next_sentence_labels`-less or v2-named records).
  """
  lengths = features.feature_lengths(max_seq_length, max_predictions_per_seq)
  for raw in tf.data.TFRecordDataset(path).take(1):
    example = tf.train.Example.FromString(raw.numpy())
    feats = example.features.feature
    for name in REQUIRED_FEATURES:
      want_kind = "float_list" if name in features.PRED_FLOAT_FEATURES else "int64_list"
      if name not in feats:
        raise ValueError(f"{path}: first record has no feature {name!r} (has: "
                         f"{', '.join(sorted(feats)) or 'none'})")
      kind = feats[name].WhichOneof("kind")
      values = getattr(feats[name], kind).value if kind else []
      if kind != want_kind or len(values) != lengths[name]:
        raise ValueError(
            f"{path}: feature {name!r} is {kind}[{len(values)}], expected "
            f"{want_kind}[{lengths[name]}] (max_seq_length={max_seq_length}, "
            f"max_predictions_per_seq={max_predictions_per_seq})")


def _parse_batch(serialized, spec):
  parsed = tf.io.parse_example(serialized, spec)
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
                 is_training, input_context=None, seed=None, validate=True):
  """Returns a tf.data.Dataset of {model name: tensor} batches of `batch_size` (per replica).

  Args:
    input_file: glob(s), comma list(s) or list of files.
    batch_size: examples per replica per (micro-)step, i.e. already divided by replicas.
    is_training: shuffle + repeat forever; otherwise one ordered pass.
    input_context: tf.distribute.InputContext; files are split across its input pipelines
      (falls back to record-level sharding when there are fewer files than pipelines).
    seed: makes file order and shuffling reproducible (needed for exact resume).
  """
  files = expand_file_patterns(input_file)
  num_pipes = input_context.num_input_pipelines if input_context else 1
  pipe_id = input_context.input_pipeline_id if input_context else 0
  shard_files = len(files) >= num_pipes
  if shard_files:
    files = files[pipe_id::num_pipes]
  if validate:
    for path in files:
      validate_first_record(path, max_seq_length, max_predictions_per_seq)
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
  ds = ds.map(lambda x: _parse_batch(x, spec), num_parallel_calls=tf.data.AUTOTUNE,
              deterministic=True)
  options = tf.data.Options()
  options.deterministic = True
  ds = ds.with_options(options)
  return ds.prefetch(tf.data.AUTOTUNE)


def per_replica_batch_size(global_batch_size, num_replicas, grad_accum_steps=1):
  """global // (replicas · accumulation), with an error when it does not divide evenly."""
  parts = num_replicas * grad_accum_steps
  if global_batch_size % parts or global_batch_size < parts:
    raise ValueError(f"train_batch_size={global_batch_size} must be a positive multiple of "
                     f"num_replicas ({num_replicas}) × grad_accum_steps ({grad_accum_steps})")
  return global_batch_size // parts


def distributed_dataset(strategy, input_file, max_seq_length, max_predictions_per_seq,
                        global_batch_size, is_training, grad_accum_steps=1, seed=None):
  """strategy.distribute_datasets_from_function over make_dataset (one pipeline per worker)."""
  batch = per_replica_batch_size(global_batch_size, strategy.num_replicas_in_sync,
                                 grad_accum_steps)

  def dataset_fn(ctx):
    return make_dataset(input_file, max_seq_length, max_predictions_per_seq, batch,
                        is_training, input_context=ctx, seed=seed)

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
  instead of replaying it from the start.

  >>> import tempfile
  >>> from tests.albert_tf.synthetic_records import write_records
  >>> pattern = write_records(tempfile.mkdtemp(), num_files=1, per_file=8)
  >>> feed = DataFeed(tf.distribute.OneDeviceStrategy("/cpu:0"), pattern, 16, 4,
  ...                 global_batch_size=4, seed=1)
  >>> feed.checkpointable, feed.next()["input_word_ids"].shape
  (True, TensorShape([4, 16]))
  """

  def __init__(self, strategy, input_file, max_seq_length, max_predictions_per_seq,
               global_batch_size, grad_accum_steps=1, seed=None, start_step=0):
    self.strategy = strategy
    self.checkpointable = not isinstance(
        strategy, (tf.distribute.TPUStrategy, tf.distribute.MultiWorkerMirroredStrategy))
    args = (input_file, max_seq_length, max_predictions_per_seq)
    if self.checkpointable:
      self.local_replicas = len(strategy.extended.worker_devices)
      batch = per_replica_batch_size(global_batch_size, strategy.num_replicas_in_sync,
                                     grad_accum_steps)
      self.iterator = iter(make_dataset(*args, batch, is_training=True, seed=seed))
    else:
      self.iterator = iter(distributed_dataset(
          strategy, *args, global_batch_size, is_training=True,
          grad_accum_steps=grad_accum_steps, seed=None if seed is None else seed + start_step))

  def next(self):
    if not self.checkpointable:
      return next(self.iterator)
    parts = [next(self.iterator) for _ in range(self.local_replicas)]
    return self.strategy.experimental_distribute_values_from_function(
        lambda ctx: parts[ctx.replica_id_in_sync_group % self.local_replicas])
