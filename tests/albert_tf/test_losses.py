import numpy as np
import tensorflow as tf

from albert_tf import losses


def _log_softmax(x):
  x = x - x.max(-1, keepdims=True)
  return x - np.log(np.exp(x).sum(-1, keepdims=True))


def test_weighted_mlm_loss_matches_official_formula():
  rng = np.random.default_rng(0)
  logits = rng.normal(size=(2, 3, 7)).astype(np.float32)
  ids = rng.integers(0, 7, size=(2, 3))
  weights = np.array([[1, 1, 0], [1, 0, 0]], np.float32)
  nll = -np.take_along_axis(_log_softmax(logits), ids[..., None], -1)[..., 0]
  expected = (nll * weights).sum() / (weights.sum() + 1e-5)
  got = losses.masked_lm_loss(tf.constant(logits), tf.constant(ids), tf.constant(weights))
  np.testing.assert_allclose(float(got), expected, rtol=1e-6)


def test_sop_loss_and_accuracies():
  logits = np.array([[2.0, 0.0], [0.0, 3.0], [1.0, 0.0]], np.float32)
  labels = np.array([[0], [1], [1]])
  expected = -np.mean(_log_softmax(logits)[np.arange(3), labels[:, 0]])
  np.testing.assert_allclose(float(losses.sentence_order_loss(logits, labels)), expected,
                             rtol=1e-6)
  assert abs(float(losses.sentence_order_accuracy(logits, labels)) - 2 / 3) < 1e-6
  mlm_logits = np.zeros((1, 3, 4), np.float32)
  mlm_logits[0, :, 2] = 1.0
  acc = losses.masked_lm_accuracy(mlm_logits, np.array([[2, 1, 2]]), np.array([[1, 1, 0.]]))
  assert abs(float(acc) - 0.5) < 1e-6


def test_pretraining_losses_total_is_sum():
  outputs = {"mlm_logits": tf.random.normal([2, 3, 5]), "sop_logits": tf.random.normal([2, 2])}
  batch = {"masked_lm_ids": tf.constant([[1, 2, 3], [0, 0, 0]]),
           "masked_lm_weights": tf.constant([[1., 1., 1.], [0., 0., 0.]]),
           "sentence_order_label": tf.constant([[0], [1]])}
  out = losses.pretraining_losses(outputs, batch)
  np.testing.assert_allclose(float(out["loss"]),
                             float(out["masked_lm_loss"] + out["sentence_order_loss"]), rtol=1e-6)
