"""`python -m albert_tf.convert` and its library function: every direction, clear errors."""
import os
import subprocess
import sys

import pytest
from absl.testing import flagsaver

from albert_tf import convert
from albert_tf import errors
from albert_tf.checkpoints import converter
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import ours
from albert_tf.checkpoints import tf1_names
from albert_tf.pretrainer import AlbertPretrainer
from tests.albert_tf.checkpoints import parity_utils as pu

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def _outputs_of(fmt, path, inputs):
  model = AlbertPretrainer(ckpt_load.find_config(path, fmt)).ensure_built()
  ckpt_load.load(model, path, fmt, allow_missing_sop=True)
  return pu.outputs(model, inputs)


def test_every_direction_preserves_outputs(tmp_path):
  pytest.importorskip("safetensors")
  start = pu.randomize(AlbertPretrainer(pu.TINY).ensure_built(), seed=21)
  ours.save_ours(start, tmp_path / "ours")
  inputs = pu.random_inputs(pu.TINY)
  expected = pu.outputs(start, inputs)
  # Covers tf1↔hf via ours; ours→hf→ours directly is in test_hf_parity.py.
  steps = [("ours", "tf1"), ("tf1", "hf"), ("hf", "tf1"), ("tf1", "ours"),
           ("ours", "tf_models"), ("tf_models", "ours")]
  paths = {"ours": tmp_path / "ours"}
  for i, (src, dst) in enumerate(steps):
    out = tmp_path / f"{i}_{dst}"
    written = converter.convert_checkpoint(src, dst, paths[src], out, allow_missing_sop=True)
    paths[dst] = written
    got = _outputs_of(dst, written, inputs)
    keys = [k for k in expected if not (k == "sop_logits" and "tf_models" in (src, dst))]
    diff = pu.report(f"convert {src}→{dst} (chain step {i})",
                     {k: pu.max_diff(expected[k], got[k]) for k in keys})
    assert diff == 0.0


def _run_main(capsys, **flags):
  """convert.main as `python -m albert_tf.convert` runs it (errors.run_cli's reporting)."""
  with flagsaver.flagsaver(**flags):
    try:
      code = convert.main([])
    except Exception as e:  # noqa: BLE001 -- report() re-raises a bug
      code = errors.report(e, "albert_tf.convert")
  return code, capsys.readouterr()


@pytest.fixture(scope="module", autouse=True)
def _parse_flags():
  if not convert.FLAGS.is_parsed():
    convert.FLAGS(["convert", "--from=ours", "--to=ours", "--input=x", "--output=y"])


def test_bad_path_is_one_line_without_traceback(tmp_path, capsys):
  code, out = _run_main(capsys, **{"from": "tf1", "to": "hf", "input": str(tmp_path / "nope"),
                                   "output": str(tmp_path / "o"), "preset": "albert_tiny"})
  assert code == 1
  assert out.err.count("\n") == 1 and "does not exist" in out.err
  code, out = _run_main(capsys, **{"from": "tf1", "to": "hf", "input": str(tmp_path),
                                   "output": str(tmp_path / "o"), "preset": "albert_tiny"})
  assert code == 1
  assert out.err.count("\n") == 1 and "no TensorFlow checkpoint in directory" in out.err


def test_mismatch_is_one_line_listing(tmp_path, capsys):
  tf1_names.save_tf1(AlbertPretrainer(pu.TINY).ensure_built(), tmp_path / "tf1")
  # Without the config beside it (which the preset would contradict: test_config_faults.py),
  # the strict load is what finds the mismatch.
  os.remove(tmp_path / "tf1" / "albert_config.json")
  code, out = _run_main(capsys, **{"from": "tf1", "to": "ours", "input": str(tmp_path / "tf1"),
                                   "output": str(tmp_path / "o"), "preset": "albert_tiny"})
  assert code == 1 and out.err.count("\n") == 1
  assert "3 mis-shaped [" in out.err  # word and position tables, MLM output bias
  assert "bert/embeddings/word_embeddings: checkpoint (99, 16) vs model (30000, 16)" in out.err


def test_unrepresentable_target_and_missing_config(tmp_path, capsys):
  model = AlbertPretrainer(pu.TINY.replace(share_parameters="ffn")).ensure_built()
  ours.save_ours(model, tmp_path / "o")
  code, out = _run_main(capsys, **{"from": "ours", "to": "tf_models",
                                   "input": str(tmp_path / "o"), "output": str(tmp_path / "t")})
  assert code == 1 and "cannot represent" in out.err
  tf1_names.save_tf1(model, tmp_path / "bare" / "model.ckpt", config_name=None)
  code, out = _run_main(capsys, **{"from": "tf1", "to": "ours",
                                   "input": str(tmp_path / "bare"), "output": str(tmp_path / "x")})
  assert code == 1 and "no config found beside" in out.err


def test_cli_subprocess(tmp_path):
  tf1_names.save_tf1(pu.randomize(AlbertPretrainer(pu.TINY).ensure_built()), tmp_path / "tf1")
  env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
         "PYTHONPATH": REPO_ROOT}
  result = subprocess.run(
      [sys.executable, "-m", "albert_tf.convert", "--from=tf1", "--to=hf",
       f"--input={tmp_path / 'tf1'}", f"--output={tmp_path / 'hf'}"],
      cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-2000:]
  assert "wrote hf checkpoint" in result.stdout
  assert sorted(os.listdir(tmp_path / "hf")) == ["config.json", "model.safetensors"]


def test_from_auto_detects_the_input_format(tmp_path):
  model = pu.randomize(AlbertPretrainer(pu.TINY).ensure_built(), seed=8)
  prefix = tf1_names.save_tf1(model, tmp_path / "tf1")
  written = converter.convert_checkpoint("auto", "ours", prefix, tmp_path / "ours")
  assert _outputs_of("ours", written, pu.random_inputs(pu.TINY))["mlm_logits"].tolist() == (
      pu.outputs(model, pu.random_inputs(pu.TINY))["mlm_logits"].tolist())
  with pytest.raises(ValueError, match="unknown format 'auto'"):
    converter.convert_checkpoint("tf1", "auto", prefix, tmp_path / "x")
