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


def _pretrainer_outputs_and_batch():
  rng = np.random.default_rng(1)
  outputs = {"mlm_logits": tf.constant(rng.normal(size=(3, 4, 9)), tf.float32),
             "sop_logits": tf.constant(rng.normal(size=(3, 2)), tf.float32)}
  batch = {"masked_lm_ids": tf.constant(rng.integers(0, 9, size=(3, 4)), tf.int32),
           "masked_lm_weights": tf.constant([[1., 1., 0., 0.], [1., 1., 1., 1.], [1., 0., 0., 0.]]),
           "sentence_order_label": tf.constant([0, 1, 1], tf.int32)}
  return outputs, batch


def test_loss_of_record_with_one_replica_equals_pretraining_losses():
  outputs, batch = _pretrainer_outputs_and_batch()
  ref = losses.pretraining_losses(outputs, batch)
  stats = losses.PretrainingStats.from_outputs(outputs, batch)
  loss = stats.loss(losses.LossDenominators.of_batches([batch]))
  np.testing.assert_allclose(float(loss), float(ref["loss"]), rtol=1e-6)
  for key, value in stats.metrics().items():
    np.testing.assert_allclose(float(value), float(ref[key]), rtol=1e-6, err_msg=key)


def test_loss_of_record_of_split_batches_sums_to_the_whole():
  """Two halves (replicas or micro-batches) under global denominators add up to the whole."""
  outputs, batch = _pretrainer_outputs_and_batch()
  halves = [({k: v[i:j] for k, v in outputs.items()}, {k: v[i:j] for k, v in batch.items()})
            for i, j in ((0, 1), (1, 3))]
  denominators = losses.LossDenominators.of_batches([b for _, b in halves])
  parts = [losses.PretrainingStats.from_outputs(o, b) for o, b in halves]
  whole = losses.PretrainingStats.from_outputs(outputs, batch)
  np.testing.assert_allclose(sum(float(p.loss(denominators)) for p in parts),
                             float(whole.loss(denominators)), rtol=1e-6)
  np.testing.assert_allclose(list(parts[0].add(parts[1])), list(whole), rtol=1e-6)
