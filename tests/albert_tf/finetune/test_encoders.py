"""Encoder sources: random init, our checkpoints, Google TF1 checkpoints, TF Hub."""
import os

import numpy as np
import pytest
import tensorflow as tf

from albert_tf.checkpoints import load as ckpt_load
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
  assert ckpt_load.detect_format(prefix) == "ours"
  encoder, description = encoders.build_encoder(encoders.EncoderSpec(init_checkpoint=prefix))
  assert description.startswith("checkpoint:") and encoder.config.vocab_size == 60
  assert _same_weights(encoder, model.encoder)


def test_tf1_checkpoint_and_dropout_override(pretrained):
  from albert_tf.checkpoints import tf1_names
  config, model, tmp = pretrained
  prefix = tf1_names.save_tf1(model, str(tmp / "tf1") + "/")
  assert ckpt_load.detect_format(prefix) == "tf1"
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


@pytest.mark.slow   # two SavedModel exports: ~90 s on 2 busy cores
def test_hub_encoder_and_preprocessor_path(tmp_path):
  """Export albert_tiny as TF Hub encoder + preprocessor, fine-tune through hub.KerasLayer."""
  from albert_tf.checkpoints import ours
  from albert_tf.finetune import hparams, runner
  from albert_tf.finetune.tasks import glue_task
  from export import hub_models
  config = AlbertConfig.from_preset("albert_tiny")
  prefix = ours.save_ours(AlbertPretrainer(config).ensure_built(), str(tmp_path / "ckpt"))
  enc_dir, pre_dir = str(tmp_path / "encoder"), str(tmp_path / "preprocessor")
  hub_models.export_hub("encoder", enc_dir, config=config, init_checkpoint=prefix)
  hub_models.export_hub("preprocessor", pre_dir)
  spec = encoders.EncoderSpec(hub_encoder=enc_dir, hub_preprocessor=pre_dir)
  assert encoders.find_spm_model(spec).startswith(pre_dir)       # the export's own vocab
  hp = hparams.HParams(learning_rate=1e-3, batch_size=4, train_steps=2, warmup_steps=0,
                       max_seq_length=16)
  data = os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "glue_samples", "SST-2")
  results = runner.run(glue_task.GlueConfig(
      task="SST-2", data_dir=data, output_dir=str(tmp_path / "out"), encoder=spec,
      hparams=hp, log_every=0, save_checkpoints=False))
  assert results["encoder"] == f"hub:{enc_dir}"
  # Scored over the 6 dev rows (a multiple of 1/6); learning: test_learnable.py.
  correct = results["per_seed"][0]["last"]["accuracy"] * 6
  assert abs(correct - round(correct)) < 1e-6


def test_too_long_sequences_are_refused():
  with pytest.raises(ValueError, match="max_seq_length=192 exceeds .* max_position_embeddings=128"):
    encoders.build_encoder(encoders.EncoderSpec(preset="albert_tiny"), max_seq_length=192)


def test_missing_sources_and_corrupt_spm_model_are_user_errors(tmp_path):
  from albert_tf import errors  # pylint: disable=import-outside-toplevel
  missing = str(tmp_path / "model.ckpt-best")
  with pytest.raises(errors.UserError, match=rf"--init_checkpoint={missing}: no such file"):
    encoders.check_sources(encoders.EncoderSpec(init_checkpoint=missing))
  with pytest.raises(errors.UserError, match=r"--albert_config_file=.*nope\.json: no such"):
    encoders.check_sources(encoders.EncoderSpec(albert_config_file=str(tmp_path / "nope.json")))
  encoders.check_sources(encoders.EncoderSpec(hub_encoder="https://tfhub.dev/x/y/1"))  # not ours
  with pytest.raises(errors.UserError, match=r"--spm_model_file=.*none\.model: no such file"):
    encoders.make_tokenizer(encoders.EncoderSpec(spm_model_file=str(tmp_path / "none.model")))
  corrupt = tmp_path / "30k-clean.vocab"
  corrupt.write_text("<pad>\t0\n<unk>\t0\n")
  with pytest.raises(errors.UserError, match=r"30k-clean\.vocab: not a SentencePiece model"):
    encoders.make_tokenizer(encoders.EncoderSpec(spm_model_file=str(corrupt)))
