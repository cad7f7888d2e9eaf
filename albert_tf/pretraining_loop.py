"""ALBERT pretraining loop: run(PretrainConfig) under any tf.distribute strategy.

One call of the compiled `train_loop` runs `iterations_per_loop` optimizer steps (a tf.range
loop over the data feed inside one tf.function, what TPUs need); with more than
GROW_LOOPS_ABOVE of them, a process's first calls run 1, 2, 4, ... steps (an early first
progress line). Per step and replica:

  micro-batches (grad_accum_steps of them) → model → losses.PretrainingStats (sums)
  loss of record = Σ w·NLL / (Σ_global w + 1e-5) + Σ SOP-NLL / N_global   (losses.py)
  grads summed over micro-batches, then over replicas → grad_norm (logged) → optimizer
  (clips to global norm 1.0)

sentence_objective: "sop" and "nsp" train the 2-way head on the records' label (data_prep
decides which pairs they are); "none" drops the SOP-NLL term, leaves the head and the pooler
(which only the head reads) out of the update, and logs no sentence_order_* metrics.

Normalising by the GLOBAL mask-weight sum and example count (an all-reduce of two numbers
taken from the batch before the forward pass) makes the loss and the update for a global
batch of B the same whatever the number of replicas or accumulation steps; with one replica
and no accumulation it is exactly the official per-batch loss (losses.pretraining_losses).

Outputs in `output_dir`: ckpt-<step>.* (model, optimizer, global step = optimizer.iterations,
data-iterator position), config.json (model + training config), albert_config.json,
metrics.jsonl, TensorBoard train/ and eval/, loss_curve.png, eval_results.txt
(pretraining_eval.py; held-out evaluation every eval_every_steps and/or at the end).

Resume: a restarted run restores the latest checkpoint and continues bit-for-bit (with
`deterministic=True`: op determinism, seeded shuffles; dropout draws are not checkpointed, so
exact only with dropout 0, the ALBERT v2 setting). SIGTERM: the current loop finishes, a
checkpoint is written, run() returns normally. A non-finite loss raises NonFiniteLossError
naming the step; nothing is saved from that loop, so the last checkpoint is the last good one.

Expected failures raise errors.UserError (one line: what, where, what to do), all before
anything is written where they can be known then (config.validate(), then _start_up):
impossible flag values; an output_dir that is a file, read-only or not writable; resuming a
checkpoint of a run with other settings (_check_resume: the model config, the sentence
objective or the optimizer differ; the differences are shown, old → new, and nothing in
output_dir is touched; the learning-rate schedule, data and batch size may change); a missing
--init_checkpoint; input without records, or whose first records do not fit the model
(input_pipeline.check_input). Later: a corrupt or invalid record (the file and record are
named: input_pipeline.explained_read_errors) and a failed write, e.g. a full disk
(train_log.writing: the error names the checkpoint training will resume from).

Example (the compiled step object alone, as bench/train_worker.py times it):
    >>> from albert_tf.configs import PRESETS, PretrainConfig
    >>> config = PretrainConfig(model=PRESETS["albert_tiny"], input_file="", output_dir="",
    ...                         num_train_steps=10, num_warmup_steps=0)
    >>> strategy = tf.distribute.get_strategy()
    >>> model, optimizer = build_model_and_optimizer(config, strategy)
    >>> steps = PretrainingSteps(strategy, model, optimizer, config)
    >>> callable(steps.train_loop) and callable(steps.eval_step)
    True
"""
import json
import math
import os
import signal
import tempfile
import threading
import time

import tensorflow as tf
import tf_keras

from albert_tf import configs, distribute, input_pipeline, losses, optimization, train_log
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.errors import UserError, describe
from albert_tf.pretrainer import AlbertPretrainer
from albert_tf.pretraining_eval import Evaluator

MODEL_INPUTS = ("input_word_ids", "input_mask", "input_type_ids", "masked_lm_positions")
# Loops of more steps than this start with 1, 2, 4, ... steps (_train). 50 (demo.sh,
# experiments/arms.py) stays as it was; the default 1000 grows.
GROW_LOOPS_ABOVE = 64
# What a checkpoint means: resuming one with other values of these is refused (_check_resume).
# The model config (every key) and sentence objective define what the weights are, the
# optimizer what its slots are. Not here, because changing them on resume is legitimate: the
# learning-rate schedule (the NonFiniteLossError message advises lowering it), the input
# files and lengths (a second phase at another max_seq_length), the batch size.
RESUME_KEYS = ("sentence_objective", "optimizer")


class NonFiniteLossError(UserError):
  """Training produced a NaN/Inf loss; the message names the step and the last checkpoint."""


# --- the compiled step --------------------------------------------------------------------------
def build_model_and_optimizer(config, strategy):
  """AlbertPretrainer + the official optimizer (loss-scaled under float16), in strategy scope.

  The Keras precision policy must already be set (run() sets it from config.mixed_precision).
  """
  with strategy.scope():
    model = AlbertPretrainer(config.model, recompute=config.recompute_grad)
    model.ensure_built()
    optimizer = optimization.create_optimizer(
        config.optimizer, config.learning_rate, config.num_train_steps,
        config.num_warmup_steps, config.poly_power, config.start_warmup_step)
    if configs.precision_policy(config.mixed_precision) == "mixed_float16":
      optimizer = tf_keras.mixed_precision.LossScaleOptimizer(optimizer)
    optimizer.iterations  # noqa: B018 - creates the step counter under the strategy
  return model, optimizer


class PretrainingSteps:
  """The compiled train loop and eval step for one model/optimizer/strategy.

  train_loop(feed, num_steps) runs up to num_steps optimizer steps, each on `feed.next()`
  (an input_pipeline.DataFeed, or anything whose next() returns one step's batch), and
  returns ({metric: mean over the steps}, steps run, first non-finite step or -1);
  eval_step(batch) returns the global losses.PretrainingStats of one distributed batch.
  """

  def __init__(self, strategy, model, optimizer, config):
    self.strategy, self.model, self.optimizer = strategy, model, optimizer
    self.accum = config.grad_accum_steps
    self.loss_scaling = isinstance(optimizer, tf_keras.mixed_precision.LossScaleOptimizer)
    self.sentence_loss = config.sentence_objective != "none"
    self.metric_names = train_log.metric_names(config.sentence_objective)
    # MLM only: the SOP head and the pooler get no gradient. They stay out of the update, or
    # weight decay (u = m/(√v+ε) + 0.01·w with m = v = 0) would still shrink them.
    frozen = set() if self.sentence_loss else {
        v.ref() for layer in (model.sentence_order, model.encoder.pooler)
        for v in layer.trainable_variables}
    self.variables = [v for v in model.trainable_variables if v.ref() not in frozen]
    self._grads = tf.function(self._grads_fn, jit_compile=config.jit_compile or None)
    self.train_loop = tf.function(self._train_loop)
    self.eval_step = tf.function(self._eval_step)

  def _stats(self, batch, training):
    outputs = self.model({k: batch[k] for k in MODEL_INPUTS}, training=training)
    return losses.PretrainingStats.from_outputs(outputs, batch)

  def _grads_fn(self, batch, denominators):
    with tf.GradientTape() as tape:
      stats = self._stats(batch, training=True)
      loss = stats.loss(denominators, self.sentence_loss)
      if self.loss_scaling:
        loss = self.optimizer.get_scaled_loss(loss)
    grads = tape.gradient(loss, self.variables)
    # Dense gradients (the embedding gather gives IndexedSlices): the official TF1 update
    # is dense too, and dense sums make accumulation and all-reduce order-independent.
    return [tf.convert_to_tensor(g) for g in grads], stats

  def _replica_step(self, *micro_batches):
    ctx = tf.distribute.get_replica_context()
    denominators = losses.LossDenominators.of_batches(micro_batches).all_reduce(ctx)
    grads, stats = None, None
    for batch in micro_batches:  # unrolled; control deps keep one micro-batch live at a time
      with tf.control_dependencies(grads or []):
        g, s = self._grads(batch, denominators)
      grads = g if grads is None else [a + b for a, b in zip(grads, g)]
      stats = s if stats is None else stats.add(s)
    if self.loss_scaling:
      grads = self.optimizer.get_unscaled_gradients(grads)
    # The cross-replica sum apply_gradients would do (the same all_reduce), done here so that
    # the logged norm is that of the gradient the optimizer clips (global_clipnorm).
    grads = ctx.all_reduce(tf.distribute.ReduceOp.SUM, grads)
    grad_norm = tf.linalg.global_norm(grads)
    self.optimizer.apply_gradients(zip(grads, self.variables),
                                   experimental_aggregate_gradients=False)
    metrics = stats.all_reduce(ctx).metrics(self.sentence_loss)
    return tf.stack([metrics[name] for name in self.metric_names] + [grad_norm])

  def _train_loop(self, feed, num_steps):
    sums = {name: tf.constant(0.0) for name in self.metric_names}
    norm_sum, norm_count = tf.constant(0.0), tf.constant(0.0)
    done = tf.constant(0, tf.int64)
    bad_step = tf.constant(-1, tf.int64)
    for _ in tf.range(num_steps):
      step = self.optimizer.iterations + 1
      batches = tuple(feed.next() for _ in range(self.accum))
      # One tensor crosses the strategy boundary: MultiWorkerMirroredStrategy.reduce of a
      # nested structure fails inside tf.function (TypeError).
      values = self.strategy.run(self._replica_step, args=batches)
      values = self.strategy.reduce(tf.distribute.ReduceOp.MEAN, values, axis=None)
      metrics, grad_norm = values[:-1], values[-1]
      sums = {name: sums[name] + value for name, value in zip(sums, tf.unstack(metrics))}
      # float16: steps the loss scaler skips have an inf norm; the mean is over the others.
      finite = tf.math.is_finite(grad_norm)
      norm_sum += tf.where(finite, grad_norm, 0.0)
      norm_count += tf.cast(finite, tf.float32)
      done += 1
      if not tf.reduce_all(tf.math.is_finite(metrics)):
        bad_step = tf.cast(step, tf.int64)
        break
    means = {name: total / tf.cast(done, tf.float32) for name, total in sums.items()}
    means["grad_norm"] = norm_sum / norm_count  # NaN when no step had a finite norm
    return means, done, bad_step

  def _eval_step(self, batch):
    stats = self.strategy.run(lambda b: tf.stack(self._stats(b, training=False)), (batch,))
    return losses.PretrainingStats(
        *tf.unstack(self.strategy.reduce(tf.distribute.ReduceOp.SUM, stats, axis=None)))


# --- run ----------------------------------------------------------------------------------------
def run(config):
  """Pretrains (and/or evaluates) per `config` (a configs.PretrainConfig).

  Returns {"output_dir", "model" (the trained AlbertPretrainer), "status" ("done"|"preempted"),
  "step", "checkpoint", "eval" (the last evaluation: do_eval or eval_every_steps),
  "loss_curve"}.
  """
  config.validate()
  if config.deterministic:
    tf.config.experimental.enable_op_determinism()
  tf_keras.utils.set_random_seed(config.seed)
  previous_policy = tf_keras.mixed_precision.global_policy()
  tf_keras.mixed_precision.set_global_policy(configs.precision_policy(config.mixed_precision))
  try:
    return _run(config)
  finally:
    tf_keras.mixed_precision.set_global_policy(previous_policy)


def _is_chief(strategy):
  return strategy.extended.should_checkpoint


def _run(config):
  def make_strategy():
    return distribute.make_strategy(config.strategy, config.tpu or None,
                                    config.tpu_zone or None, config.gcp_project or None)
  # The start-up checks read records with TensorFlow ops; a multi-worker strategy must exist
  # before the first op, any other comes after the checks (a bad flag never waits on a TPU).
  strategy = make_strategy() if distribute.is_multi_worker(config.strategy, config.tpu) else None
  _start_up(config)
  strategy = strategy or make_strategy()
  chief = _is_chief(strategy)
  # Non-chief workers of a multi-worker job must also save (collective reads), into scratch.
  ckpt_dir = config.output_dir if chief else os.path.join(
      config.output_dir, f".worker_{strategy.cluster_resolver.task_id}")
  log = train_log.TrainLog(config.output_dir, enabled=chief)
  train_log.log(f"strategy {type(strategy).__name__} with {strategy.num_replicas_in_sync} "
                f"replica(s); global batch {config.train_batch_size}; precision "
                f"{config.mixed_precision}; jit_compile={config.jit_compile}")
  model, optimizer = build_model_and_optimizer(config, strategy)
  steps = PretrainingSteps(strategy, model, optimizer, config)
  evaluator = Evaluator(config, strategy, steps.eval_step, log)
  summary = {"output_dir": config.output_dir, "model": model}

  if config.do_train:
    summary.update(_train(config, strategy, model, optimizer, steps, evaluator, ckpt_dir,
                          chief, log))
  if config.do_eval and summary.get("status") != "preempted":
    step = (int(optimizer.iterations.numpy()) if config.do_train
            else _restore_model_for_eval(config, model))
    if summary.get("eval", {}).get("global_step") != step:  # not just done periodically
      summary["eval"] = evaluator(step)
  with train_log.writing(config.output_dir):
    if chief:
      summary["loss_curve"] = train_log.plot_curve(
          log.history_path, os.path.join(config.output_dir, "loss_curve.png"))
    log.close()
  if not chief and tf.io.gfile.exists(ckpt_dir):
    tf.io.gfile.rmtree(ckpt_dir)
  return summary


def _start_up(config):
  """The checks that need no model, before anything is written (see the module docstring)."""
  _prepare_output_dir(config.output_dir)
  _check_resume(config)
  latest = tf.train.latest_checkpoint(config.output_dir)
  if config.init_checkpoint and not latest:
    try:
      ckpt_load.detect_format(config.init_checkpoint)
    except ValueError as e:  # detect_format's errors: nothing usable at that path
      raise UserError(f"--init_checkpoint: {e}") from None
  if config.do_train:
    input_pipeline.check_input(config.input_file, *_record_shape(config), **_id_limits(config))


def _record_shape(config):
  return config.max_seq_length, config.max_predictions_per_seq


def _id_limits(config):
  """What input_pipeline checks ids against: the model's vocabularies."""
  return {"vocab_size": config.model.vocab_size,
          "type_vocab_size": config.model.type_vocab_size}


def _prepare_output_dir(output_dir):
  """Creates `output_dir` and checks it is a writable directory (UserError if not)."""
  if "://" in output_dir:  # gs:// and other remote file systems: gfile only
    with train_log.writing(output_dir):
      tf.io.gfile.makedirs(output_dir)
    return
  if os.path.exists(output_dir) and not os.path.isdir(output_dir):
    raise UserError(f"--output_dir={output_dir} is a file: give a directory (a new one, or "
                    f"that of an earlier run to resume it)")
  try:
    os.makedirs(output_dir, exist_ok=True)
    with tempfile.TemporaryFile(dir=output_dir):  # can we create files there?
      pass
  except OSError as e:
    message = describe(e)
    if message is None:
      raise
    raise UserError(f"--output_dir={output_dir}: {message}") from None


def _check_resume(config):
  """Refuses to resume a checkpoint of output_dir written with other settings (RESUME_KEYS and
  the model config), showing each difference as `key: old → new`; writes nothing."""
  latest = tf.train.latest_checkpoint(config.output_dir)
  path = os.path.join(config.output_dir, "config.json")
  if not latest or not tf.io.gfile.exists(path):
    return
  try:
    with tf.io.gfile.GFile(path) as f:
      old = json.load(f)
  except json.JSONDecodeError as e:
    raise UserError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}); it "
                    f"records the settings of {latest}: restore it, or choose a new "
                    f"--output_dir") from None
  new = json.loads(json.dumps(config.to_dict()))
  old = old if isinstance(old, dict) else {}
  differences = []
  old_model, new_model = old.get("albert_config", {}), new["albert_config"]
  for key in sorted(set(old_model) | set(new_model)):
    if old_model.get(key, "<absent>") != new_model.get(key, "<absent>"):
      differences.append(f"albert_config.{key}: {old_model.get(key, '<absent>')} → "
                         f"{new_model.get(key, '<absent>')}")
  old_run = old.get("pretraining", {})
  for key in RESUME_KEYS:
    if key in old_run and old_run[key] != new["pretraining"][key]:
      differences.append(f"{key}: {old_run[key]} → {new['pretraining'][key]}")
  if differences:
    raise UserError(f"--output_dir={config.output_dir} holds {os.path.basename(latest)} of a "
                    f"run with other settings ({'; '.join(differences)}): rerun with the "
                    f"settings in {path} to resume it, or choose a new --output_dir")


def _write_configs(config):
  with tf.io.gfile.GFile(os.path.join(config.output_dir, "config.json"), "w") as f:
    f.write(json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n")
  ckpt_load.write_config(config.output_dir, config.model)


def _load_weights(model, path, allow_missing_sop=False):
  """Weights only (no optimizer state), any format, strict (albert_tf/checkpoints/load.py)."""
  prefix = ckpt_load.load(model, path, allow_missing_sop=allow_missing_sop)
  train_log.log(f"initialised weights from {prefix}")
  return prefix


def _restore_model_for_eval(config, model):
  """Eval without training: weights from the latest checkpoint in output_dir, else init.

  Returns the global step of the evaluated weights (0 for --init_checkpoint)."""
  latest = tf.train.latest_checkpoint(config.output_dir)
  if latest:
    ckpt_load.load(model, latest)
    train_log.log(f"evaluating {latest}")
    return int(latest.rsplit("-", 1)[1])
  if config.init_checkpoint:
    _load_weights(model, config.init_checkpoint)
    return 0
  raise UserError(f"--do_eval without --do_train needs a checkpoint in --output_dir="
                  f"{config.output_dir} or --init_checkpoint: give one")


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


def _train(config, strategy, model, optimizer, steps, evaluator, ckpt_dir, chief, log):
  tracked = {"model": model, "optimizer": optimizer}
  # The step is known only after restoring; restore model/optimizer first, then the feed.
  model_ckpt = tf.train.Checkpoint(**tracked)
  latest = tf.train.latest_checkpoint(config.output_dir)
  if latest:
    model_ckpt.read(latest).expect_partial()
  # _start_up checked the input (validate=False: not again); every batch is range-checked.
  feed = input_pipeline.DataFeed(
      strategy, config.input_file, config.max_seq_length, config.max_predictions_per_seq,
      config.train_batch_size, config.grad_accum_steps, seed=config.seed,
      start_step=int(optimizer.iterations.numpy()), validate=False, **_id_limits(config))
  if feed.checkpointable:
    tracked["iterator"] = feed.iterator
  checkpoint = tf.train.Checkpoint(**tracked)
  manager = tf.train.CheckpointManager(checkpoint, ckpt_dir, config.keep_checkpoint_max,
                                       step_counter=optimizer.iterations,
                                       checkpoint_name="ckpt")
  if latest:  # every worker restores what the chief saved
    checkpoint.restore(latest).assert_existing_objects_matched()
    train_log.log(f"restored {latest}")
  elif config.init_checkpoint:  # MLM only: a tf-models checkpoint without SOP head will do
    _load_weights(model, config.init_checkpoint, config.sentence_objective == "none")
  step = int(optimizer.iterations.numpy())
  with train_log.writing(config.output_dir):
    if chief:
      _write_configs(config)
    log.truncate_after(step)
  last_saved = step
  total = config.num_train_steps
  train_log.log(f"training from step {step} to {total}; checkpoints every "
                f"{config.save_checkpoints_steps} steps in {config.output_dir}")
  status, last_eval = "done", None
  every = config.eval_every_steps
  # Long loops start small: 1, 2, 4, ... steps, then iterations_per_loop, so the first
  # progress line comes after one step (compile included) and not after the default 1000.
  # The schedule is a function of the loop count only (every worker takes the same one), n
  # stays capped at the next checkpoint / eval multiple, and num_steps is a tensor (no retrace).
  warmup = 1 if config.iterations_per_loop > GROW_LOOPS_ABOVE else None
  with _SigtermFlag() as sigterm:
    while step < total:
      n = min(config.iterations_per_loop, total - step,
              _steps_to_next_multiple(step, config.save_checkpoints_steps),
              _steps_to_next_multiple(step, every) if every else total)
      if warmup:
        n = min(n, warmup)
        warmup = warmup * 2 if warmup * 2 < config.iterations_per_loop else None
      start = time.time()
      with input_pipeline.explained_read_errors(config.input_file, *_record_shape(config),
                                                **_id_limits(config)):
        means, done, bad = steps.train_loop(feed, tf.constant(n, tf.int64))
      if int(bad) >= 0:
        raise NonFiniteLossError(
            f"non-finite loss at step {int(bad)}; stopped without saving. Last good "
            f"checkpoint: {manager.latest_checkpoint or 'none'} (step {last_saved}). "
            f"Lower --learning_rate (or raise --num_warmup_steps) and restart from it.")
      elapsed = time.time() - start
      step = int(optimizer.iterations.numpy())
      values = {name: float(value) for name, value in means.items()}
      if not math.isfinite(values["grad_norm"]):  # float16: every step of the loop skipped
        del values["grad_norm"]
      values["learning_rate"] = float(optimization.learning_rate_schedule(optimizer)(step - 1))
      values["examples_per_second"] = int(done) * config.train_batch_size / elapsed
      if steps.loss_scaling:  # float16: the dynamic loss scale after the loop
        values["loss_scale"] = float(optimizer.loss_scale)
      with train_log.writing(config.output_dir):
        log.write("train", step, values)
        train_log.log(train_log.progress_line(step, total, values, int(done) / elapsed,
                                              values["examples_per_second"]))
        if (step - last_saved >= config.save_checkpoints_steps or step >= total
            or sigterm.raised):
          manager.save(checkpoint_number=step)
          last_saved = step
      if sigterm.raised:
        train_log.log(f"SIGTERM: saved checkpoint at step {step}; exiting")
        status = "preempted"
        break
      if every and step % every == 0:
        last_eval = evaluator(step)
  summary = {"status": status, "step": step, "checkpoint": manager.latest_checkpoint}
  if last_eval:
    summary["eval"] = last_eval
  return summary


def _steps_to_next_multiple(step, every):
  return (step // every + 1) * every - step
