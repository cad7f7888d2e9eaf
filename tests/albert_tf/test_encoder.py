import numpy as np
import pytest
import tensorflow as tf

from albert_tf.configs import AlbertConfig
from albert_tf.encoder import AlbertEncoder
from albert_tf.layers import activations


def _inputs(batch=3, seq=9, vocab=100, seed=0):
  rng = np.random.default_rng(seed)
  lengths = rng.integers(2, seq + 1, size=batch)
  mask = (np.arange(seq)[None, :] < lengths[:, None]).astype(np.int32)
  return {"input_word_ids": tf.constant(rng.integers(5, vocab, size=(batch, seq)) * mask,
                                        tf.int32),
          "input_mask": tf.constant(mask),
          "input_type_ids": tf.constant(rng.integers(0, 2, size=(batch, seq)) * mask, tf.int32)}


def test_output_dict_shapes_and_default_alias(tiny_config):
  out = AlbertEncoder(tiny_config.replace(inner_group_num=2))(_inputs())
  assert set(out) == {"sequence_output", "pooled_output", "encoder_outputs", "default"}
  assert out["sequence_output"].shape == (3, 9, 32)
  assert out["pooled_output"].shape == (3, 32)
  assert len(out["encoder_outputs"]) == 2 * 2
  np.testing.assert_array_equal(out["default"], out["pooled_output"])
  np.testing.assert_array_equal(out["encoder_outputs"][-1], out["sequence_output"])


def test_padding_does_not_change_real_positions(tiny_config):
  enc = AlbertEncoder(tiny_config)
  x = _inputs()
  base = enc(x)["sequence_output"].numpy()
  mask = x["input_mask"].numpy()
  noisy_ids = np.where(mask == 1, x["input_word_ids"].numpy(), 77)
  noisy = enc({**x, "input_word_ids": tf.constant(noisy_ids)})["sequence_output"].numpy()
  real = mask.astype(bool)
  np.testing.assert_allclose(base[real], noisy[real], atol=1e-5)


def test_dropout_follows_training_flag(tiny_config):
  enc = AlbertEncoder(tiny_config.replace(hidden_dropout_prob=0.3,
                                          attention_probs_dropout_prob=0.3))
  x = _inputs()
  a, b = enc(x, training=False)["pooled_output"], enc(x, training=False)["pooled_output"]
  np.testing.assert_array_equal(a, b)
  c = enc(x, training=True)["pooled_output"]
  assert float(tf.reduce_max(tf.abs(a - c))) > 1e-4


def test_gelu_is_the_tanh_approximation():
  x = np.linspace(-4, 4, 41).astype(np.float32)
  expected = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
  np.testing.assert_allclose(activations.get_activation("gelu")(x), expected, atol=1e-6)
  with pytest.raises(ValueError, match="hidden_act"):
    activations.get_activation("nope")


def test_optional_inputs_default_to_mask_ones_and_type_zeros(tiny_config):
  enc = AlbertEncoder(tiny_config)
  ids = tf.constant([[2, 10, 11, 3]])
  full = enc({"input_word_ids": ids, "input_mask": tf.ones_like(ids),
              "input_type_ids": tf.zeros_like(ids)})
  np.testing.assert_allclose(enc({"input_word_ids": ids})["pooled_output"],
                             full["pooled_output"], atol=1e-6)


def test_keras_config_round_trip(tiny_config):
  enc = AlbertEncoder(tiny_config)
  clone = AlbertEncoder.from_config(enc.get_config())
  assert clone.config == enc.config
