"""Issue 13, model configs: every bad config ends in one clear line, and a config that
contradicts the one beside a checkpoint is refused before anything is written.

In-process checks of the readers (AlbertConfig.from_json_file for run_pretraining,
checkpoints.load.read_config / resolve_config for every other CLI), then the CLIs as a
user runs them: `python -m export.export_serving` and `python -m
albert_tf.finetune.run_classifier` (exit 1, one `error:` line, no traceback, no output).
"""
import json
import os
import re
import subprocess
import sys

import pytest

from albert_tf import errors
from albert_tf.checkpoints import hf
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import ours
from albert_tf.checkpoints import tf_models
from albert_tf.configs import AlbertConfig
from tests.conftest import REPO_ROOT

TINY = AlbertConfig.from_preset("albert_tiny")
# The keys of a released albert_config.json (albert_base v2), at tiny sizes.
OFFICIAL_TINY = {
    "attention_probs_dropout_prob": 0, "hidden_act": "gelu", "hidden_dropout_prob": 0,
    "embedding_size": 16, "hidden_size": 32, "initializer_range": 0.02,
    "intermediate_size": 64, "max_position_embeddings": 128, "num_attention_heads": 2,
    "num_hidden_layers": 2, "num_hidden_groups": 1, "net_structure_type": 0, "gap_size": 0,
    "num_memory_blocks": 0, "inner_group_num": 1, "down_scale_factor": 1,
    "type_vocab_size": 2, "vocab_size": 30000,
}
# The layouts a model config comes in (HF's is read by its own mapping, tested below).
LAYOUTS = {
    "official_albert_config": lambda values: values,
    "our_flat_config": lambda values: {**values, "share_parameters": "all"},
    "trainer_nested_config": lambda values: {"albert_config": values,
                                             "pretraining": {"seed": 1}},
}


def _write(path, values):
  path.write_text(values if isinstance(values, str) else json.dumps(values))
  return str(path)


def _both_readers(path):
  """The message each config reader gives (run_pretraining's, and the front door's)."""
  messages = []
  for read in (AlbertConfig.from_json_file, ckpt_load.read_config):
    with pytest.raises(errors.UserError) as err:
      read(path)
    messages.append(str(err.value))
  return messages


# --- unknown, ignored and refused keys --------------------------------------------------------
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_typo_key_is_named_with_did_you_mean(tmp_path, layout):
  values = dict(OFFICIAL_TINY)
  values["hiden_size"] = values.pop("hidden_size")
  path = _write(tmp_path / "albert_config.json", LAYOUTS[layout](values))
  for message in _both_readers(path):
    assert "'hiden_size'" in message and "did you mean hidden_size?" in message, message
    assert path in message and "\n" not in message


def test_unknown_key_without_close_match_lists_the_known_keys(tmp_path):
  path = _write(tmp_path / "c.json", {**OFFICIAL_TINY, "use_rezero": True})
  for message in _both_readers(path):
    assert "'use_rezero'" in message and "hidden_size" in message and "net_structure_type" in (
        message)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_official_ignored_keys_are_accepted_and_kept(tmp_path, layout):
  path = _write(tmp_path / "albert_config.json", LAYOUTS[layout](OFFICIAL_TINY))
  for read in (AlbertConfig.from_json_file, ckpt_load.read_config):
    config = read(path)
    assert config == TINY
    assert config.extra == {"net_structure_type": 0, "gap_size": 0, "num_memory_blocks": 0}
    assert {k: config.to_dict()[k] for k in OFFICIAL_TINY} == OFFICIAL_TINY  # written back
  # Keys the official code never reads accept any value.
  path = _write(tmp_path / "other.json", {**OFFICIAL_TINY, "gap_size": 3, "num_memory_blocks": 2})
  assert AlbertConfig.from_json_file(path).extra["gap_size"] == 3


@pytest.mark.parametrize("key,value,why", [
    ("net_structure_type", 1, "does not implement"),
    ("down_scale_factor", 2, "never applies it"),
])
def test_official_keys_asking_for_what_we_do_not_build_are_refused(tmp_path, key, value, why):
  path = _write(tmp_path / "albert_config.json", {**OFFICIAL_TINY, key: value})
  for message in _both_readers(path):
    assert f"{key}={value}" in message and why in message and path in message, message
    assert f"set it to {OFFICIAL_TINY[key]}" in message


def test_hf_config_with_its_own_keys_still_reads(tmp_path):
  values = {**hf.hf_config_dict(TINY), "transformers_version": "4.40.0", "torch_dtype": "float32",
            "position_embedding_type": "absolute", "output_attentions": False,
            "net_structure_type": 0, "gap_size": 0, "num_memory_blocks": 0,
            "down_scale_factor": 1, "layers_to_keep": []}
  assert ckpt_load.read_config(_write(tmp_path / "config.json", values)) == TINY


# --- unreadable files and wrong types ---------------------------------------------------------
def test_non_json_config_names_file_line_and_column(tmp_path):
  path = _write(tmp_path / "albert_config.json", '{"hidden_size": 32,\n  "vocab_size" 30000}')
  for message in _both_readers(path):
    assert path in message and "not valid JSON (line 2, column 16" in message, message


def test_wrong_type_names_the_key_and_what_to_write(tmp_path):
  path = _write(tmp_path / "albert_config.json", {**OFFICIAL_TINY, "hidden_size": "256"})
  for message in _both_readers(path):
    assert 'hidden_size="256" must be an integer, not a string' in message, message
    assert "without quotes" in message and path in message


def test_missing_directory_and_non_utf8_config_files(tmp_path):
  for message in _both_readers(str(tmp_path / "nope.json")):
    assert "nope.json" in message and "no such file" in message
  for message in _both_readers(str(tmp_path)):
    assert "is a directory" in message
  path = tmp_path / "latin1.json"
  path.write_bytes(b'{"hidden_act": "g\xe9lu"}')
  for message in _both_readers(str(path)):
    assert "not UTF-8" in message and str(path) in message


def test_impossible_value_names_the_file(tmp_path):
  path = _write(tmp_path / "c.json", {**OFFICIAL_TINY, "num_attention_heads": 3})
  for message in _both_readers(path):
    assert message.startswith(f"{path}: hidden_size=32: must be divisible"), message


# --- groups that do not divide the layers ----------------------------------------------------
def test_layers_not_divisible_by_groups_are_accepted(tmp_path):
  path = _write(tmp_path / "c.json", {**OFFICIAL_TINY, "num_hidden_layers": 5,
                                      "num_hidden_groups": 2})
  config = ckpt_load.read_config(path)
  assert [config.group_of_layer(l) for l in range(5)] == [0, 0, 0, 1, 1]
  hf.check_representable(config)  # HF parity: tests/albert_tf/checkpoints/test_hf_parity.py
  with pytest.raises(errors.UserError, match="num_hidden_groups=2 \\(needs 1\\)"):
    tf_models.check_representable(config)  # tf-models has one shared block, no groups


# --- a config that contradicts the one beside the checkpoint ----------------------------------
@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
  """An albert_tiny checkpoint of ours, albert_config.json beside it."""
  from albert_tf.pretrainer import AlbertPretrainer  # pylint: disable=import-outside-toplevel
  return ours.save_ours(AlbertPretrainer(TINY).ensure_built(),
                        str(tmp_path_factory.mktemp("ckpt") / "run"))


def test_contradicting_config_is_refused_with_the_difference(tmp_path, checkpoint):
  deeper = _write(tmp_path / "deeper.json", TINY.replace(num_hidden_layers=3).to_dict())
  with pytest.raises(errors.UserError) as err:
    ckpt_load.resolve_config(deeper, None, checkpoint)
  message = str(err.value)
  assert "num_hidden_layers: 2 → 3" in message and deeper in message, message
  assert "albert_config.json" in message and "drop --albert_config_file" in message
  with pytest.raises(errors.UserError, match="--preset=albert_base contradicts .*hidden_size: "
                     "32 → 768"):
    ckpt_load.resolve_config(None, "albert_base", checkpoint)


def test_same_model_with_other_training_settings_is_accepted(tmp_path, checkpoint):
  same = TINY.replace(hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                      initializer_range=0.05, extra={"gap_size": 0})
  path = _write(tmp_path / "same.json", same.to_dict())
  assert ckpt_load.resolve_config(path, None, checkpoint).hidden_dropout_prob == 0.1
  # "Nothing shared" spelled as one group per layer (HF's and TF1's files) is the same model.
  none = TINY.replace(share_parameters="none")
  assert not ckpt_load.config_differences(none, none.replace(share_parameters="all",
                                                             num_hidden_groups=2))
  assert ckpt_load.config_differences(none, TINY) == [
      ("num_hidden_groups", 2, 1), ("share_parameters", "none", "all")]


# --- the CLIs, as a user runs them --------------------------------------------------------------
def _run(module, *args):
  env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
  result = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
  # `PROG: error: ...` (errors.run_cli) or `error: ...` (export.cli_errors); not TF's log lines.
  error_lines = [line for line in result.stderr.splitlines()
                 if re.match(r"([\w.]+: )?error: ", line)]
  assert result.returncode == 1, result.stderr
  assert len(error_lines) == 1 and "Traceback" not in result.stderr, result.stderr
  return error_lines[0]


def test_export_serving_refuses_a_contradicting_config(tmp_path, checkpoint):
  deeper = _write(tmp_path / "deeper.json", TINY.replace(num_hidden_layers=3).to_dict())
  line = _run("export.export_serving", f"--init_checkpoint={checkpoint}",
              f"--albert_config_file={deeper}", f"--model_base_path={tmp_path}/models")
  assert "num_hidden_layers: 2 → 3" in line and "contradicts" in line, line
  assert not os.path.exists(tmp_path / "models")  # no version directory, not even the base


def test_run_classifier_refuses_a_contradicting_config(tmp_path, checkpoint):
  heads = _write(tmp_path / "heads.json", TINY.replace(num_attention_heads=4).to_dict())
  line = _run("albert_tf.finetune.run_classifier", "--task=SST-2",
              f"--data_dir={REPO_ROOT}/tests/testdata/glue_samples/SST-2",
              f"--output_dir={tmp_path}/out", f"--init_checkpoint={checkpoint}",
              f"--albert_config_file={heads}", "--max_seq_length=32", "--batch_size=4",
              "--train_steps=2", "--seeds=1")
  assert line.startswith("run_classifier: error: ") and "num_attention_heads: 2 → 4" in line
  assert not os.path.exists(tmp_path / "out")  # no results.json, no seed_<s>/ checkpoints
