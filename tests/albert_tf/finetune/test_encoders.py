"""Encoder sources: random init, our checkpoints, Google TF1 checkpoints, TF Hub."""
import numpy as np
import pytest
import tensorflow as tf

from albert_tf.configs import AlbertConfig
from albert_tf.finetune import encoders
from albert_tf.pretrainer import AlbertPretrainer


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
  config = AlbertConfig.from_preset("albert_tiny").replace(vocab_size=60)
  model = AlbertPretrainer(config).ensure_built()
  return config, model, tmp_path_factory.mktemp("ckpt")


def _same_weights(a, b):
  """Same structure (weights in creation order) and equal values."""
  assert len(a.weights) == len(b.weights)
  return all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a.weights, b.weights))


def test_ours_checkpoint_with_config_beside(pretrained):
  from albert_tf.checkpoints import ours
  config, model, tmp = pretrained
  prefix = ours.save_ours(model, str(tmp / "ours"))
  assert encoders.detect_checkpoint_format(prefix) == "ours"
  encoder, description = encoders.build_encoder(encoders.EncoderSpec(init_checkpoint=prefix))
  assert description.startswith("checkpoint:") and encoder.config.vocab_size == 60
  assert _same_weights(encoder, model.encoder)


def test_tf1_checkpoint_and_dropout_override(pretrained):
  from albert_tf.checkpoints import tf1_names
  config, model, tmp = pretrained
  prefix = tf1_names.save_tf1(model, str(tmp / "tf1") + "/")
  assert encoders.detect_checkpoint_format(prefix) == "tf1"
  spec = encoders.EncoderSpec(init_checkpoint=prefix, albert_dropout=0.1)
  encoder, _ = encoders.build_encoder(spec)
  assert encoder.config.hidden_dropout_prob == 0.1
  assert encoder.config.attention_probs_dropout_prob == 0.1
  assert _same_weights(encoder, model.encoder)


def test_random_init_and_spm_default():
  from albert_tf import resources
  encoder, description = encoders.build_encoder(encoders.EncoderSpec(preset="albert_tiny"))
  assert description == "random-init"
  out = encoder({"input_word_ids": tf.ones([1, 4], tf.int32)})
  assert out["pooled_output"].shape == (1, 32)
  assert encoders.find_spm_model(encoders.EncoderSpec()) == resources.DEFAULT_SPM_MODEL


def test_hub_and_checkpoint_together_is_an_error():
  with pytest.raises(ValueError, match="not both"):
    encoders.build_encoder(encoders.EncoderSpec(hub_encoder="x", init_checkpoint="y"))
