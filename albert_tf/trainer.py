"""ALBERT pretraining loop: run(PretrainConfig) under any tf.distribute strategy.

One call of the compiled `train_loop` runs `iterations_per_loop` optimizer steps (a tf.range
loop over the data iterator inside one tf.function, what TPUs need). Per step and replica:

  micro-batches (grad_accum_steps of them) → model → per-example NLL sums
  loss = Σ w·NLL / (Σ_global w + 1e-5) + Σ SOP-NLL / N_global      (global denominators)
  grads summed over micro-batches → optimizer (sum over replicas, clip global norm 1.0)

Normalising by the GLOBAL mask-weight sum and example count (an all-reduce of two numbers
taken from the batch before the forward pass) makes the loss and the update for a global
batch of B the same whatever the number of replicas or accumulation steps; with one replica
and no accumulation it is exactly the official per-batch loss (albert_tf.losses).

Outputs in `output_dir`: ckpt-<step>.* (model, optimizer, global step = optimizer.iterations,
data-iterator position), config.json (model + training config), albert_config.json,
metrics.jsonl, TensorBoard train/ and eval/, loss_curve.png, eval_results.txt.

Resume: a restarted run restores the latest checkpoint and continues bit-for-bit (with
`deterministic=True`: op determinism, seeded shuffles; dropout draws are not checkpointed, so
exact only with dropout 0, the ALBERT v2 setting). SIGTERM: the current loop finishes, a
checkpoint is written, run() returns normally. A non-finite loss raises NonFiniteLossError
naming the step; nothing is saved from that loop, so the last checkpoint is the last good one.
"""
import dataclasses
import json
import os
import signal
import threading
import time

import tensorflow as tf
import tf_keras

from albert_tf import configs, distribute, input_pipeline, optimization, train_log
from albert_tf.pretrainer import AlbertPretrainer

MODEL_INPUTS = ("input_word_ids", "input_mask", "input_type_ids", "masked_lm_positions")
PRECISIONS = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}
# Per-replica sums from which every metric is derived (summed over micro-batches, replicas).
STATS = ("mlm_nll_sum", "mlm_weight_sum", "mlm_correct_sum", "sop_nll_sum", "sop_correct_sum",
         "num_examples")


@dataclasses.dataclass(frozen=True)
class PretrainConfig:
  """Everything run() needs; field names and defaults are the official run_pretraining flags."""
  model: configs.AlbertConfig
  input_file: str
  output_dir: str
  init_checkpoint: str = ""
  max_seq_length: int = 512
  max_predictions_per_seq: int = 20
  do_train: bool = True
  do_eval: bool = False
  eval_input_file: str = ""  # default: input_file (as the official script evaluates)
  train_batch_size: int = 4096  # GLOBAL batch per optimizer step
  eval_batch_size: int = 64
  optimizer: str = "lamb"
  learning_rate: float = 0.00176
  poly_power: float = 1.0
  num_train_steps: int = 125000
  num_warmup_steps: int = 3125
  start_warmup_step: int = 0
  save_checkpoints_steps: int = 5000
  keep_checkpoint_max: int = 5
  iterations_per_loop: int = 1000
  max_eval_steps: int = 100
  strategy: str = "auto"
  tpu: str = ""
  tpu_zone: str = ""
  gcp_project: str = ""
  mixed_precision: str = "float32"
  jit_compile: bool = False
  recompute_grad: bool = False  # recompute block activations in the backward pass (less memory)
  grad_accum_steps: int = 1
  seed: int = 12345
  deterministic: bool = False

  def to_dict(self):
    out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "model"}
    return {"albert_config": self.model.to_dict(), "pretraining": out}


class NonFiniteLossError(RuntimeError):
  """Training produced a NaN/Inf loss; the message names the step and the last checkpoint."""


def _check(config):
  positive = ("max_seq_length", "max_predictions_per_seq", "train_batch_size", "eval_batch_size",
              "save_checkpoints_steps", "keep_checkpoint_max", "iterations_per_loop",
              "grad_accum_steps")
  for name in positive:
    if getattr(config, name) <= 0:
      raise ValueError(f"{name}={getattr(config, name)} must be positive")
  if config.mixed_precision not in PRECISIONS:
    raise ValueError(f"mixed_precision={config.mixed_precision!r}; choose one of "
                     f"{', '.join(PRECISIONS)}")
  if config.max_seq_length > config.model.max_position_embeddings:
    raise ValueError(f"max_seq_length={config.max_seq_length} exceeds the model's "
                     f"max_position_embeddings={config.model.max_position_embeddings}")
  if not config.output_dir:
    raise ValueError("output_dir is required")


# --- per-replica computation ----------------------------------------------------------------
def _batch_stats_and_loss(model, batch, denominators, training):
  """Returns (loss with global denominators, [len(STATS)] float32 sums) for one batch."""
  outputs = model({k: batch[k] for k in MODEL_INPUTS}, training=training)
  mlm_log_probs = tf.nn.log_softmax(tf.cast(outputs["mlm_logits"], tf.float32), axis=-1)
  mlm_ids = batch["masked_lm_ids"]
  weights = tf.cast(batch["masked_lm_weights"], tf.float32)
  mlm_nll = -tf.gather(mlm_log_probs, mlm_ids, batch_dims=2)
  mlm_correct = tf.cast(tf.equal(tf.argmax(mlm_log_probs, -1, output_type=tf.int32), mlm_ids),
                        tf.float32)
  sop_logits = tf.cast(outputs["sop_logits"], tf.float32)
  labels = batch["sentence_order_label"]
  sop_nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=sop_logits)
  sop_correct = tf.cast(tf.equal(tf.argmax(sop_logits, -1, output_type=tf.int32), labels),
                        tf.float32)
  stats = tf.stack([tf.reduce_sum(mlm_nll * weights), tf.reduce_sum(weights),
                    tf.reduce_sum(mlm_correct * weights), tf.reduce_sum(sop_nll),
                    tf.reduce_sum(sop_correct), tf.cast(tf.size(labels), tf.float32)])
  loss = stats[0] / (denominators[0] + 1e-5) + stats[3] / denominators[1]
  return loss, stats


def metrics_from_stats(stats):
  """Global sums (STATS order) → the official metric values (albert_spec.md §4.2)."""
  mlm_loss = stats[0] / (stats[1] + 1e-5)
  sop_loss = stats[3] / stats[5]
  return tf.stack([mlm_loss + sop_loss, mlm_loss, tf.math.divide_no_nan(stats[2], stats[1]),
                   sop_loss, stats[4] / stats[5]])


class _Steps:
  """Builds the compiled train/eval functions for one model/optimizer/strategy."""

  def __init__(self, strategy, model, optimizer, config):
    self.strategy, self.model, self.optimizer = strategy, model, optimizer
    self.accum = config.grad_accum_steps
    self.loss_scaling = isinstance(optimizer, tf_keras.mixed_precision.LossScaleOptimizer)
    self._grads = tf.function(self._grads_fn, jit_compile=config.jit_compile or None)
    self.train_loop = tf.function(self._train_loop)
    self.eval_step = tf.function(self._eval_step)

  def _grads_fn(self, batch, denominators):
    with tf.GradientTape() as tape:
      loss, stats = _batch_stats_and_loss(self.model, batch, denominators, training=True)
      if self.loss_scaling:
        loss = self.optimizer.get_scaled_loss(loss)
    grads = tape.gradient(loss, self.model.trainable_variables)
    # Dense gradients (the embedding gather gives IndexedSlices): the official TF1 update
    # is dense too, and dense sums make accumulation and all-reduce order-independent.
    return [tf.convert_to_tensor(g) for g in grads], stats

  def _replica_step(self, *micro_batches):
    ctx = tf.distribute.get_replica_context()
    local = tf.stack([tf.add_n([tf.reduce_sum(b["masked_lm_weights"]) for b in micro_batches]),
                      float(sum(b["sentence_order_label"].shape[0] for b in micro_batches))])
    denominators = ctx.all_reduce(tf.distribute.ReduceOp.SUM, local)
    grads, stats = None, None
    for batch in micro_batches:  # unrolled; control deps keep one micro-batch live at a time
      with tf.control_dependencies(grads or []):
        g, s = self._grads(batch, denominators)
      grads = g if grads is None else [a + b for a, b in zip(grads, g)]
      stats = s if stats is None else stats + s
    if self.loss_scaling:
      grads = self.optimizer.get_unscaled_gradients(grads)
    self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
    return metrics_from_stats(ctx.all_reduce(tf.distribute.ReduceOp.SUM, stats))

  def _train_loop(self, feed, num_steps):
    """Runs up to num_steps steps; returns (Σ metrics, steps run, first non-finite step|-1)."""
    sums = tf.zeros([len(train_log.TRAIN_METRICS)])
    done = tf.constant(0, tf.int64)
    bad_step = tf.constant(-1, tf.int64)
    for _ in tf.range(num_steps):
      step = self.optimizer.iterations + 1
      batches = tuple(feed.next() for _ in range(self.accum))
      values = self.strategy.run(self._replica_step, args=batches)
      values = self.strategy.reduce(tf.distribute.ReduceOp.MEAN, values, axis=None)
      sums += values
      done += 1
      if not tf.reduce_all(tf.math.is_finite(values)):
        bad_step = tf.cast(step, tf.int64)
        break
    return sums, done, bad_step

  def _eval_step(self, batch):
    def fn(b):
      ones = tf.ones([2])  # loss unused in eval; denominators irrelevant
      return _batch_stats_and_loss(self.model, b, ones, training=False)[1]
    return self.strategy.reduce(tf.distribute.ReduceOp.SUM, self.strategy.run(fn, (batch,)),
                                axis=None)


# --- run ----------------------------------------------------------------------------------------
def run(config):
  """Pretrains (and/or evaluates) per `config`.

  Returns {"output_dir", "model" (the trained AlbertPretrainer), "status" ("done"|"preempted"),
  "step", "checkpoint", "eval" (when do_eval), "loss_curve"}.
  """
  _check(config)
  if config.deterministic:
    tf.config.experimental.enable_op_determinism()
  tf_keras.utils.set_random_seed(config.seed)
  previous_policy = tf_keras.mixed_precision.global_policy()
  tf_keras.mixed_precision.set_global_policy(PRECISIONS[config.mixed_precision])
  try:
    return _run(config)
  finally:
    tf_keras.mixed_precision.set_global_policy(previous_policy)


def _is_chief(strategy):
  return strategy.extended.should_checkpoint


def _run(config):
  strategy = distribute.make_strategy(config.strategy, config.tpu or None,
                                      config.tpu_zone or None, config.gcp_project or None)
  chief = _is_chief(strategy)
  tf.io.gfile.makedirs(config.output_dir)
  # Non-chief workers of a multi-worker job must also save (collective reads), into scratch.
  ckpt_dir = config.output_dir if chief else os.path.join(
      config.output_dir, f".worker_{strategy.cluster_resolver.task_id}")
  log = train_log.TrainLog(config.output_dir, enabled=chief)
  train_log.log(f"strategy {type(strategy).__name__} with {strategy.num_replicas_in_sync} "
                f"replica(s); global batch {config.train_batch_size}; precision "
                f"{config.mixed_precision}; jit_compile={config.jit_compile}")
  with strategy.scope():
    model = AlbertPretrainer(config.model, recompute=config.recompute_grad)
    model.ensure_built()
    optimizer = optimization.create_optimizer(
        config.optimizer, config.learning_rate, config.num_train_steps,
        config.num_warmup_steps, config.poly_power, config.start_warmup_step)
    if config.mixed_precision == "float16":
      optimizer = tf_keras.mixed_precision.LossScaleOptimizer(optimizer)
    optimizer.iterations  # noqa: B018 - creates the step counter under the strategy
  steps = _Steps(strategy, model, optimizer, config)
  summary = {"output_dir": config.output_dir, "model": model}

  if config.do_train:
    summary.update(_train(config, strategy, model, optimizer, steps, ckpt_dir, chief, log))
  if config.do_eval and summary.get("status") != "preempted":
    step = (int(optimizer.iterations.numpy()) if config.do_train
            else _restore_model_for_eval(config, model))
    summary["eval"] = evaluate(config, strategy, steps, step, log)
  if chief:
    summary["loss_curve"] = train_log.plot_curve(
        log.history_path, os.path.join(config.output_dir, "loss_curve.png"))
  log.close()
  if not chief and tf.io.gfile.exists(ckpt_dir):
    tf.io.gfile.rmtree(ckpt_dir)
  return summary


def _write_configs(config):
  with tf.io.gfile.GFile(os.path.join(config.output_dir, "config.json"), "w") as f:
    f.write(json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n")
  with tf.io.gfile.GFile(os.path.join(config.output_dir, "albert_config.json"), "w") as f:
    f.write(config.model.to_json_string())


def _load_init_checkpoint(model, path):
  """Loads weights (not optimizer state) from our checkpoint or a Google TF1 release."""
  names = [name for name, _ in tf.train.list_variables(path)]
  if any(name.startswith("bert/") for name in names):
    try:
      from albert_tf.checkpoints import tf1_names  # pylint: disable=import-outside-toplevel
    except ImportError as e:
      raise ValueError(f"init_checkpoint={path} is a TF1 (Google release) checkpoint, but the "
                       f"TF1 loader albert_tf.checkpoints.tf1_names is unavailable ({e})") from None
    tf1_names.load_tf1(model, path)
  else:
    tf.train.Checkpoint(model=model).read(path).assert_existing_objects_matched().expect_partial()
  train_log.log(f"initialised weights from {path}")


def _restore_model_for_eval(config, model):
  """Eval without training: weights from the latest checkpoint in output_dir, else init.

  Returns the global step of the evaluated weights (0 for --init_checkpoint)."""
  latest = tf.train.latest_checkpoint(config.output_dir)
  if latest:
    tf.train.Checkpoint(model=model).read(latest).expect_partial()
    train_log.log(f"evaluating {latest}")
    return int(latest.rsplit("-", 1)[1])
  if config.init_checkpoint:
    _load_init_checkpoint(model, config.init_checkpoint)
    return 0
  raise ValueError(f"do_eval without do_train needs a checkpoint in {config.output_dir} "
                   f"or --init_checkpoint")


class _SigtermFlag:
  """SIGTERM (preemption) → set a flag checked between compiled loops."""

  def __init__(self):
    self.raised = False
    self._previous = None

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      self._previous = signal.signal(signal.SIGTERM, self._handle)
    return self

  def _handle(self, signum, frame):  # pylint: disable=unused-argument
    self.raised = True

  def __exit__(self, *exc):
    if self._previous is not None:
      signal.signal(signal.SIGTERM, self._previous)


class _DataFeed:
  """Training batches for `strategy.run`, with a checkpointable position where possible.

  Single-worker strategies (one_device, mirrored): one local tf.data iterator (trackable, so its
  position - shuffle and prefetch buffers included - goes into the checkpoint); each step
  takes one per-replica batch per local replica, in order, exactly what
  distribute_datasets_from_function would hand out. TPU and multi-worker: tf.distribute's
  iterator (per-host pipelines, prefetch to device), which TF cannot checkpoint; there a
  resumed run reseeds the stream with seed + step instead of replaying it from the start.
  """

  def __init__(self, config, strategy, start_step):
    self.strategy = strategy
    self.checkpointable = not isinstance(
        strategy, (tf.distribute.TPUStrategy, tf.distribute.MultiWorkerMirroredStrategy))
    args = (config.input_file, config.max_seq_length, config.max_predictions_per_seq)
    if self.checkpointable:
      self.local_replicas = len(strategy.extended.worker_devices)
      batch = input_pipeline.per_replica_batch_size(
          config.train_batch_size, strategy.num_replicas_in_sync, config.grad_accum_steps)
      self.iterator = iter(input_pipeline.make_dataset(*args, batch, is_training=True,
                                                       seed=config.seed))
    else:
      self.iterator = iter(input_pipeline.distributed_dataset(
          strategy, *args, config.train_batch_size, is_training=True,
          grad_accum_steps=config.grad_accum_steps, seed=config.seed + start_step))

  def next(self):
    if not self.checkpointable:
      return next(self.iterator)
    parts = [next(self.iterator) for _ in range(self.local_replicas)]
    return self.strategy.experimental_distribute_values_from_function(
        lambda ctx: parts[ctx.replica_id_in_sync_group % self.local_replicas])


def _train(config, strategy, model, optimizer, steps, ckpt_dir, chief, log):
  tracked = {"model": model, "optimizer": optimizer}
  # The step is known only after restoring; restore model/optimizer first, then the feed.
  model_ckpt = tf.train.Checkpoint(**tracked)
  latest = tf.train.latest_checkpoint(config.output_dir)
  if latest:
    model_ckpt.read(latest).expect_partial()
  feed = _DataFeed(config, strategy, int(optimizer.iterations.numpy()))
  if feed.checkpointable:
    tracked["iterator"] = feed.iterator
  checkpoint = tf.train.Checkpoint(**tracked)
  manager = tf.train.CheckpointManager(checkpoint, ckpt_dir, config.keep_checkpoint_max,
                                       step_counter=optimizer.iterations,
                                       checkpoint_name="ckpt")
  if latest:  # every worker restores what the chief saved
    checkpoint.restore(latest).assert_existing_objects_matched()
    train_log.log(f"restored {latest}")
  elif config.init_checkpoint:
    _load_init_checkpoint(model, config.init_checkpoint)
  if chief:
    _write_configs(config)
  step = int(optimizer.iterations.numpy())
  log.truncate_after(step)
  last_saved = step
  total = config.num_train_steps
  train_log.log(f"training from step {step} to {total}; checkpoints every "
                f"{config.save_checkpoints_steps} steps in {config.output_dir}")
  status = "done"
  with _SigtermFlag() as sigterm:
    while step < total:
      next_save = (step // config.save_checkpoints_steps + 1) * config.save_checkpoints_steps
      n = min(config.iterations_per_loop, total - step, next_save - step)
      start = time.time()
      sums, done, bad = steps.train_loop(feed, tf.constant(n, tf.int64))
      if int(bad) >= 0:
        raise NonFiniteLossError(
            f"non-finite loss at step {int(bad)}; stopped without saving. Last good "
            f"checkpoint: {manager.latest_checkpoint or 'none'} (step {last_saved}). "
            f"Lower --learning_rate (or raise --num_warmup_steps) and restart from it.")
      elapsed = time.time() - start
      step = int(optimizer.iterations.numpy())
      values = dict(zip(train_log.TRAIN_METRICS, (sums / tf.cast(done, tf.float32)).numpy()))
      values["learning_rate"] = float(optimization_lr(optimizer)(step - 1))
      values["examples_per_second"] = int(done) * config.train_batch_size / elapsed
      log.write("train", step, values)
      train_log.log(train_log.progress_line(step, total, values, int(done) / elapsed,
                                            values["examples_per_second"]))
      if step - last_saved >= config.save_checkpoints_steps or step >= total or sigterm.raised:
        manager.save(checkpoint_number=step)
        last_saved = step
      if sigterm.raised:
        train_log.log(f"SIGTERM: saved checkpoint at step {step}; exiting")
        status = "preempted"
        break
  return {"status": status, "step": step, "checkpoint": manager.latest_checkpoint}


def optimization_lr(optimizer):
  """The learning-rate schedule of a (possibly loss-scaled) optimizer."""
  inner = getattr(optimizer, "inner_optimizer", optimizer)
  return inner._get_hyper("learning_rate")  # pylint: disable=protected-access


def evaluate(config, strategy, steps, step, log):
  """Evaluates on eval_input_file for up to max_eval_steps batches; writes eval_results.txt."""
  batch = input_pipeline.per_replica_batch_size(config.eval_batch_size,
                                                strategy.num_replicas_in_sync)
  dataset = strategy.distribute_datasets_from_function(
      lambda ctx: input_pipeline.make_dataset(
          config.eval_input_file or config.input_file, config.max_seq_length,
          config.max_predictions_per_seq, batch, is_training=False, input_context=ctx))
  totals, num_batches = None, 0
  for batch_data in dataset:
    if num_batches >= config.max_eval_steps:
      break
    stats = steps.eval_step(batch_data)
    totals = stats if totals is None else totals + stats
    num_batches += 1
  if totals is None:
    raise ValueError(f"eval_input_file {config.eval_input_file or config.input_file!r} has "
                     f"fewer than eval_batch_size={config.eval_batch_size} records")
  values = dict(zip(train_log.TRAIN_METRICS, metrics_from_stats(totals).numpy().tolist()))
  values["num_examples"] = float(totals[5])
  # What an input-blind predictor scores on the same batches: learning means beating these.
  values.update(input_pipeline.trivial_baselines(
      config.eval_input_file or config.input_file, config.max_seq_length,
      config.max_predictions_per_seq, batch * strategy.num_replicas_in_sync,
      config.max_eval_steps))
  results = {"global_step": step, **values}
  log.write("eval", step, values)
  if log.enabled:
    with tf.io.gfile.GFile(os.path.join(config.output_dir, "eval_results.txt"), "w") as f:
      f.write("".join(f"{key} = {value}\n" for key, value in sorted(results.items())))
  train_log.log("eval: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(values.items())))
  return results
