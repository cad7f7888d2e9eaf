"""SQuAD v1.1 / v2.0 extractive question answering (official run_squad_v1.py / run_squad_v2.py).

Data: squad_data (SQuAD JSON → doc-stride features; train_file to train on, predict_file to
predict and, when it has answers, evaluate). Heads: heads.SquadV1Model (start/end logits) and
heads.SquadV2Model (XLNet-style beam and answerability logit). Loss: heads.squad_v1_loss /
squad_v2_loss.

Each evaluation writes into its directory (the runner's seed_<s>/; the first seed's are also
copied to output_dir): predictions.json (question id → answer text, "" = no answer; the official
evaluators' input), nbest_predictions.json, and for v2.0 null_odds.json (question id → null
score, the evaluator's --na-prob-file) and predictions_non_null.json. Metrics: the official
EM/F1 (v2.0 also HasAns/NoAns and best_exact/best_f1 with their thresholds, computed on the
non-null predictions as the official ALBERT v2 script does); f1 (v1.1) or best_f1 (v2.0)
picks the best checkpoint. A predict file without answers scores f1 = best_f1 = 0.

Example:
    >>> task = SquadTask(SquadConfig(version="2.0", predict_file="dev-v2.0.json",
    ...                              output_dir="/tmp/squad", encoder=None))
    >>> task.name, task.primary_metric, task.eval_splits, task.hparams.max_seq_length
    ('SQuAD-2.0', 'best_f1', ('predict',), 512)
"""
import collections
import dataclasses
import json
import os
import sys
from typing import ClassVar

import tensorflow as tf

from albert_tf.finetune import heads, squad_data, squad_decode, squad_metrics
from albert_tf.finetune.tasks import base

_NO_SCORE = {"f1": 0.0, "best_f1": 0.0}


@dataclasses.dataclass(kw_only=True)
class SquadConfig(base.RunConfig):
  task_type: ClassVar[str] = "squad"
  version: str                         # "1.1" | "2.0": head, loss and evaluation
  train_file: str = None               # SQuAD JSON (None: only predict)
  predict_file: str = None             # SQuAD JSON (evaluated if it has answers)
  doc_stride: int = 128                # pieces between document spans
  max_query_length: int = 64           # questions keep their first N pieces
  n_best_size: int = 20
  max_answer_length: int = 30          # pieces
  start_n_top: int = 5                 # v2.0 beam: start candidates
  end_n_top: int = 5                   # v2.0 beam: end candidates per start
  null_score_threshold: float = 0.0    # v2.0: no answer when the null score exceeds this
  max_train_examples: int = None       # questions
  max_predict_examples: int = None


def _write_json(path, value):
  with open(path, "w", encoding="utf-8") as f:
    json.dump(value, f, indent=2, ensure_ascii=False)


def _limit(dataset, max_questions):
  """A copy of a SQuAD dict holding only its first max_questions questions."""
  if max_questions is None:
    return dataset
  out, left = {"version": dataset.get("version"), "data": []}, max_questions
  for article in dataset["data"]:
    paragraphs = []
    for paragraph in article["paragraphs"]:
      if left <= 0:
        break
      qas = paragraph["qas"][:left]
      left -= len(qas)
      paragraphs.append({**paragraph, "qas": qas})
    if paragraphs:
      out["data"].append({**article, "paragraphs": paragraphs})
  return out


class SquadTask(base.Task):
  """SQuAD config.version on config.train_file / predict_file (see the module docstring)."""
  input_keys = ("input_word_ids", "input_mask", "input_type_ids", "p_mask")
  prediction_files = ("predictions.json", "nbest_predictions.json", "null_odds.json",
                      "predictions_non_null.json")

  def __init__(self, config):
    super().__init__(config)
    if not config.train_file and not config.predict_file:
      raise squad_data.SquadDataError("give --train_file and/or --predict_file")
    self.name, self.v2 = f"SQuAD-{config.version}", config.version == "2.0"
    self.eval_splits = ("predict",) if config.predict_file else ()
    self.stats = collections.Counter()   # reading and feature statistics, for results.json
    self.datasets = {}                   # split → the SQuAD dict read (the evaluator's input)

  @property
  def primary_metric(self):
    return "best_f1" if self.v2 else "f1"

  def read_split(self, split):
    c = self.config
    path, limit = ((c.train_file, c.max_train_examples) if split == "train"
                   else (c.predict_file, c.max_predict_examples))
    if path is None:
      return None
    self.datasets[split] = _limit(squad_data.load_squad(path), limit)
    training = split == "train"
    examples = squad_data.read_squad(self.datasets[split], training, c.version,
                                     self.stats if training else None)
    if not examples:
      what = "questions to train on" if training else "questions to predict"
      if training and self.stats["answer_not_found"]:
        what += " (no answer was found in its context)"
      raise squad_data.SquadDataError(f"{path}: no {what}: the file needs at least one")
    if training:
      summary = squad_data.summarize_stats(self.stats, path)
      if summary:   # printed, not only logged: these answers change what is trained on
        print(summary, file=sys.stderr, flush=True)
    return examples

  def features(self, examples, tokenizer, training):
    c = self.config
    features, metas, contexts = squad_data.convert_examples_to_features(
        examples, tokenizer, max_seq_length=self.hparams.max_seq_length,
        doc_stride=c.doc_stride, max_query_length=c.max_query_length, version=c.version,
        is_training=training, stats=self.stats)
    which = "train" if training else "predict"
    self.stats[f"{which}_examples"] = len(examples)
    self.stats[f"{which}_features"] = len(metas)
    if training:
      return features
    return {**features, "examples": examples, "metas": metas, "contexts": contexts}

  def build_model(self, encoder):
    if not self.v2:
      return heads.SquadV1Model(encoder)
    hidden = encoder.config.hidden_size if hasattr(encoder, "config") else None
    if hidden is None:   # Hub encoder: read the width off one call
      probe = encoder({k: tf.zeros([1, 2], tf.int32) for k in self.input_keys[:3]})
      hidden = int(probe["sequence_output"].shape[-1])
    return heads.SquadV2Model(encoder, hidden, self.config.start_n_top, self.config.end_n_top,
                              dropout_rate=0.1)

  def loss(self, outputs, batch):
    return heads.squad_v2_loss(outputs, batch) if self.v2 else heads.squad_v1_loss(outputs, batch)

  def evaluate(self, model, eval_features, directory):
    if "predict" not in eval_features:
      return dict(_NO_SCORE)
    c, f = self.config, eval_features["predict"]
    outputs = self.predict(model, f)
    decode_args = (f["examples"], f["metas"], f["contexts"], outputs, c.n_best_size,
                   c.max_answer_length)
    os.makedirs(directory, exist_ok=True)
    if self.v2:
      preds, non_null, null_odds, nbest = squad_decode.decode_v2(*decode_args,
                                                                 c.null_score_threshold)
      _write_json(os.path.join(directory, "null_odds.json"), null_odds)
      _write_json(os.path.join(directory, "predictions_non_null.json"), non_null)
    else:
      preds, nbest = squad_decode.decode_v1(*decode_args)
    _write_json(os.path.join(directory, "predictions.json"), preds)
    _write_json(os.path.join(directory, "nbest_predictions.json"), nbest)
    dataset = self.datasets["predict"]
    if not any(qa.get("answers") for qa in squad_metrics.questions(dataset)):
      return dict(_NO_SCORE)
    if not self.v2:
      return squad_metrics.evaluate_v1(dataset, preds)
    result = squad_metrics.evaluate_v2(dataset, preds)
    thresholded = squad_metrics.evaluate_v2(dataset, non_null, null_odds)
    result.update({k: v for k, v in thresholded.items() if k.startswith("best_")})
    return result

  def describe(self, examples):
    del examples
    return {"version": self.config.version, "stats": dict(self.stats)}
