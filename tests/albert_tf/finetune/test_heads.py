"""Fine-tuning heads: shapes, the v2 beam, masking, losses."""
import numpy as np
import pytest
import tensorflow as tf

from albert_tf.configs import AlbertConfig
from albert_tf.encoder import AlbertEncoder
from albert_tf.finetune import heads


@pytest.fixture(scope="module")
def encoder():
  return AlbertEncoder(AlbertConfig.from_preset("albert_tiny").replace(vocab_size=60))


def _inputs(b, t, seed=0):
  rng = np.random.default_rng(seed)
  ids = rng.integers(5, 60, size=(b, t)).astype(np.int32)
  p_mask = np.zeros((b, t), np.int32)
  p_mask[:, 1:4] = 1          # query + [SEP]
  p_mask[:, -2:] = 1          # final [SEP] + padding
  return {"input_word_ids": tf.constant(ids), "input_mask": tf.ones((b, t), tf.int32),
          "input_type_ids": tf.zeros((b, t), tf.int32), "p_mask": tf.constant(p_mask)}


def test_classifier_and_multiple_choice_shapes(encoder):
  x = _inputs(3, 10)
  assert heads.ClassifierModel(encoder, 1)(x).shape == (3, 1)       # STS-B regression
  mc = heads.MultipleChoiceModel(encoder, num_choices=4)
  choices = {k: tf.reshape(tf.tile(v, [4, 1]), [3, 4, 10]) for k, v in x.items()}
  assert mc(choices).shape == (3, 4)


def test_squad_v1_shapes_and_loss(encoder):
  model = heads.SquadV1Model(encoder)
  out = model(_inputs(2, 12))
  assert out["start_logits"].shape == (2, 12) and out["end_logits"].shape == (2, 12)
  loss = heads.squad_v1_loss(out, {"start_positions": [4, 5], "end_positions": [6, 5]})
  assert loss.shape == (2,) and np.all(np.isfinite(loss.numpy()))


def test_squad_v2_training_and_beam_outputs(encoder):
  model = heads.SquadV2Model(encoder, hidden_size=32, start_n_top=3, end_n_top=2)
  x = _inputs(2, 12)
  train_out = model({**x, "start_positions": tf.constant([4, 0])}, training=True)
  assert train_out["start_logits"].shape == (2, 12) and train_out["end_logits"].shape == (2, 12)
  assert train_out["cls_logits"].shape == (2,)
  # masked positions (query, [SEP], padding) get −1e30
  assert np.all(train_out["start_logits"].numpy()[:, 1:4] < -1e29)
  assert np.all(train_out["end_logits"].numpy()[:, -2:] < -1e29)
  loss = heads.squad_v2_loss(train_out, {"start_positions": [4, 0], "end_positions": [6, 0],
                                         "is_impossible": [0, 1]})
  assert loss.shape == (2,) and np.all(np.isfinite(loss.numpy()))

  out = model(x, training=False)
  assert out["start_top_log_probs"].shape == (2, 3) and out["start_top_index"].shape == (2, 3)
  assert out["end_top_log_probs"].shape == (2, 3, 2) and out["end_top_index"].shape == (2, 3, 2)
  # The beam picks the best starts, sorted, never a masked position.
  start_idx = out["start_top_index"].numpy()
  assert not np.isin(start_idx, [1, 2, 3, 10, 11]).any()
  assert np.all(np.diff(out["start_top_log_probs"].numpy(), axis=1) <= 0)
  # End beam = top-k of the end distribution conditioned on each start candidate.
  seq = tf.cast(encoder(x)["sequence_output"], tf.float32)
  for b in range(2):
    for k in range(3):
      h_start = tf.tile(seq[b:b + 1, start_idx[b, k]][:, None], [1, 12, 1])
      end_logits = model._end_logits(seq[b:b + 1], h_start).numpy()[0]   # pylint: disable=protected-access
      end_logits = np.where(x["p_mask"].numpy()[b] == 1, -1e30, end_logits)
      assert set(np.argsort(-end_logits)[:2]) == set(out["end_top_index"].numpy()[b, k])
  # Beam log-probs are log-softmax values: ≤ 0.
  assert np.all(out["end_top_log_probs"].numpy() <= 0)


@pytest.mark.parametrize("precision", ["float16", "bfloat16"])
def test_heads_give_float32_logits_under_mixed_precision(precision):
  from albert_tf.finetune import finetuning_loop
  with finetuning_loop.precision(precision):
    encoder = AlbertEncoder(AlbertConfig.from_preset("albert_tiny").replace(vocab_size=60))
    x = _inputs(2, 12)
    outputs = [heads.ClassifierModel(encoder, 2)(x), heads.SquadV1Model(encoder)(x),
               heads.SquadV2Model(encoder, hidden_size=32)(x, training=False),
               heads.SquadV2Model(encoder, hidden_size=32)(
                   {**x, "start_positions": tf.constant([4, 0])}, training=True)]
  for t in tf.nest.flatten(outputs):
    assert t.dtype in (tf.float32, tf.int32)
