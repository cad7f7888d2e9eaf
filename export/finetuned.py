"""A fine-tuned checkpoint of albert_tf.finetune, restored with its task (library of the exports).

albert_tf.finetune.runner writes `seed_<s>/{best,last}/ckpt*` =
`tf.train.Checkpoint(model=<head model>)` with albert_config.json and task.json
{"task", "task_type", "labels", "max_seq_length", "encoder"} beside it. `load` rebuilds the
head model from those two files and reads the checkpoint strictly:

  task_type "glue"    heads.ClassifierModel, num_labels = len(labels) (1 for regression,
                      labels [] as STS-B)
  task_type "squad"   heads.SquadV1Model (SQuAD 1.1 only; v2's beam head is not exported)

Errors a user can fix (no checkpoint there, no task.json, a corrupt or mismatched
checkpoint) are errors.UserError naming the path.

Example:
    >>> load("/nonexistent/best")
    Traceback (most recent call last):
    albert_tf.errors.UserError: no TensorFlow checkpoint at /nonexistent/best (expected a directory or a prefix with a .index file)
"""
import dataclasses
import json
import os
from typing import Tuple

import tensorflow as tf

from albert_tf import cli_io
from albert_tf import errors
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import object_checkpoint
from albert_tf.checkpoints import paths

TASK_FILE = "task.json"
CONFIG_FILE = "albert_config.json"


@dataclasses.dataclass(frozen=True)
class Finetuned:
  """A restored fine-tuned model. `labels` () for regression and SQuAD."""
  model: object              # heads.ClassifierModel | heads.SquadV1Model, built and restored
  config: object             # the encoder's AlbertConfig
  task: str                  # e.g. "SST-2", "SQuAD-1.1"
  task_type: str             # "glue" | "squad"
  labels: Tuple[str, ...]
  max_seq_length: int
  prefix: str                # the checkpoint read

  @property
  def is_regression(self):
    return self.task_type == "glue" and not self.labels


def read_task(directory):
  """task.json of a fine-tuned checkpoint's directory (ValueError naming what is missing)."""
  path = os.path.join(directory, TASK_FILE)
  if not tf.io.gfile.exists(path):
    raise errors.UserError(f"{directory} has no {TASK_FILE}: not a checkpoint written by "
                           "albert_tf.finetune (the runner writes it beside seed_<s>/best and "
                           "last): pass such a checkpoint")
  with tf.io.gfile.GFile(path) as f:
    try:
      info = json.load(f)
    except json.JSONDecodeError as e:
      raise errors.UserError(f"{path}: not JSON ({e.msg} at line {e.lineno}, column "
                             f"{e.colno}): rewrite it or fine-tune again") from None
  if not isinstance(info, dict):
    raise errors.UserError(f"{path}: expected a JSON object: rewrite it or fine-tune again")
  missing = [k for k in ("task", "task_type", "labels", "max_seq_length") if k not in info]
  if missing:
    raise errors.UserError(f"{path} lacks {', '.join(missing)}: rewrite it or fine-tune again")
  return info


def build_head_model(config, task_type, task, labels):
  """The untrained head model of a task (built by one call on 4 tokens)."""
  from albert_tf.encoder import AlbertEncoder  # pylint: disable=import-outside-toplevel
  from albert_tf.finetune import heads  # pylint: disable=import-outside-toplevel
  encoder = AlbertEncoder(config).ensure_built()
  if task_type == "glue":
    model = heads.ClassifierModel(encoder, max(len(labels), 1))
  elif task_type == "squad" and "2.0" not in task:
    model = heads.SquadV1Model(encoder)
  else:
    raise errors.UserError(f"cannot export a {task} ({task_type}) model: only GLUE-style "
                           "classifiers/regressors and SQuAD 1.1 span models are exported")
  ones = tf.ones([1, 4], tf.int32)
  model({"input_word_ids": ones, "input_mask": ones, "input_type_ids": 0 * ones}, training=False)
  return model


def load(finetuned_checkpoint):
  """Finetuned from a checkpoint directory (e.g. <output_dir>/seed_0/best) or prefix."""
  with cli_io.reading_checkpoint("--finetuned_checkpoint", finetuned_checkpoint):
    prefix = paths.resolve_prefix(finetuned_checkpoint)
  directory = os.path.dirname(prefix) or "."
  info = read_task(directory)
  config_path = os.path.join(directory, CONFIG_FILE)
  if not tf.io.gfile.exists(config_path):
    raise errors.UserError(f"{directory} has no {CONFIG_FILE} (a model fine-tuned from a TF "
                           "Hub encoder has none and cannot be exported here)")
  config = ckpt_load.read_config(config_path)
  model = build_head_model(config, info["task_type"], info["task"], info["labels"])
  with cli_io.reading_checkpoint("--finetuned_checkpoint", finetuned_checkpoint):
    object_checkpoint.strict_read({"model": model}, prefix)
  return Finetuned(model, config, info["task"], info["task_type"], tuple(info["labels"]),
                   int(info["max_seq_length"]), prefix)

