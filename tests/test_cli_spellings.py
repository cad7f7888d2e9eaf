"""One spelling per concept across the CLIs: --seed, --max_seq_length, --mixed_precision.

Official names stay (--random_seed, --seq_length, --default_seq_length); the project-wide
spelling is accepted beside them. absl's --only_check_args parses the flags (required ones
included) and exits 0, or 1 naming an unknown flag.
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CASES = [
    (["-m", "data_prep.create_pretraining_data"], ["--seed=7", "--max_seq_length=64"]),
    (["-m", "data_prep.train_sentencepiece"], ["--seed=7"]),
    (["-m", "export.export_serving"], ["--max_seq_length=64", "--model_base_path=/tmp/m",
                                     "--init_checkpoint=/tmp/c"]),
    (["-m", "export.export_tfhub"], ["--max_seq_length=64", "--export_dir=/tmp/e"]),
    (["run_pretraining.py"], ["--input_file=x", "--output_dir=/tmp/o", "--seed=7", "--max_seq_length=64", "--mixed_precision=bfloat16",
                              "--mixed_precision=mixed_bfloat16"]),
    (["-m", "albert_tf.finetune.run_classifier"], [
        "--task=SST-2", "--data_dir=/tmp/d", "--output_dir=/tmp/o", "--seed=7", "--max_seq_length=64", "--mixed_precision=bfloat16",
        "--mixed_precision=mixed_float16"]),
]


def _accepts(module, args):
  env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
  return subprocess.run([sys.executable, *module, *args, "--only_check_args"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("module,args", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_cli_accepts_the_project_spellings(module, args):
  result = _accepts(module, args)
  assert result.returncode == 0, result.stderr[-2000:]


def test_an_unknown_spelling_is_refused():
  result = _accepts(["-m", "data_prep.create_pretraining_data"], ["--sead=7"])
  assert result.returncode == 1 and "Unknown command line flag 'sead'" in result.stderr
