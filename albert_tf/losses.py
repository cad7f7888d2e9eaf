"""Pretraining losses and metrics, as the official run_pretraining.py defines them.

  masked_lm_loss      = Σ w·NLL / (Σ w + 1e-5)        (weights zero on padded predictions)
  sentence_order_loss = mean NLL over the batch
  total               = masked_lm_loss + sentence_order_loss

The loss of record (what pretraining_loop trains, evaluates and bench/train_worker.py times)
is the same total computed from per-replica sums (`PretrainingStats`) and GLOBAL denominators
(`LossDenominators`: Σ w and the example count over all replicas and micro-batches):

  loss = Σ w·NLL / (Σ_global w + 1e-5) + Σ SOP-NLL / N_global

so that summing it over replicas and micro-batches gives the loss of the whole global batch;
with one replica and no accumulation it equals `pretraining_losses(...)["loss"]`. MLM only
(sentence_objective=none) drops the second term.

Example:
    >>> import tensorflow as tf
    >>> logits = tf.math.log([[[0.5, 0.5]]])
    >>> round(float(masked_lm_loss(logits, tf.constant([[0]]), tf.constant([[1.0]]))), 4)
    0.6931
"""
from typing import NamedTuple

import tensorflow as tf


def masked_lm_loss(mlm_logits, masked_lm_ids, masked_lm_weights):
  """mlm_logits [B,P,V], ids [B,P], weights [B,P] → scalar weighted mean NLL."""
  log_probs = tf.nn.log_softmax(tf.cast(mlm_logits, tf.float32), axis=-1)
  nll = -tf.gather(log_probs, tf.cast(masked_lm_ids, tf.int32), batch_dims=2)
  weights = tf.cast(masked_lm_weights, tf.float32)
  return tf.reduce_sum(nll * weights) / (tf.reduce_sum(weights) + 1e-5)


def sentence_order_loss(sop_logits, labels):
  """sop_logits [B,2], labels [B] or [B,1] → scalar mean NLL."""
  labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
  return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=labels, logits=tf.cast(sop_logits, tf.float32)))


def masked_lm_accuracy(mlm_logits, masked_lm_ids, masked_lm_weights):
  """Weighted accuracy of the argmax prediction at the masked positions."""
  correct = tf.cast(tf.equal(tf.argmax(mlm_logits, axis=-1, output_type=tf.int32),
                             tf.cast(masked_lm_ids, tf.int32)), tf.float32)
  weights = tf.cast(masked_lm_weights, tf.float32)
  return tf.math.divide_no_nan(tf.reduce_sum(correct * weights), tf.reduce_sum(weights))


def sentence_order_accuracy(sop_logits, labels):
  labels = tf.reshape(tf.cast(labels, tf.int32), [-1])
  return tf.reduce_mean(tf.cast(tf.equal(
      tf.argmax(sop_logits, axis=-1, output_type=tf.int32), labels), tf.float32))


def pretraining_losses(outputs, batch):
  """Returns {"masked_lm_loss", "sentence_order_loss", "loss", and the two accuracies}.

  `outputs` is AlbertPretrainer's dict; `batch` holds masked_lm_ids, masked_lm_weights and
  sentence_order_label (input_pipeline names).
  """
  mlm = masked_lm_loss(outputs["mlm_logits"], batch["masked_lm_ids"], batch["masked_lm_weights"])
  sop = sentence_order_loss(outputs["sop_logits"], batch["sentence_order_label"])
  return {
      "loss": mlm + sop,
      "masked_lm_loss": mlm,
      "sentence_order_loss": sop,
      "masked_lm_accuracy": masked_lm_accuracy(
          outputs["mlm_logits"], batch["masked_lm_ids"], batch["masked_lm_weights"]),
      "sentence_order_accuracy": sentence_order_accuracy(
          outputs["sop_logits"], batch["sentence_order_label"]),
  }


# --- the loss of record: per-replica sums, global denominators ----------------------------------
class LossDenominators(NamedTuple):
  """GLOBAL normalisers of one optimizer step (summed over replicas and micro-batches)."""
  mlm_weight_sum: tf.Tensor
  num_examples: tf.Tensor

  @classmethod
  def of_batches(cls, batches):
    """This replica's share, from the batches alone (known before the forward pass)."""
    return cls(tf.add_n([tf.reduce_sum(tf.cast(b["masked_lm_weights"], tf.float32))
                         for b in batches]),
               tf.constant(float(sum(b["sentence_order_label"].shape[0] for b in batches))))

  def all_reduce(self, replica_context):
    return LossDenominators(*replica_context.all_reduce(tf.distribute.ReduceOp.SUM, list(self)))


class PretrainingStats(NamedTuple):
  """Float32 sums over a batch from which the loss of record and every metric derive.

  Sums, not means, so they add across micro-batches, replicas and eval batches.

  >>> outputs = {"mlm_logits": tf.math.log([[[0.5, 0.5]]]), "sop_logits": tf.zeros([1, 2])}
  >>> batch = {"masked_lm_ids": tf.constant([[0]]), "masked_lm_weights": tf.constant([[1.0]]),
  ...          "sentence_order_label": tf.constant([1])}
  >>> stats = PretrainingStats.from_outputs(outputs, batch)
  >>> round(float(stats.loss(LossDenominators(1.0, 1.0))), 4)  # log 2 (MLM) + log 2 (SOP)
  1.3863
  """
  mlm_nll_sum: tf.Tensor
  mlm_weight_sum: tf.Tensor
  mlm_correct_sum: tf.Tensor
  sop_nll_sum: tf.Tensor
  sop_correct_sum: tf.Tensor
  num_examples: tf.Tensor

  @classmethod
  def from_outputs(cls, outputs, batch):
    """AlbertPretrainer outputs (mlm_logits [B,P,V], sop_logits [B,2]) + batch → sums."""
    with tf.name_scope("pretraining_loss"):  # a profile category (bench/step_profile.py)
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
      return cls(tf.reduce_sum(mlm_nll * weights), tf.reduce_sum(weights),
                 tf.reduce_sum(mlm_correct * weights), tf.reduce_sum(sop_nll),
                 tf.reduce_sum(sop_correct), tf.cast(tf.size(labels), tf.float32))

  def add(self, other):
    return PretrainingStats(*(a + b for a, b in zip(self, other)))

  def all_reduce(self, replica_context):
    """Sums over replicas (in a replica context)."""
    return PretrainingStats(*replica_context.all_reduce(tf.distribute.ReduceOp.SUM, list(self)))

  def loss(self, denominators, sentence_loss=True):
    """The loss of record of these sums under GLOBAL `denominators` (module docstring).

    sentence_loss=False: MLM only (the sentence head gets no gradient)."""
    loss = self.mlm_nll_sum / (denominators.mlm_weight_sum + 1e-5)
    if sentence_loss:
      loss += self.sop_nll_sum / denominators.num_examples
    return loss

  def metrics(self, sentence_loss=True):
    """Global sums → {name: value} of the official metrics (docs/albert_reference.md §4.2).

    sentence_loss=False: "loss" is the MLM loss, and the sentence_order_* keys are left out
    (an untrained head's numbers are no metric of the run)."""
    mlm_loss = self.mlm_nll_sum / (self.mlm_weight_sum + 1e-5)
    values = {"loss": mlm_loss, "masked_lm_loss": mlm_loss,
              "masked_lm_accuracy": tf.math.divide_no_nan(self.mlm_correct_sum,
                                                          self.mlm_weight_sum)}
    if sentence_loss:
      sop_loss = self.sop_nll_sum / self.num_examples
      values.update(loss=mlm_loss + sop_loss, sentence_order_loss=sop_loss,
                    sentence_order_accuracy=self.sop_correct_sum / self.num_examples)
    return values
