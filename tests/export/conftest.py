"""Shared, session-scoped exports for the export tests (each SavedModel export is slow).

All models are albert_tiny with random weights saved as our own checkpoint format;
dropout is set to 0.1 so the tests can see that it follows `training`.
"""
import os

import pytest

SERVING_SEQ_LENGTH = 32


@pytest.fixture(scope="session")
def tiny_dropout_config():
  from albert_tf.configs import AlbertConfig
  return AlbertConfig.from_preset("albert_tiny").replace(
      hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, tiny_dropout_config):
  """(restored-equivalent in-memory AlbertPretrainer, checkpoint prefix)."""
  import tensorflow as tf
  from albert_tf.checkpoints import ours
  from albert_tf.pretrainer import AlbertPretrainer
  tf.random.set_seed(0)
  model = AlbertPretrainer(tiny_dropout_config).ensure_built()
  prefix = ours.save_ours(model, str(tmp_path_factory.mktemp("ckpt")))
  return model, prefix


@pytest.fixture(scope="session")
def preprocessor_dir(tmp_path_factory):
  from export import hub_models
  path = os.path.join(str(tmp_path_factory.mktemp("hub")), "preprocessor")
  ops = hub_models.export_hub("preprocessor", path)
  return path, ops


@pytest.fixture(scope="session")
def encoder_dir(tmp_path_factory, tiny_checkpoint, tiny_dropout_config):
  from export import hub_models
  path = os.path.join(str(tmp_path_factory.mktemp("hub")), "encoder")
  ops = hub_models.export_hub("encoder_with_mlm", path, config=tiny_dropout_config,
                              init_checkpoint=tiny_checkpoint[1])
  return path, ops


@pytest.fixture(scope="session")
def serving_base(tmp_path_factory, tiny_checkpoint, tiny_dropout_config):
  """model_base_path holding version 1 of the serving export (seq_length 32)."""
  from export import servable
  base = os.path.join(str(tmp_path_factory.mktemp("serving")), "albert")
  path = servable.export_serving(base, config=tiny_dropout_config,
                                 init_checkpoint=tiny_checkpoint[1],
                                 seq_length=SERVING_SEQ_LENGTH)
  return base, path


def _preprocessor():
  """A new one per call: a cached one's SentencepieceOp resource can be gone by the time a
  later test in the same worker uses it (NotFoundError seen with another test order)."""
  from albert_tf import resources
  from export.preprocessor import AlbertPreprocessor
  return AlbertPreprocessor(resources.DEFAULT_SPM_MODEL)


def in_memory_encode(pretrainer, texts_a, texts_b=None, seq_length=SERVING_SEQ_LENGTH):
  """Reference outputs computed eagerly from the in-memory model (no SavedModel)."""
  import tensorflow as tf
  pre = _preprocessor()
  texts = [tf.constant(texts_a)] + ([tf.constant(texts_b)] if texts_b is not None else [])
  inputs = pre.pack_text(texts, seq_length)
  out = pretrainer.encoder(inputs, training=False)
  return inputs, {k: out[k].numpy() for k in ("pooled_output", "sequence_output")}
