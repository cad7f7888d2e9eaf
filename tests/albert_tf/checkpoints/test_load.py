"""The checkpoint front door: format detection, config search and precedence, strict loads."""
import json
import os

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from albert_tf.checkpoints import hf
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import ours
from albert_tf.checkpoints import tf1_names
from albert_tf.checkpoints import tf_models
from albert_tf.checkpoints import variable_map
from albert_tf.checkpoints.errors import CheckpointMismatchError
from albert_tf.configs import AlbertConfig
from albert_tf.encoder import AlbertEncoder
from albert_tf.pretrainer import AlbertPretrainer
from tests.albert_tf.checkpoints import parity_utils as pu

OTHER = pu.TINY.replace(vocab_size=77)  # a config that differs from pu.TINY


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
  """(pretrainer, {format: path written by that format's own save function})."""
  pytest.importorskip("safetensors")
  tmp = tmp_path_factory.mktemp("formats")
  model = pu.randomize(AlbertPretrainer(pu.TINY).ensure_built(), seed=5)
  return model, {"ours": ours.save_ours(model, tmp / "ours"),
                 "tf1": tf1_names.save_tf1(model, tmp / "tf1"),
                 "tf_models": tf_models.save_tf_models(model, tmp / "tf_models"),
                 "hf": hf.save_hf(model, tmp / "hf")}


def _equal_weights(a, b):
  return len(a.weights) == len(b.weights) and all(
      np.array_equal(x.numpy(), y.numpy()) for x, y in zip(a.weights, b.weights))


# --- detect_format ------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ckpt_load.FORMATS)
def test_detect_format_of_each_format(saved, fmt):
  _, written = saved
  assert ckpt_load.detect_format(written[fmt]) == fmt
  if fmt != "hf":  # a directory works as well as a prefix
    assert ckpt_load.detect_format(os.path.dirname(written[fmt])) == fmt


def test_detect_format_errors_name_the_path(tmp_path):
  with pytest.raises(ValueError, match="no TensorFlow checkpoint") as err:
    ckpt_load.detect_format(tmp_path / "nope")
  assert str(tmp_path / "nope") in str(err.value) and "\n" not in str(err.value)
  prefix = tf.train.Checkpoint(step=tf.Variable(1)).write(str(tmp_path / "other" / "ckpt"))
  with pytest.raises(ValueError, match="cannot tell the checkpoint format") as err:
    ckpt_load.detect_format(prefix)
  assert prefix in str(err.value)


# --- find_config ----------------------------------------------------------------------------
def _ours_checkpoint(directory, config_files=None):
  """A bare `model/` checkpoint in `directory` with exactly the given config files."""
  prefix = tf.train.Checkpoint(model=AlbertPretrainer(pu.TINY).ensure_built()).write(
      str(directory / "ckpt-1"))
  for name, values in (config_files or {}).items():
    (directory / name).write_text(json.dumps(values))
  return prefix


def test_albert_config_json_wins_over_config_json(tmp_path):
  prefix = _ours_checkpoint(tmp_path, {"albert_config.json": pu.TINY.to_dict(),
                                       "config.json": OTHER.to_dict()})
  assert ckpt_load.find_config(prefix) == pu.TINY
  assert ckpt_load.find_config(tmp_path) == pu.TINY


def test_trainer_nested_config_json(tmp_path):
  prefix = _ours_checkpoint(tmp_path, {"config.json": {"albert_config": OTHER.to_dict(),
                                                       "pretraining": {"seed": 1}}})
  assert ckpt_load.find_config(prefix) == OTHER


def test_hf_config_json_is_converted(saved):
  _, written = saved
  assert ckpt_load.find_config(written["hf"]) == pu.TINY
  assert ckpt_load.find_config(written["hf"] + "/model.safetensors") == pu.TINY


def test_parent_directory_and_own_directory_first(tmp_path):
  run = tmp_path / "seed_1"
  (run / "best").mkdir(parents=True)
  prefix = _ours_checkpoint(run / "best")
  assert ckpt_load.find_config(prefix) is None
  ckpt_load.write_config(run, OTHER)
  assert ckpt_load.find_config(prefix) == OTHER
  (run / "best" / "config.json").write_text(pu.TINY.to_json_string())
  assert ckpt_load.find_config(prefix) == pu.TINY  # nearer directory, even as config.json


def test_non_albert_model_type_is_refused(tmp_path):
  prefix = _ours_checkpoint(tmp_path, {"config.json": {"model_type": "bert", "hidden_size": 32}})
  with pytest.raises(ValueError, match="model_type='bert' is not an ALBERT config"):
    ckpt_load.find_config(prefix)


# --- resolve_config -------------------------------------------------------------------------
def test_resolve_config_precedence(tmp_path, saved):
  prefix = _ours_checkpoint(tmp_path, {"albert_config.json": OTHER.to_dict()})
  explicit = tmp_path / "explicit.json"  # the same model, other training settings
  explicit.write_text(OTHER.replace(hidden_dropout_prob=0.1, initializer_range=0.5)
                      .to_json_string())
  tiny = AlbertConfig.from_preset("albert_tiny")
  assert ckpt_load.resolve_config(str(explicit), None, prefix).hidden_dropout_prob == 0.1
  assert ckpt_load.resolve_config(None, "albert_tiny") == tiny
  assert ckpt_load.resolve_config(checkpoint=prefix) == OTHER
  hf_file = saved[1]["hf"] + "/config.json"  # an explicit HF config.json is converted
  assert ckpt_load.resolve_config(albert_config_file=hf_file) == pu.TINY
  with pytest.raises(ValueError, match="not both"):
    ckpt_load.resolve_config(str(explicit), "albert_tiny")
  with pytest.raises(ValueError, match="no model config"):
    ckpt_load.resolve_config()
  (tmp_path / "a" / "b").mkdir(parents=True)  # no config here nor in a/ (tmp_path has one)
  bare = _ours_checkpoint(tmp_path / "a" / "b")
  with pytest.raises(ValueError, match="no config found beside"):
    ckpt_load.resolve_config(checkpoint=bare)
  with pytest.raises(ValueError, match="no TensorFlow checkpoint"):
    ckpt_load.resolve_config(checkpoint=str(tmp_path / "nope"))


# --- load -----------------------------------------------------------------------------------
def test_missing_variable_is_named(tmp_path):
  model = AlbertPretrainer(pu.TINY).ensure_built()
  arrays = variable_map.export_arrays(tf1_names.tf1_entries(model))
  del arrays["bert/pooler/dense/bias"]
  prefix = str(tmp_path / "model.ckpt-1")
  tf1_names.write_name_keyed(prefix, arrays)
  with pytest.raises(CheckpointMismatchError) as err:
    ckpt_load.load(AlbertPretrainer(pu.TINY), prefix)
  assert err.value.missing == ["bert/pooler/dense/bias"] and not err.value.unexpected
  assert "bert/pooler/dense/bias" in str(err.value)


def test_ours_without_sop_head_is_not_partially_loaded(tmp_path):
  source = pu.randomize(AlbertPretrainer(pu.TINY).ensure_built(), seed=3)
  heads = tf.Module()
  heads.encoder, heads.masked_lm = source.encoder, source.masked_lm
  prefix = tf.train.Checkpoint(model=heads).write(str(tmp_path / "ckpt-1"))
  target = AlbertPretrainer(pu.TINY).ensure_built()
  before = [w.numpy() for w in target.weights]
  with pytest.raises(CheckpointMismatchError) as err:
    ckpt_load.load(target, prefix)
  assert err.value.missing and all(m.startswith("model/sentence_order/")
                                   for m in err.value.missing)
  assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, target.weights))
  ckpt_load.load(AlbertEncoder(pu.TINY), prefix)  # the encoder part is complete


def test_trainer_checkpoint_with_optimizer_and_iterator(tmp_path):
  model = pu.randomize(AlbertPretrainer(pu.TINY).ensure_built(), seed=4)
  optimizer = tf_keras.optimizers.Adam(1e-3)
  optimizer.apply_gradients([(tf.ones_like(v), v) for v in model.trainable_variables])  # slots
  iterator = iter(tf.data.Dataset.range(10).shuffle(5, seed=1))
  next(iterator)
  manager = tf.train.CheckpointManager(
      tf.train.Checkpoint(model=model, optimizer=optimizer, iterator=iterator), str(tmp_path),
      max_to_keep=1, step_counter=optimizer.iterations, checkpoint_name="ckpt")
  manager.save()
  assert ckpt_load.detect_format(tmp_path) == "ours"
  fresh = AlbertPretrainer(pu.TINY)
  assert ckpt_load.load(fresh, tmp_path) == manager.latest_checkpoint
  assert _equal_weights(fresh, model)


@pytest.mark.parametrize("fmt", ckpt_load.FORMATS)
def test_load_encoder_from_a_pretrainer_checkpoint(saved, fmt):
  model, written = saved
  encoder = ckpt_load.load_encoder(pu.TINY, written[fmt])
  assert isinstance(encoder, AlbertEncoder) and _equal_weights(encoder, model.encoder)


def test_load_pretrainer_with_and_without_heads(saved, tmp_path):
  model, written = saved
  pretrainer, prefix = ckpt_load.load_pretrainer(pu.TINY, written["tf1"])
  assert prefix == written["tf1"] and _equal_weights(pretrainer, model)
  bare = str(tmp_path / "model.ckpt-1")  # a TF1 checkpoint without cls/ heads
  tf1_names.write_name_keyed(bare, variable_map.export_arrays(
      tf1_names.encoder_entries(model.encoder)))
  with pytest.raises(CheckpointMismatchError, match="cls/predictions"):
    ckpt_load.load_pretrainer(pu.TINY, bare)
  pretrainer, _ = ckpt_load.load_pretrainer(pu.TINY, bare, heads_required=False)
  assert _equal_weights(pretrainer.encoder, model.encoder)


def test_unknown_format_is_refused(saved):
  with pytest.raises(ValueError, match="unknown checkpoint format 'tf2'"):
    ckpt_load.load(AlbertPretrainer(pu.TINY), saved[1]["ours"], format="tf2")


# --- write_config -------------------------------------------------------------------------
def test_write_config_round_trip(tmp_path):
  path = ckpt_load.write_config(tmp_path / "new", pu.TINY_GROUPS)
  assert path == str(tmp_path / "new" / "albert_config.json")
  assert AlbertConfig.from_json_file(path) == pu.TINY_GROUPS
  assert ckpt_load.read_config(path) == pu.TINY_GROUPS
  official = pu.TINY.replace(extra={"net_structure_type": 0, "gap_size": 0})
  path = ckpt_load.write_config(tmp_path, official)  # the ignored official keys round-trip
  assert json.loads(open(path, encoding="utf-8").read())["gap_size"] == 0
  assert ckpt_load.find_config(tmp_path).extra == {"net_structure_type": 0, "gap_size": 0}


def test_every_format_writes_albert_config_json(saved):
  _, written = saved
  for fmt in ("ours", "tf1", "tf_models"):
    assert os.path.isfile(os.path.join(os.path.dirname(written[fmt]), "albert_config.json"))
