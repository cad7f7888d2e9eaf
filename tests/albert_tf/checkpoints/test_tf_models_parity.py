"""Ours vs tf-models-official AlbertEncoder + BertPretrainerV2 MaskedLM: parity, round trips."""
import numpy as np
import pytest

from albert_tf.checkpoints import tf_models
from albert_tf.checkpoints import variable_map
from albert_tf.checkpoints.errors import CheckpointMismatchError
from albert_tf.encoder import AlbertEncoder
from albert_tf.pretrainer import AlbertPretrainer
from tests.albert_tf.checkpoints import parity_utils as pu

CONFIGS = {"tiny": pu.TINY, "e_equals_h": pu.TINY.replace(embedding_size=32),
           "three_layers_relu": pu.TINY.replace(num_hidden_layers=3, hidden_act="relu")}


def tf_models_outputs(tm_pretrainer, inputs):
  out = tm_pretrainer(inputs, training=False)
  return {k: out[k].numpy() for k in ("sequence_output", "pooled_output", "mlm_logits")}


def _parity(ours, tm_pretrainer, inputs, label):
  a, b = pu.outputs(ours, inputs), tf_models_outputs(tm_pretrainer, inputs)
  return pu.report(label, {k: pu.max_diff(a[k], b[k]) for k in b})


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_parity(name):
  config = CONFIGS[name]
  ours = pu.randomize(AlbertPretrainer(config).ensure_built(), seed=11)
  tm_encoder, tm_pretrainer = tf_models.build_tf_models(config)
  tf_models.copy_to_tf_models(ours, tm_encoder, tm_pretrainer.masked_lm)
  diff = _parity(ours, tm_pretrainer, pu.random_inputs(config), f"tf-models [{name}]")
  assert diff <= pu.TOLERANCE


def test_round_trip_through_checkpoint(tmp_path):
  config = pu.TINY
  ours = pu.randomize(AlbertPretrainer(config).ensure_built(), seed=12)
  prefix = tf_models.save_tf_models(ours, tmp_path)
  # The file is what tf-models' own code restores: Checkpoint(**checkpoint_items).
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tm_encoder, tm_pretrainer = tf_models.build_tf_models(config)
  tf.train.Checkpoint(**tm_pretrainer.checkpoint_items).read(prefix).assert_consumed()
  inputs = pu.random_inputs(config)
  assert _parity(ours, tm_pretrainer, inputs, "tf-models restored from our file") <= pu.TOLERANCE
  back = AlbertPretrainer(config).ensure_built()
  back.sentence_order.set_weights(ours.sentence_order.get_weights())  # SOP: not in tf-models
  tf_models.load_tf_models(back, prefix, allow_missing_sop=True)
  a, b = pu.outputs(ours, inputs), pu.outputs(back, inputs)
  assert pu.report("ours→tf-models→ours", {k: pu.max_diff(a[k], b[k]) for k in a}) == 0.0


def test_missing_sop_is_an_error_unless_allowed(tmp_path):
  prefix = tf_models.save_tf_models(AlbertPretrainer(pu.TINY).ensure_built(), tmp_path)
  with pytest.raises(CheckpointMismatchError, match="no ALBERT SOP head"):
    tf_models.load_tf_models(AlbertPretrainer(pu.TINY), prefix)
  encoder = AlbertEncoder(pu.TINY)
  tf_models.load_tf_models(encoder, prefix)  # an encoder needs no head


def test_encoder_only_checkpoint_lists_missing_mlm_head(tmp_path):
  prefix = tf_models.save_tf_models(AlbertEncoder(pu.TINY).ensure_built(), tmp_path)
  with pytest.raises(CheckpointMismatchError) as err:
    tf_models.load_tf_models(AlbertPretrainer(pu.TINY), prefix, allow_missing_sop=True)
  assert err.value.missing and all(k.startswith("masked_lm/") for k in err.value.missing)


def test_mis_shaped_checkpoint_is_listed(tmp_path):
  prefix = tf_models.save_tf_models(AlbertEncoder(pu.TINY).ensure_built(), tmp_path)
  with pytest.raises(CheckpointMismatchError) as err:
    tf_models.load_tf_models(AlbertEncoder(pu.TINY.replace(intermediate_size=48)), prefix)
  assert len(err.value.mis_shaped) == 3  # intermediate kernel, bias; output kernel


def test_swapped_query_key_mapping_breaks_parity():
  config = pu.TINY
  ours = pu.randomize(AlbertPretrainer(config).ensure_built(), seed=13)
  tm_encoder, tm_pretrainer = tf_models.build_tf_models(config)
  tf_models.copy_to_tf_models(ours, tm_encoder, tm_pretrainer.masked_lm)
  targets = tf_models.tf_models_variables(tm_encoder, tm_pretrainer.masked_lm)
  arrays = variable_map.export_arrays(tf_models.tf_models_entries(ours))
  targets["transformer/self_attention/query/kernel"].assign(
      arrays["transformer/self_attention/key/kernel"])
  targets["transformer/self_attention/key/kernel"].assign(
      arrays["transformer/self_attention/query/kernel"])
  diff = _parity(ours, tm_pretrainer, pu.random_inputs(config),
                 "tf-models with query/key swapped (must fail)")
  assert diff > 1e-3


@pytest.mark.parametrize("change", [
    {"num_hidden_groups": 2, "num_hidden_layers": 2}, {"inner_group_num": 2},
    {"share_parameters": "none"}, {"layer_norm_eps": 1e-5}])
def test_unrepresentable_configs_are_rejected(change):
  with pytest.raises(ValueError, match="cannot represent"):
    tf_models.build_tf_models(pu.TINY.replace(**change))


def test_copy_back_from_in_memory_model():
  config = pu.TINY
  tm_encoder, tm_pretrainer = tf_models.build_tf_models(config)
  for v in tm_pretrainer.weights:
    v.assign(np.random.default_rng(0).normal(0, 0.1, v.shape).astype(np.float32))
  ours = AlbertEncoder(config).ensure_built()
  tf_models.copy_from_tf_models(ours, tm_encoder)
  inputs = pu.random_inputs(config)
  out = tm_encoder({k: inputs[k] for k in ("input_word_ids", "input_mask", "input_type_ids")})
  diff = pu.report("tf-models→ours (encoder)", {
      "sequence_output": pu.max_diff(pu.outputs(ours, inputs)["sequence_output"],
                                     out["sequence_output"])})
  assert diff <= pu.TOLERANCE
