"""Ours vs HF transformers AlbertModel / AlbertForPreTraining: parity, round trips, errors."""
import json
import os

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from albert_tf.checkpoints import hf  # noqa: E402
from albert_tf.checkpoints import load as ckpt_load  # noqa: E402
from albert_tf.checkpoints import variable_map  # noqa: E402
from albert_tf.checkpoints.errors import CheckpointMismatchError  # noqa: E402
from albert_tf.encoder import AlbertEncoder  # noqa: E402
from albert_tf.pretrainer import AlbertPretrainer  # noqa: E402
from tests.albert_tf.checkpoints import hf_utils  # noqa: E402
from tests.albert_tf.checkpoints import parity_utils as pu  # noqa: E402

CONFIGS = {
    "tiny": pu.TINY,
    "groups2_inner2": pu.TINY_GROUPS,
    "no_sharing_as_groups": pu.TINY.replace(num_hidden_layers=3, share_parameters="none"),
    "e_equals_h_relu": pu.TINY.replace(embedding_size=32, hidden_act="relu"),
    # Groups need not divide the layers (official and HF): layers → groups [0, 0, 0, 1, 1].
    "layers5_groups2": pu.TINY.replace(num_hidden_layers=5, num_hidden_groups=2),
}


def _diffs(ours, theirs):
  return {k: pu.max_diff(ours[k], theirs[k]) for k in theirs}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_pretraining_parity(name):
  config = CONFIGS[name]
  ours = pu.randomize(AlbertPretrainer(config).ensure_built(), seed=3)
  theirs = hf_utils.hf_model(config, state_dict=hf.state_dict_from_ours(ours))
  inputs = pu.random_inputs(config)
  diff = pu.report(f"HF AlbertForPreTraining [{name}]",
                   _diffs(pu.outputs(ours, inputs), hf_utils.hf_outputs(theirs, inputs)))
  assert diff <= pu.TOLERANCE


def test_albert_model_parity_and_load_back():
  config = pu.TINY_GROUPS
  ours = pu.randomize(AlbertEncoder(config).ensure_built(), seed=4)
  state = hf.state_dict_from_ours(ours)
  assert not any(k.startswith(("albert.", "predictions.")) for k in state)
  theirs = hf_utils.hf_model(config, pretraining=False, state_dict=state)
  inputs = pu.random_inputs(config)
  diff = pu.report("HF AlbertModel [groups2_inner2]",
                   _diffs(pu.outputs(ours, inputs), hf_utils.hf_outputs(theirs, inputs)))
  assert diff <= pu.TOLERANCE
  back = AlbertEncoder(config).ensure_built()
  hf.load_state_dict(back, {k: v for k, v in theirs.state_dict().items()})
  assert pu.max_diff(pu.outputs(back, inputs)["sequence_output"],
                     pu.outputs(ours, inputs)["sequence_output"]) == 0.0


@pytest.mark.parametrize("weights_format", ["safetensors", "bin"])
def test_round_trip_through_files(tmp_path, weights_format):
  config = pu.TINY_GROUPS
  ours = pu.randomize(AlbertPretrainer(config).ensure_built(), seed=5)
  out_dir = hf.save_hf(ours, tmp_path / "hf", weights_format=weights_format)
  assert ckpt_load.find_config(out_dir) == config
  # HF itself loads the directory (local path, nothing downloaded).
  import transformers  # pylint: disable=g-import-not-at-top
  loaded = transformers.AlbertForPreTraining.from_pretrained(out_dir).eval()
  inputs = pu.random_inputs(config)
  expected = pu.outputs(ours, inputs)
  diff = pu.report(f"HF from_pretrained(our {weights_format})",
                   _diffs(expected, hf_utils.hf_outputs(loaded, inputs)))
  assert diff <= pu.TOLERANCE
  # And HF's own save_pretrained output loads back into ours, bit for bit.
  loaded.save_pretrained(tmp_path / "hf_saved")
  back = AlbertPretrainer(config).ensure_built()
  hf.load_hf(back, tmp_path / "hf_saved")
  diff = pu.report("ours→HF files→HF save_pretrained→ours", _diffs(expected, pu.outputs(back, inputs)))
  assert diff == 0.0


def test_hf_config_activation_mapping():
  cfg = hf.hf_config_dict(pu.TINY)
  assert cfg["hidden_act"] == "gelu_new" and cfg["layer_norm_eps"] == 1e-12
  assert hf.config_from_hf(cfg) == pu.TINY
  assert hf.config_from_hf({**cfg, "hidden_act": "gelu"}).hidden_act == "gelu_exact"


def test_mis_mapped_weight_breaks_parity():
  """A missing transpose on one kernel must be caught by the parity check."""
  config = pu.TINY
  ours = pu.randomize(AlbertPretrainer(config).ensure_built(), seed=6)
  entries = hf.hf_entries(ours)
  target = "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight"
  corrupted = [variable_map.Entry(e.name, e.variable) if e.name == target else e for e in entries]
  state = hf.state_dict_from_ours(ours)
  state.update(variable_map.export_arrays(corrupted))
  theirs = hf_utils.hf_model(config, state_dict=state)
  inputs = pu.random_inputs(config)
  diff = pu.report("HF with query kernel not transposed (must fail)",
                   _diffs(pu.outputs(ours, inputs), hf_utils.hf_outputs(theirs, inputs)))
  assert diff > 1e-3


def test_missing_unexpected_and_mis_shaped_are_listed():
  config = pu.TINY
  ours = AlbertPretrainer(config).ensure_built()
  state = hf.state_dict_from_ours(ours)
  del state["albert.pooler.bias"]
  state["albert.extra.weight"] = np.zeros([3])
  state["predictions.bias"] = np.zeros([config.vocab_size + 1], np.float32)
  state["predictions.decoder.bias"] = state["predictions.bias"]
  with pytest.raises(CheckpointMismatchError) as err:
    hf.load_state_dict(AlbertPretrainer(config).ensure_built(), state)
  assert err.value.missing == ["albert.pooler.bias"]
  assert err.value.unexpected == ["albert.extra.weight"]
  assert [m[0] for m in err.value.mis_shaped] == ["predictions.bias"]
  assert "\n" not in str(err.value)


def test_encoder_state_dict_into_pretrainer_lists_missing_heads():
  ours = AlbertEncoder(pu.TINY).ensure_built()
  with pytest.raises(CheckpointMismatchError) as err:
    hf.load_state_dict(AlbertPretrainer(pu.TINY).ensure_built(), hf.state_dict_from_ours(ours))
  assert "sop_classifier.classifier.weight" in err.value.missing


def test_untied_decoder_and_non_identity_projection_are_rejected():
  ours = AlbertPretrainer(pu.TINY).ensure_built()
  state = hf.state_dict_from_ours(ours)
  state["predictions.decoder.weight"] = state["predictions.decoder.weight"] + 1.0
  with pytest.raises(CheckpointMismatchError, match="untied"):
    hf.load_state_dict(AlbertPretrainer(pu.TINY).ensure_built(), state)
  config = pu.TINY.replace(embedding_size=32)
  state = hf.state_dict_from_ours(AlbertPretrainer(config).ensure_built())
  state["albert.encoder.embedding_hidden_mapping_in.bias"] += 0.5
  with pytest.raises(CheckpointMismatchError, match="identity"):
    hf.load_state_dict(AlbertPretrainer(config).ensure_built(), state)


@pytest.mark.parametrize("mode", ["attention", "ffn"])
def test_partial_sharing_has_no_hf_equivalent(mode):
  with pytest.raises(ValueError, match="cannot represent"):
    hf.hf_config_dict(pu.TINY.replace(share_parameters=mode))


def test_bad_paths_give_clear_errors(tmp_path):
  with pytest.raises(ValueError, match="no model.safetensors"):
    hf.load_hf(AlbertPretrainer(pu.TINY), tmp_path)
  with pytest.raises(ValueError, match="no HF checkpoint at"):
    hf.load_hf(AlbertPretrainer(pu.TINY), tmp_path / "nope")


def test_layers5_groups2_round_trips_through_hf_files(tmp_path):
  config = CONFIGS["layers5_groups2"]
  ours = pu.randomize(AlbertEncoder(config).ensure_built(), seed=8)
  out_dir = hf.save_hf(ours, tmp_path / "hf")
  assert ckpt_load.find_config(out_dir) == config
  back = AlbertEncoder(ckpt_load.find_config(out_dir)).ensure_built()
  hf.load_hf(back, out_dir)
  inputs = pu.random_inputs(config)
  assert pu.max_diff(pu.outputs(back, inputs)["sequence_output"],
                     pu.outputs(ours, inputs)["sequence_output"]) == 0.0


def test_group_rules_that_round_differently_are_refused():
  """HF's int(i / (L / G)) and the official int(i / L * G) disagree for L=18, G=14."""
  with pytest.raises(ValueError, match="layer 9 in group 6, the official .* group 7"):
    hf.hf_config_dict(pu.TINY.replace(num_hidden_layers=18, num_hidden_groups=14))
  their_config = {**hf.hf_config_dict(pu.TINY), "num_hidden_layers": 18,
                  "num_hidden_groups": 14}
  with pytest.raises(ValueError, match="config.json: HF transformers ALBERT cannot represent"):
    hf.config_from_hf(their_config, source="config.json")


def test_hf_one_group_per_layer_reads_as_no_sharing():
  """HF with G = L = 22 runs group i at layer i; the official rule would not (layer 15 → 14),
  so it is read as share_parameters="none", and the weights compute HF's outputs."""
  config = pu.TINY.replace(num_hidden_layers=22, share_parameters="none")
  values = hf.hf_config_dict(config)
  assert values["num_hidden_groups"] == 22
  read = hf.config_from_hf(values)
  assert read.share_parameters == "none"
  import torch  # pylint: disable=g-import-not-at-top
  torch.manual_seed(0)
  theirs = hf_utils.hf_model(read, pretraining=False)
  ours = AlbertEncoder(read).ensure_built()
  hf.load_state_dict(ours, {k: v.numpy() for k, v in theirs.state_dict().items()})
  inputs = pu.random_inputs(read)
  diff = pu.report("HF AlbertModel [L=G=22 read as none]",
                   _diffs(pu.outputs(ours, inputs), hf_utils.hf_outputs(theirs, inputs)))
  assert diff <= pu.TOLERANCE
