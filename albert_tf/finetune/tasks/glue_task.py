"""GLUE (and GLUE-format) sentence / sentence-pair classification and regression.

One class for every GLUE task: the task's labels, file layouts and metrics are its entry in
glue.TASKS, its paper hyperparameters its row of hparams.PAPER. Head: heads.ClassifierModel
(pooled output → dropout → dense; STS-B one regression output). Loss: softmax cross-entropy,
squared error for STS-B. Metrics: the task's (glue.TASKS[...].metrics) on every dev split,
named `<split>_<metric>` when there are several (MNLI: matched_accuracy, ...); the first one
picks the best checkpoint.

Example:
    >>> task = GlueTask(GlueConfig(task="MNLI", data_dir="glue/MNLI", output_dir="/tmp/mnli",
    ...                            encoder=None))
    >>> task.eval_splits, task.metric_names
    (('matched', 'mismatched'), ['matched_accuracy', 'mismatched_accuracy'])
"""
import dataclasses
import os
from typing import ClassVar

import numpy as np

from albert_tf.finetune import classifier_data, glue, heads, metrics
from albert_tf.finetune.tasks import base


@dataclasses.dataclass(kw_only=True)
class GlueConfig(base.RunConfig):
  task_type: ClassVar[str] = "glue"
  task: str                            # a glue.TASKS name ("sst2" = "SST-2")
  data_dir: str                        # the task's train.tsv and dev TSV files
  train_file: str = None               # train file name inside data_dir (default train.tsv)
  max_train_examples: int = None
  max_eval_examples: int = None        # per dev split


class GlueTask(base.Task):
  """A glue.TASKS entry and its data_dir (see the module docstring)."""

  def __init__(self, config):
    super().__init__(config)
    self.spec = glue.get_task(config.task)
    self.name, self.labels = self.spec.name, self.spec.labels
    self.eval_splits = tuple(split for split, _ in self.spec.eval_files)
    self.metric_names = [self._metric_name(split, name)
                         for split in self.eval_splits for name in self.spec.metrics]

  def _metric_name(self, split, name):
    return name if len(self.eval_splits) == 1 else f"{split}_{name}"

  @property
  def primary_metric(self):
    return self.metric_names[0]

  def read_split(self, split):
    c = self.config
    if split != "train":
      return glue.read_split(self.spec, c.data_dir, split)[:c.max_eval_examples]
    examples = (glue.read_tsv_examples(self.spec, os.path.join(c.data_dir, c.train_file))
                if c.train_file else glue.read_split(self.spec, c.data_dir, "train"))
    return examples[:c.max_train_examples]

  def features(self, examples, tokenizer, training):
    del training
    return classifier_data.examples_to_features(self.spec, examples, tokenizer,
                                                self.hparams.max_seq_length)

  def build_model(self, encoder):
    return heads.ClassifierModel(encoder, self.spec.num_labels, self.hparams.classifier_dropout)

  def loss(self, outputs, batch):
    if self.spec.is_regression:
      return heads.regression_loss(outputs, batch)
    return heads.classification_loss(outputs, batch)

  def evaluate(self, model, eval_features, directory):
    del directory
    out = {}
    for split, features in eval_features.items():
      logits = self.predict(model, features)
      predictions = logits[:, 0] if self.spec.is_regression else np.argmax(logits, axis=-1)
      for name, value in metrics.compute(self.spec.metrics, features["label"],
                                         predictions).items():
        out[self._metric_name(split, name)] = value
    return out

  def sample_texts(self, train_examples):
    return [example.text_a for example in train_examples[:8]]
