"""RACE 4-way multiple choice (official run_race.py / race_utils).

Data: race_data (a RACE file or folder per split; each option packed as
[CLS] article [SEP] question+option [SEP], the question+option keeping its last max_qa_length
pieces). Head: heads.MultipleChoiceModel (one score per choice). Loss: softmax cross-entropy
over the 4 choices. Metric: accuracy.

Example:
    >>> task = RaceTask(RaceConfig(train_file="RACE/train", eval_file="RACE/dev",
    ...                            output_dir="/tmp/race", encoder=None))
    >>> task.name, task.labels, task.hparams.max_seq_length, task.config.max_qa_length
    ('RACE', ('A', 'B', 'C', 'D'), 512, 128)
"""
import dataclasses
from typing import ClassVar

import numpy as np

from albert_tf.finetune import heads, metrics, race_data
from albert_tf.finetune.tasks import base


@dataclasses.dataclass(kw_only=True)
class RaceConfig(base.RunConfig):
  task_type: ClassVar[str] = "race"
  train_file: str                      # RACE file or folder
  eval_file: str
  max_qa_length: int = 128             # the question+option keeps its last N pieces
  max_train_examples: int = None       # questions
  max_eval_examples: int = None
  eval_batch_size: int = 16            # 4 sequences per question


class RaceTask(base.Task):
  """RACE on config.train_file / config.eval_file (see the module docstring)."""
  name = "RACE"
  labels = ("A", "B", "C", "D")

  @property
  def primary_metric(self):
    return "accuracy"

  def read_split(self, split):
    if split == "train":
      return race_data.read_race(self.config.train_file)[:self.config.max_train_examples]
    return race_data.read_race(self.config.eval_file)[:self.config.max_eval_examples]

  def features(self, examples, tokenizer, training):
    del training
    return race_data.examples_to_features(examples, tokenizer, self.hparams.max_seq_length,
                                          self.config.max_qa_length)

  def build_model(self, encoder):
    return heads.MultipleChoiceModel(encoder, race_data.NUM_CHOICES,
                                     self.hparams.classifier_dropout)

  def loss(self, outputs, batch):
    return heads.classification_loss(outputs, batch)

  def evaluate(self, model, eval_features, directory):
    del directory
    features = eval_features["dev"]
    logits = self.predict(model, features)
    return {"accuracy": metrics.accuracy(features["label"], np.argmax(logits, -1))}

  def describe(self, examples):
    return {"num_train_examples": len(examples["train"]),
            "num_eval_examples": len(examples["dev"])}
