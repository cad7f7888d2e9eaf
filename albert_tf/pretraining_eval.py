"""Held-out evaluation of pretraining: the official metrics beside input-blind baselines.

  Evaluator(config, strategy, eval_step, log)(step)
    → up to max_eval_steps batches of eval_input_file (default input_file), one ordered pass
    → global sums (losses.PretrainingStats) → the official metrics, + num_examples
    → + trivial_baselines on the same batches (what a model must beat to have learned)
    → metrics.jsonl / TensorBoard eval/ and <output_dir>/eval_results.txt (latest evaluation)

sentence_objective=none: no sentence_order_* metrics and no sop_majority_accuracy (the head
was not trained); "loss" is the MLM loss.

The eval input is checked when the Evaluator is made (before training): a pattern that
matches nothing, or fewer records than one eval batch (an evaluation of nothing), is an
errors.UserError then, not after hours of training.

Example (baselines of 8 synthetic records, batches of 4):
    >>> import tempfile
    >>> from tests.albert_tf.synthetic_records import write_records
    >>> pattern = write_records(tempfile.mkdtemp(), num_files=1, per_file=8)
    >>> sorted(trivial_baselines(pattern, max_seq_length=16, max_predictions_per_seq=4,
    ...                          batch_size=4))
    ['sop_majority_accuracy', 'unigram_baseline_accuracy', 'unigram_baseline_token_id']
"""
import os

import numpy as np
import tensorflow as tf

from albert_tf import input_pipeline, train_log
from albert_tf.errors import UserError


def trivial_baselines(input_file, max_seq_length, max_predictions_per_seq, batch_size=64,
                      max_batches=None):
  """Accuracies of input-blind predictors on records (what a model must beat to have learned).

  Returns {"unigram_baseline_accuracy": weighted accuracy of always predicting the most
  frequent masked token OF THESE RECORDS (an optimistic unigram baseline),
  "unigram_baseline_token_id", "sop_majority_accuracy": accuracy of always predicting the more
  frequent SOP label}, over the first max_batches batches (the examples an eval sees).
  """
  ds = input_pipeline.make_dataset(input_file, max_seq_length, max_predictions_per_seq,
                                   batch_size, is_training=False)
  if max_batches:
    ds = ds.take(max_batches)
  counts, labels = {}, []
  for batch in ds:
    ids = batch["masked_lm_ids"].numpy().ravel()
    weights = batch["masked_lm_weights"].numpy().ravel()
    for token, weight in zip(ids[weights > 0], weights[weights > 0]):
      counts[int(token)] = counts.get(int(token), 0.0) + float(weight)
    labels.append(batch["sentence_order_label"].numpy())
  if not counts:
    raise UserError(f"{input_file!r}: no masked tokens in the first batches: give "
                    f"pretraining records with masked positions")
  token = max(counts, key=counts.get)
  labels = np.concatenate(labels)
  return {"unigram_baseline_accuracy": counts[token] / sum(counts.values()),
          "unigram_baseline_token_id": token,
          "sop_majority_accuracy": float(max(labels.mean(), 1 - labels.mean()))}


class Evaluator:
  """Evaluates a pretrainer on the held-out records; the baselines are computed once.

  `eval_step(batch)` maps one distributed batch to the GLOBAL PretrainingStats (the compiled
  eval step of pretraining_loop.PretrainingSteps).
  """

  def __init__(self, config, strategy, eval_step, log):
    self.config, self.strategy, self.eval_step, self.log = config, strategy, eval_step, log
    self.input_file = config.eval_input_file or config.input_file
    self.flag = "eval_input_file" if config.eval_input_file else "input_file"
    self.batch = input_pipeline.per_replica_batch_size(
        config.eval_batch_size, strategy.num_replicas_in_sync, flag="eval_batch_size")
    self.sentence_loss = config.sentence_objective != "none"
    self.checks = {"vocab_size": config.model.vocab_size,
                   "type_vocab_size": config.model.type_vocab_size, "flag": self.flag}
    self._baselines = None
    if config.do_eval or (config.do_train and config.eval_every_steps):
      self._check_input()

  def _check_input(self):
    config = self.config
    files = input_pipeline.check_input(self.input_file, config.max_seq_length,
                                       config.max_predictions_per_seq, **self.checks)
    found = input_pipeline.count_records(files, config.eval_batch_size)
    if found < config.eval_batch_size:
      raise UserError(f"--{self.flag}={self.input_file} holds {found} record(s), fewer than "
                      f"--eval_batch_size={config.eval_batch_size}: an evaluation would see "
                      f"none (partial batches are dropped); lower --eval_batch_size or give "
                      f"more records")

  def __call__(self, step):
    """Evaluates the weights of global step `step`; returns {"global_step", **metrics}."""
    config = self.config
    # Files were checked when this Evaluator was made (validate=False: not at each eval).
    dataset = self.strategy.distribute_datasets_from_function(
        lambda ctx: input_pipeline.make_dataset(
            self.input_file, config.max_seq_length, config.max_predictions_per_seq, self.batch,
            is_training=False, input_context=ctx, validate=False, **self.checks))
    totals, num_batches = None, 0
    with input_pipeline.explained_read_errors(self.input_file, config.max_seq_length,
                                              config.max_predictions_per_seq, **self.checks):
      for batch_data in dataset:
        if num_batches >= config.max_eval_steps:
          break
        stats = self.eval_step(batch_data)
        totals = stats if totals is None else totals.add(stats)
        num_batches += 1
    if totals is None:
      raise UserError(f"--{self.flag}={self.input_file} has fewer than --eval_batch_size="
                      f"{config.eval_batch_size} records (per input pipeline): lower "
                      f"--eval_batch_size or give more records")
    values = {k: float(v) for k, v in totals.metrics(self.sentence_loss).items()}
    values["num_examples"] = float(totals.num_examples)
    if self._baselines is None:
      self._baselines = trivial_baselines(
          self.input_file, config.max_seq_length, config.max_predictions_per_seq,
          self.batch * self.strategy.num_replicas_in_sync, config.max_eval_steps)
      if not self.sentence_loss:
        del self._baselines["sop_majority_accuracy"]
    values.update(self._baselines)
    results = {"global_step": step, **values}
    with train_log.writing(config.output_dir):
      self.log.write("eval", step, values)
      if self.log.enabled:
        with tf.io.gfile.GFile(os.path.join(config.output_dir, "eval_results.txt"), "w") as f:
          f.write("".join(f"{key} = {value}\n" for key, value in sorted(results.items())))
    train_log.log("eval: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(values.items())))
    return results
