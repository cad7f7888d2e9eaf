r"""Runs one fine-tuning task: the seed loop, best checkpoints, results.json (every task type).

  run(config)   config: a task type's RunConfig (tasks/*_task.py); builds its Task, then
                reads and featurizes the data once and, per seed s in config.seeds, trains
                with finetuning_loop.train_and_evaluate in <output_dir>/seed_<s>/ (best/ and
                last/ checkpoints, eval_history.jsonl, the task's prediction files; those of
                the first seed are copied to <output_dir>/; TensorBoard train/ and eval/ and
                their metrics.jsonl: `tensorboard --logdir <output_dir>` shows every seed)

A task without training data (SQuAD with only a predict file) is evaluated once instead,
from config.finetuned_checkpoint (read strictly) or from the untrained model, into
<output_dir>/.

Beside every checkpoint written (seed_<s>/best/, seed_<s>/last/): albert_config.json (the
encoder's config, not for Hub encoders) and task.json {"task", "task_type", "labels" ([] for
regression and spans), "max_seq_length", "encoder"}, so a fine-tuned model can be reloaded and
exported without the command that trained it.

Before any data is read, the encoder's files are checked (encoders.check_sources) and
output_dir is made and tried with a small file, so a missing --init_checkpoint or an output_dir
that is a file or read-only fails at once with a one-line errors.UserError / OSError. Every
split must hold at least one example (the readers raise a UserError naming the file
otherwise). results.json is written last, through a temporary file, so it exists only when
the whole run succeeded; any failure (a diverged loss, a full disk) leaves none.

<output_dir>/results.json: task, encoder, primary_metric, hparams, seeds, the task's own
entries (Task.describe: example counts; SQuAD: version, stats), per_seed (best and last
metrics, best_step, first/last train loss) and summary: mean, std, median, best and min over
seeds of each metric, for the best and the last evaluation (the paper reports the median of 5
runs; docs/user_reports.md A9). Predict-only: seeds [], per_seed one entry with seed None, summary
null.

Usage (random-init albert_tiny on a GLUE-format folder; about a minute on 2 CPU cores):
    from albert_tf.finetune import encoders, runner
    from albert_tf.finetune.tasks.glue_task import GlueConfig
    results = runner.run(GlueConfig(
        task="SST-2", data_dir="tests/testdata/glue_samples/SST-2", output_dir="/tmp/sst2",
        encoder=encoders.EncoderSpec(preset="albert_tiny"), seeds=(0, 1)))

Example (the over-seed summary):
    >>> runs = [{"best": {"accuracy": a}, "last": {"accuracy": a, "train_loss": 0.3}}
    ...         for a in (0.8, 0.9)]
    >>> summarize_seeds(runs)["best"]["accuracy"]["median"]
    0.85...
"""
import dataclasses
import json
import logging
import os
import shutil

import numpy as np

from albert_tf import errors
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import object_checkpoint
from albert_tf.checkpoints import paths as ckpt_paths
from albert_tf.finetune import encoders, finetuning_loop, metrics, tasks


def run(config):
  """Fine-tunes config's task once per seed (or only evaluates); returns results.json's dict."""
  task = tasks.make(config)
  encoders.check_sources(config.encoder)
  # A bad model config (or one contradicting the checkpoint's) fails before any output.
  if not config.encoder.hub_encoder:
    encoders._albert_config(config.encoder)  # pylint: disable=protected-access
  if config.finetuned_checkpoint and not ckpt_paths.exists(config.finetuned_checkpoint):
    raise errors.UserError(f"--finetuned_checkpoint={config.finetuned_checkpoint}: no such "
                           "checkpoint (no file, folder or .index): check the path")
  check_output_dir(config.output_dir)
  with finetuning_loop.precision(config.mixed_precision):
    examples, features = _prepare(task, config.encoder)
    trained = features["train"] is not None
    builder = _ModelBuilder(task, config.encoder)
    strategy = finetuning_loop.make_strategy(config.strategy)
    evals = {split: features[split] for split in task.eval_splits}
    if trained:
      runs = [_train_one_seed(task, builder, features["train"], evals, seed, strategy)
              for seed in config.seeds]
    else:
      runs = [_evaluate_only(task, builder, evals, strategy)]
  results = {"task": task.name, "encoder": builder.description,
             "primary_metric": task.primary_metric, "hparams": dataclasses.asdict(task.hparams),
             "seeds": list(config.seeds) if trained else [], **task.describe(examples),
             "per_seed": runs, "summary": summarize_seeds(runs) if trained else None}
  write_json_atomically(os.path.join(config.output_dir, "results.json"), results)
  return results


def check_output_dir(output_dir):
  """Makes output_dir and writes (then removes) a probe file in it.

  An output_dir that is a file is a UserError; a read-only or unwritable one raises the
  OSError (EROFS, EACCES: errors.describe names the path), before hours of training.
  """
  if not output_dir:
    raise errors.UserError("--output_dir is empty: give the folder for results and checkpoints")
  if os.path.exists(output_dir) and not os.path.isdir(output_dir):
    raise errors.UserError(f"--output_dir={output_dir}: is a file, not a directory: give a "
                           "folder path (it is created if missing)")
  os.makedirs(output_dir, exist_ok=True)
  probe = os.path.join(output_dir, ".write_probe")
  with open(probe, "w", encoding="utf-8") as f:
    f.write("ok\n")
  os.remove(probe)


def write_json_atomically(path, value):
  """json.dump into `path` via `path`.tmp and a rename: a failed write (full disk) leaves no
  truncated file where a complete one is expected."""
  tmp = path + ".tmp"
  try:
    with open(tmp, "w", encoding="utf-8") as f:
      json.dump(value, f, indent=2, ensure_ascii=False)
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise


def _prepare(task, encoder_spec):
  """({split: examples}, {split: features}) for "train" (None: none) and the eval splits."""
  tokenizer = encoders.make_tokenizer(encoder_spec)
  examples = {"train": task.read_split("train")}
  features = {"train": None}
  if examples["train"] is not None and not examples["train"]:
    raise errors.UserError(f"{task.name}: the train split has no examples: nothing to train "
                           "on (check the file and --max_train_examples)")
  if examples["train"] is not None:
    encoders.check_hub_preprocessor(encoder_spec, tokenizer, task.sample_texts(examples["train"]))
    features["train"] = task.features(examples["train"], tokenizer, training=True)
  for split in task.eval_splits:
    examples[split] = task.read_split(split)
    if not examples[split]:   # e.g. --max_eval_examples=0: a metric of nothing
      raise errors.UserError(f"{task.name}: the {split} split has no examples: nothing to "
                             "evaluate (check the file and --max_eval_examples)")
    features[split] = task.features(examples[split], tokenizer, training=False)
  logging.info("%s: %s", task.name, task.describe(examples))
  return examples, features


class _ModelBuilder:
  """build_model() for the loop; remembers the encoder's description and AlbertConfig."""

  def __init__(self, task, encoder_spec):
    self.task, self.encoder_spec = task, encoder_spec
    self.description = self.albert_config = None

  def __call__(self):
    encoder, self.description = encoders.build_encoder(self.encoder_spec,
                                                       self.task.hparams.max_seq_length)
    self.albert_config = getattr(encoder, "config", None)     # None: a Hub encoder
    return self.task.build_model(encoder)

  def write_beside(self, directory):
    """albert_config.json and task.json into a checkpoint's directory."""
    if self.albert_config is not None:
      ckpt_load.write_config(directory, self.albert_config)
    info = {"task": self.task.name, "task_type": self.task.config.task_type,
            "labels": list(self.task.labels),
            "max_seq_length": self.task.hparams.max_seq_length, "encoder": self.description}
    with open(os.path.join(directory, "task.json"), "w", encoding="utf-8") as f:
      json.dump(info, f, indent=2)


def _train_one_seed(task, builder, train_features, evals, seed, strategy):
  config, hp = task.config, task.hparams
  seed_dir = os.path.join(config.output_dir, f"seed_{seed}")
  train_config = finetuning_loop.TrainConfig(
      learning_rate=hp.learning_rate, batch_size=hp.batch_size, train_steps=hp.train_steps,
      warmup_steps=hp.warmup_steps, eval_every=config.eval_every, seed=seed,
      log_every=config.log_every, save_checkpoints=config.save_checkpoints)
  result = finetuning_loop.train_and_evaluate(
      builder, task.loss, train_features, lambda model: task.evaluate(model, evals, seed_dir),
      task.primary_metric, train_config, seed_dir, strategy, on_save=builder.write_beside)
  logging.info("seed %d: best %s at step %s", seed, result["best"], result["best_step"])
  if seed == config.seeds[0]:
    for name in task.prediction_files:
      if os.path.exists(os.path.join(seed_dir, name)):
        shutil.copy(os.path.join(seed_dir, name), os.path.join(config.output_dir, name))
  return {"seed": seed, "best": result["best"], "best_step": result["best_step"],
          "last": result["last"], "first_train_loss": result["train_losses"][0],
          "last_train_loss": float(np.mean(result["train_losses"][-3:]))}


def _evaluate_only(task, builder, evals, strategy):
  """One evaluation into output_dir, of config.finetuned_checkpoint if given (strict)."""
  with strategy.scope():
    model = builder()
    if task.config.finetuned_checkpoint:
      # Build every head variable (one example of the first eval split), then read strictly.
      first = evals[task.eval_splits[0]]
      model({k: v[:1] for k, v in first.items() if k in task.input_keys}, training=False)
      object_checkpoint.strict_read({"model": model}, task.config.finetuned_checkpoint)
  scores = task.evaluate(model, evals, task.config.output_dir)
  return {"seed": None, "best": scores, "last": scores, "best_step": 0}


def summarize_seeds(runs):
  """{"best"|"last": {metric: metrics.summarize over seeds}} of every float metric the
  evaluation returns (train_loss, recorded with each evaluation, left out)."""
  names = [name for name, value in runs[0]["last"].items()
           if isinstance(value, float) and name != "train_loss"]
  return {which: {name: metrics.summarize([r[which][name] for r in runs]) for name in names}
          for which in ("best", "last")}
