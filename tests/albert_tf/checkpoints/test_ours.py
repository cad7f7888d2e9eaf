"""Our object-based format: round trip, config.json, strict errors."""
import json

import pytest
import tensorflow as tf

from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import ours
from albert_tf.checkpoints import tf1_names
from albert_tf.checkpoints.errors import CheckpointMismatchError
from albert_tf.pretrainer import AlbertPretrainer
from tests.albert_tf.checkpoints import parity_utils as pu


def test_round_trip_and_config(tmp_path):
  model = pu.randomize(AlbertPretrainer(pu.TINY_GROUPS).ensure_built())
  prefix = ours.save_ours(model, tmp_path)
  config = ckpt_load.find_config(prefix)
  assert config == pu.TINY_GROUPS
  assert json.loads((tmp_path / "config.json").read_text())["num_hidden_groups"] == 2
  back = AlbertPretrainer(config)
  ours.load_ours(back, tmp_path)
  inputs = pu.random_inputs(config)
  a, b = pu.outputs(model, inputs), pu.outputs(back, inputs)
  assert pu.report("ours→ours", {k: pu.max_diff(a[k], b[k]) for k in a}) == 0.0


def test_other_roots_such_as_optimizer_state_are_ignored(tmp_path):
  model = AlbertPretrainer(pu.TINY).ensure_built()
  prefix = tf.train.Checkpoint(model=model, step=tf.Variable(3)).write(str(tmp_path / "ckpt-3"))
  ours.load_ours(AlbertPretrainer(pu.TINY), prefix)


def test_different_structure_is_listed(tmp_path):
  prefix = ours.save_ours(AlbertPretrainer(pu.TINY_GROUPS).ensure_built(), tmp_path)
  with pytest.raises(CheckpointMismatchError) as err:
    ours.load_ours(AlbertPretrainer(pu.TINY.replace(num_hidden_layers=4)), prefix)
  assert err.value.unexpected and not err.value.missing  # 2×2 blocks saved, 1 block wanted
  with pytest.raises(CheckpointMismatchError) as err:
    ours.load_ours(AlbertPretrainer(pu.TINY_GROUPS.replace(vocab_size=98)), prefix)
  assert {m[0] for m in err.value.mis_shaped} == {
      "model/encoder/embeddings/word_embeddings", "model/masked_lm/output_bias"}


def test_name_keyed_checkpoint_is_rejected_clearly(tmp_path):
  prefix = tf1_names.save_tf1(AlbertPretrainer(pu.TINY).ensure_built(), tmp_path)
  with pytest.raises(ValueError, match="name-keyed"):
    ours.load_ours(AlbertPretrainer(pu.TINY), prefix)


def test_output_prefix_directory_vs_prefix(tmp_path):
  from albert_tf.checkpoints import paths
  in_dir = str(tmp_path / "ckpt" / "model")
  assert paths.output_prefix(str(tmp_path / "ckpt") + "/", "model") == in_dir
  assert paths.output_prefix(str(tmp_path / "out"), "model") == str(tmp_path / "out" / "model")
  assert paths.output_prefix(str(tmp_path / "m.ckpt-best"), "model") == str(tmp_path / "m.ckpt-best")
