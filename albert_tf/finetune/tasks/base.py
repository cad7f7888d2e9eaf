"""The fine-tuning task interface, and the run configuration every task type extends.

A Task is one fine-tuning problem bound to its data (a GLUE task and its data_dir, a SQuAD
version and its files, RACE and its files). albert_tf.finetune.runner drives it:

  read_split(split) → examples        "train" (None: nothing to train on, predict only) and
                                      each of eval_splits
  features(examples, tokenizer, training) → dict of equal-length numpy arrays [N, ...]: the
                                      model inputs (input_keys) and, for training, the labels
                                      the loss reads; an eval dict may add non-array entries
                                      its evaluate needs (SQuAD: the span maps)
  build_model(encoder) → tf_keras.Model   encoder + head, called inside the strategy scope
  loss(outputs, batch) → [B]          per-example loss (the loop averages over the global batch)
  evaluate(model, eval_features, directory) → {metric: float}; eval_features maps each eval
                                      split to its features; prediction files (named in
                                      prediction_files) go into directory
  primary_metric                      the metric that picks the best checkpoint
  name, labels, hparams               results.json's "task", task.json's "labels", the run's
                                      hyperparameters (config.hparams, else hparams.PAPER[name])

A task type is a RunConfig subclass (its data options; `task_type` names it) plus a Task
subclass built from it, registered in tasks/__init__.py (TASK_TYPES).

Example:
    >>> from albert_tf.finetune.tasks import glue_task
    >>> task = glue_task.GlueTask(glue_task.GlueConfig(
    ...     task="rte", data_dir="glue/RTE", output_dir="/tmp/rte", encoder=None))
    >>> task.name, task.labels, task.primary_metric, task.hparams.learning_rate
    ('RTE', ('entailment', 'not_entailment'), 'accuracy', 3e-05)
"""
import abc
import dataclasses
from typing import ClassVar

from albert_tf.finetune import finetuning_loop
from albert_tf.finetune import hparams as hparams_lib


@dataclasses.dataclass(kw_only=True)
class RunConfig:
  """How to fine-tune: encoder, hyperparameters, seeds, evaluation, precision, outputs."""
  task_type: ClassVar[str] = None      # the TASK_TYPES key of a subclass
  output_dir: str
  encoder: object                      # encoders.EncoderSpec
  hparams: hparams_lib.HParams = None  # None: the task's paper values (hparams.PAPER)
  seeds: tuple = (0,)
  eval_every: int = 0                  # 0: evaluate only at the end
  eval_batch_size: int = 64
  mixed_precision: str = "float32"     # a configs.PRECISIONS spelling
  strategy: str = "auto"
  log_every: int = 50
  save_checkpoints: bool = True
  finetuned_checkpoint: str = None     # no train split: evaluate this fine-tuned checkpoint


class Task(abc.ABC):
  """One fine-tuning problem with its data (see the module docstring)."""
  name: str = None
  labels: tuple = ()                   # class names; () for regression and spans
  input_keys = ("input_word_ids", "input_mask", "input_type_ids")
  eval_splits = ("dev",)
  prediction_files = ()                # copied from seed_<first>/ to output_dir

  def __init__(self, config):
    self.config = config

  @property
  def paper_hparams(self):
    return hparams_lib.PAPER[self.name]

  @property
  def hparams(self):
    return self.config.hparams or self.paper_hparams

  @property
  @abc.abstractmethod
  def primary_metric(self):
    """Name of the metric (a key of evaluate's dict) that picks the best checkpoint."""

  @abc.abstractmethod
  def read_split(self, split):
    """Examples of "train" (None if the task has no training data) or an eval split."""

  @abc.abstractmethod
  def features(self, examples, tokenizer, training):
    """Dict of numpy arrays [N, ...] (input_keys, labels); see the module docstring."""

  @abc.abstractmethod
  def build_model(self, encoder):
    """tf_keras.Model: the encoder plus this task's head."""

  @abc.abstractmethod
  def loss(self, outputs, batch):
    """Per-example loss [B] of the model's training outputs."""

  @abc.abstractmethod
  def evaluate(self, model, eval_features, directory):
    """{metric: float} on the eval splits; may write prediction files into directory."""

  def sample_texts(self, train_examples):
    """Texts checked against a --hub_preprocessor's tokenization (none by default)."""
    del train_examples
    return []

  def describe(self, examples):
    """Entries results.json adds; examples: {"train": list or None, split: list}."""
    return {"num_train_examples": len(examples["train"] or ()),
            "num_eval_examples": {split: len(examples[split]) for split in self.eval_splits}}

  def predict(self, model, features):
    """model(training=False) over the input_keys of features, in eval_batch_size batches."""
    return finetuning_loop.predict(model, features, self.config.eval_batch_size,
                                   keys=self.input_keys)
