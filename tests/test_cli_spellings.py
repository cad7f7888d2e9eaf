"""One spelling per concept across the CLIs: --seed, --max_seq_length, --mixed_precision.

Official names stay (--random_seed, --seq_length, --default_seq_length); the project-wide
spelling is accepted beside them. An unknown flag makes absl exit 1 before --helpshort.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CASES = [
    (["-m", "data_prep.create_pretraining_data"], ["--seed=7", "--max_seq_length=64"]),
    (["-m", "data_prep.train_sentencepiece"], ["--seed=7"]),
    (["-m", "export.export_serving"], ["--max_seq_length=64"]),
    (["-m", "export.export_tfhub"], ["--max_seq_length=64"]),
    (["run_pretraining.py"], ["--seed=7", "--max_seq_length=64", "--mixed_precision=bfloat16",
                              "--mixed_precision=mixed_bfloat16"]),
    (["-m", "albert_tf.finetune.run_classifier"], [
        "--seed=7", "--max_seq_length=64", "--mixed_precision=bfloat16",
        "--mixed_precision=mixed_float16"]),
]


def _accepts(module, args):
  env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
  return subprocess.run([sys.executable, *module, *args, "--helpshort"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("module,args", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_cli_accepts_the_project_spellings(module, args):
  result = _accepts(module, args)
  assert result.returncode == 0, result.stderr[-2000:]


def test_an_unknown_spelling_is_refused():
  result = _accepts(["-m", "data_prep.create_pretraining_data"], ["--sead=7"])
  assert result.returncode != 0 and "sead" in result.stderr
