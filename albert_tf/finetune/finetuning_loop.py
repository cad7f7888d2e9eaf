"""The fine-tuning loop: one model, one seed (the runner calls it once per seed).

  AdamW (official AdamWeightDecayOptimizer: no bias correction, weight decay 0.01 except
  LayerNorm/bias, global-norm clip 1.0) with linear warmup then linear decay to 0 over
  `train_steps` (albert_tf.optimization.create_optimizer, as the official fine-tuning scripts).
  Every `eval_every` steps (and at the end) `evaluate(model)` returns a metrics dict; the
  checkpoint with the best `primary_metric` is kept in `<output_dir>/best/` (the maintainer's
  "best dev checkpoint", docs/user_reports.md A9), the last one in `<output_dir>/last/`, and the
  history in `<output_dir>/eval_history.jsonl`.

Progress: every `log_every` steps a line `step s/total | loss | lr | steps/s | ETA`, and
TensorBoard scalars (`tensorboard --logdir <output_dir>`; train_log.TrainLog, so also
`<output_dir>/metrics.jsonl`): train/loss and train/learning_rate every log_every steps,
eval/<metric> at every evaluation.

A loss that is NaN or infinite stops training at once with TrainingDivergedError (a one-line
errors.UserError naming the step, seed and learning rate): nothing after it, no evaluation,
no checkpoint and in the runner no results.json, would mean anything.

Mixed precision (`precision`): the spellings of configs.PRECISIONS, as in pretraining:
float32, bfloat16 or float16, or the Keras policy names mixed_bfloat16 / mixed_float16 for the
same; float16 trains with dynamic loss scaling. Heads compute their logits in float32.
"""
import contextlib
import dataclasses
import json
import logging
import math
import os
import shutil
import time
import weakref

import numpy as np
import tensorflow as tf
import tf_keras

from albert_tf import cli_io
from albert_tf import configs
from albert_tf import errors
from albert_tf import optimization
from albert_tf import train_log


class TrainingDivergedError(errors.UserError):
  """The training loss became NaN or infinite (message: the step and what to try)."""


@dataclasses.dataclass
class TrainConfig:
  learning_rate: float
  batch_size: int
  train_steps: int
  warmup_steps: int = 0
  eval_every: int = 0                 # 0: evaluate only at the end
  weight_decay_rate: float = 0.01
  clip_norm: float = 1.0
  seed: int = 0
  log_every: int = 50
  save_checkpoints: bool = True


@contextlib.contextmanager
def precision(name):
  """Sets the global Keras policy of a --mixed_precision value; restores the previous one."""
  policy = configs.precision_policy(name)        # ValueError naming the spellings
  previous = tf_keras.mixed_precision.global_policy()
  tf_keras.mixed_precision.set_global_policy(policy)
  try:
    yield
  finally:
    tf_keras.mixed_precision.set_global_policy(previous)


def make_strategy(name="auto"):
  from albert_tf import distribute  # pylint: disable=import-outside-toplevel
  return distribute.make_strategy(name)


def train_dataset(features, batch_size, seed):
  """Shuffled, repeated, fixed-shape batches from a dict of equal-length numpy arrays."""
  n = len(next(iter(features.values())))
  if n == 0:
    raise errors.UserError("no training examples: the train file (or --max_train_examples) "
                           "leaves none")
  ds = tf.data.Dataset.from_tensor_slices(features)
  ds = ds.shuffle(min(n, 100_000), seed=seed, reshuffle_each_iteration=True).repeat()
  return ds.batch(batch_size, drop_remainder=True).prefetch(2)


def write_checkpoint(checkpoint, prefix):
  """checkpoint.write(prefix); a write the disk refused is a one-line errors.UserError."""
  try:
    checkpoint.write(prefix)
  except tf.errors.OpError as e:
    os_error = cli_io.filesystem_error(e)
    hint = errors.storage_hint(os_error)
    if hint is None:
      raise
    # TF writes into <prefix>_temp/ and renames at the end: drop the partial files.
    shutil.rmtree(prefix + "_temp", ignore_errors=True)
    raise errors.UserError(f"{prefix}: cannot write the checkpoint ({os_error.strerror}): "
                           f"{hint}") from None


_PREDICT_FNS = weakref.WeakKeyDictionary()   # model → its traced inference function


def predict(model, features, batch_size, keys=None):
  """Runs model(training=False) over a dict of numpy arrays; returns a dict of numpy outputs."""
  ds = tf.data.Dataset.from_tensor_slices(
      {k: v for k, v in features.items() if keys is None or k in keys}).batch(batch_size)
  if model not in _PREDICT_FNS:
    _PREDICT_FNS[model] = tf.function(lambda batch: model(batch, training=False),
                                      reduce_retracing=True)
  step = _PREDICT_FNS[model]
  outputs = []
  for batch in ds:
    out = step(batch)
    outputs.append(tf.nest.map_structure(lambda t: t.numpy(), out))
  if not outputs:
    return {}
  if isinstance(outputs[0], dict):
    return {k: np.concatenate([o[k] for o in outputs]) for k in outputs[0]}
  return np.concatenate(outputs)


def progress_line(step, total, values, elapsed_s):
  """`step s/total | loss | lr | steps/s | ETA` (the rate is the mean since the start).

  >>> progress_line(50, 200, {"loss": 0.69, "learning_rate": 2e-5}, 25.0)
  'step 50/200 | loss 0.6900 | lr 2e-05 | 2.00 steps/s | ETA 00:01:15'
  """
  rate = step / elapsed_s if elapsed_s > 0 else float("inf")
  eta = train_log.format_eta((total - step) / rate)
  return (f"step {step}/{total} | loss {values['loss']:.4f} | lr {values['learning_rate']:.3g} "
          f"| {rate:.2f} steps/s | ETA {eta}")


def train_and_evaluate(build_model, loss_fn, features, evaluate, primary_metric, config,
                       output_dir, strategy=None, on_save=None):
  """Trains one model; returns {"best": metrics, "best_step", "last": metrics, "history"}.

  build_model() → tf_keras.Model, called inside the strategy scope.
  loss_fn(outputs, batch) → per-example loss [B].
  evaluate(model) → dict of floats (contains primary_metric).
  on_save(directory), if given, runs after each checkpoint write (best/, last/).
  """
  strategy = strategy or tf.distribute.get_strategy()
  os.makedirs(output_dir, exist_ok=True)
  tf_keras.utils.set_random_seed(config.seed)
  with strategy.scope():
    model = build_model()
    optimizer = optimization.create_optimizer(
        "adamw", config.learning_rate, config.train_steps, config.warmup_steps,
        weight_decay_rate=config.weight_decay_rate, clip_norm=config.clip_norm)
    loss_scaled = tf_keras.mixed_precision.global_policy().name == "mixed_float16"
    if loss_scaled:
      optimizer = tf_keras.mixed_precision.LossScaleOptimizer(optimizer)
  dataset = strategy.experimental_distribute_dataset(
      train_dataset(features, config.batch_size, config.seed))

  def replica_step(batch):
    with tf.GradientTape() as tape:
      outputs = model(batch, training=True)
      per_example = loss_fn(outputs, batch)
      loss = tf.nn.compute_average_loss(per_example, global_batch_size=config.batch_size)
      scaled = optimizer.get_scaled_loss(loss) if loss_scaled else loss
    grads = tape.gradient(scaled, model.trainable_variables)
    if loss_scaled:
      grads = optimizer.get_unscaled_gradients(grads)
    # Heads that ignore pooled_output (SQuAD) leave the pooler without gradients.
    optimizer.apply_gradients([(g, v) for g, v in zip(grads, model.trainable_variables)
                               if g is not None])
    return loss

  @tf.function
  def train_step(batch):
    losses = strategy.run(replica_step, args=(batch,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

  checkpoint = tf.train.Checkpoint(model=model)

  def save(name):
    write_checkpoint(checkpoint, os.path.join(output_dir, name, "ckpt"))
    if on_save:
      on_save(os.path.join(output_dir, name))

  history, best, best_step, last = [], None, None, None
  eval_steps = set(range(config.eval_every, config.train_steps + 1, config.eval_every)
                   if config.eval_every else [])
  eval_steps.add(config.train_steps)
  history_path = os.path.join(output_dir, "eval_history.jsonl")
  open(history_path, "w").close()
  log = train_log.TrainLog(output_dir)
  learning_rate = optimization.learning_rate_schedule(optimizer)
  iterator = iter(dataset)
  losses, start = [], time.time()
  for step in range(1, config.train_steps + 1):
    losses.append(float(train_step(next(iterator))))
    if not math.isfinite(losses[-1]):
      log.close()
      raise TrainingDivergedError(
          f"training diverged: the loss is {losses[-1]} at step {step} of "
          f"{config.train_steps} (seed {config.seed}, learning rate {config.learning_rate:g}): "
          "lower --learning_rate, or check the labels and --mixed_precision")
    if config.log_every and step % config.log_every == 0:
      values = {"loss": float(np.mean(losses[-config.log_every:])),
                "learning_rate": float(learning_rate(step - 1))}
      log.write("train", step, values)
      logging.info("%s", progress_line(step, config.train_steps, values, time.time() - start))
    if step not in eval_steps:
      continue
    metrics = dict(evaluate(model))
    metrics.update(step=step, train_loss=float(np.mean(losses[-max(config.log_every, 1):])))
    history.append(metrics)
    with open(history_path, "a") as f:
      f.write(json.dumps(metrics) + "\n")
    log.write("eval", step, {k: v for k, v in metrics.items()
                             if k != "step" and isinstance(v, (int, float, np.number))})
    logging.info("eval at step %d: %s", step, metrics)
    last = metrics
    if best is None or metrics[primary_metric] > best[primary_metric]:
      best, best_step = metrics, step
      if config.save_checkpoints:
        save("best")
  if config.save_checkpoints:
    save("last")
  log.close()
  return {"best": best, "best_step": best_step, "last": last, "history": history,
          "train_losses": losses, "model": model}

