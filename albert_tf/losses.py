"""Pretraining losses and metrics, as the official run_pretraining.py defines them.

  masked_lm_loss      = Σ w·NLL / (Σ w + 1e-5)        (weights zero on padded predictions)
  sentence_order_loss = mean NLL over the batch
  total               = masked_lm_loss + sentence_order_loss

Example:
    >>> import tensorflow as tf
    >>> logits = tf.math.log([[[0.5, 0.5]]])
    >>> round(float(masked_lm_loss(logits, tf.constant([[0]]), tf.constant([[1.0]]))), 4)
    0.6931
"""
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
