"""google-research/ALBERT's command lines run unchanged (issue 14 item 3).

README_COMMANDS are copied from google-research/ALBERT README.md (the master version of
January 2020, sections "Pre-training Instructions", "Fine-tuning on GLUE", "Fine-tuning on
SQuAD"); flag lists: run_*.py at commit 4ae12a256efbf091430bbf7bf44cebead110262e. Only the
program (albert.X → our module) and the `...` placeholders change; absl's --only_check_args
parses every flag and validator and exits 0 (an unknown flag exits 1, test_cli_spellings.py).
One official-style run_classifier command trains 2 steps on the SST-2 sample with albert_tiny.
"""
import json
import os
import shlex
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SPM = "albert_tf/assets/30k-clean.model"
SST2 = "tests/testdata/glue_samples/SST-2"
SQUAD = "tests/testdata/squad_samples/dev-v1.1-tiny.json"

README_COMMANDS = {
    "run_pretraining": r"""
python -m albert.run_pretraining \
    --input_file=... \
    --output_dir=... \
    --init_checkpoint=... \
    --albert_config_file=... \
    --do_train \
    --do_eval \
    --train_batch_size=4096 \
    --eval_batch_size=64 \
    --max_seq_length=512 \
    --max_predictions_per_seq=20 \
    --optimizer='lamb' \
    --learning_rate=.00176 \
    --num_train_steps=125000 \
    --num_warmup_steps=3125 \
    --save_checkpoints_steps=5000""",
    "run_classifier": r"""
python -m albert.run_classifier \
  --data_dir=... \
  --output_dir=... \
  --init_checkpoint=... \
  --albert_config_file=... \
  --spm_model_file=... \
  --do_train \
  --do_eval \
  --do_predict \
  --do_lower_case \
  --max_seq_length=128 \
  --optimizer=adamw \
  --task_name=MNLI \
  --warmup_step=1000 \
  --learning_rate=3e-5 \
  --train_step=10000 \
  --save_checkpoints_steps=100 \
  --train_batch_size=128""",
    "run_squad_v1": r"""
python -m albert.run_squad_v1 \
  --albert_config_file=... \
  --output_dir=... \
  --train_file=... \
  --predict_file=... \
  --train_feature_file=... \
  --predict_feature_file=... \
  --predict_feature_left_file=... \
  --init_checkpoint=... \
  --spm_model_file=... \
  --do_lower_case \
  --max_seq_length=384 \
  --doc_stride=128 \
  --max_query_length=64 \
  --do_train=true \
  --do_predict=true \
  --train_batch_size=48 \
  --predict_batch_size=8 \
  --learning_rate=5e-5 \
  --num_train_epochs=2.0 \
  --warmup_proportion=.1 \
  --save_checkpoints_steps=5000 \
  --n_best_size=20 \
  --max_answer_length=30""",
    "run_squad_v2": r"""
python -m albert.run_squad_v2 \
  --albert_config_file=... \
  --output_dir=... \
  --train_file=... \
  --predict_file=... \
  --train_feature_file=... \
  --predict_feature_file=... \
  --predict_feature_left_file=... \
  --init_checkpoint=... \
  --spm_model_file=... \
  --do_lower_case \
  --max_seq_length=384 \
  --doc_stride=128 \
  --max_query_length=64 \
  --do_train \
  --do_predict \
  --train_batch_size=48 \
  --predict_batch_size=8 \
  --learning_rate=5e-5 \
  --num_train_epochs=2.0 \
  --warmup_proportion=.1 \
  --save_checkpoints_steps=5000 \
  --n_best_size=20 \
  --max_answer_length=30""",
    "run_race": r"""
python -m albert.run_race \
  --albert_config_file=... \
  --output_dir=... \
  --train_file=... \
  --eval_file=... \
  --data_dir=...\
  --init_checkpoint=... \
  --spm_model_file=... \
  --max_seq_length=512 \
  --max_qa_length=128 \
  --do_train \
  --do_eval \
  --train_batch_size=32 \
  --eval_batch_size=8 \
  --learning_rate=1e-5 \
  --train_step=12000 \
  --warmup_step=1000 \
  --save_checkpoints_steps=100""",
    # Not in the README: every flag of the official create_pretraining_data.py, its defaults.
    "create_pretraining_data": r"""
python -m albert.create_pretraining_data --input_file=... --output_file=... \
  --vocab_file=... --spm_model_file=... --input_file_mode=r --do_lower_case \
  --do_whole_word_mask --nodo_permutation --favor_shorter_ngram --norandom_next_sentence \
  --max_seq_length=512 --ngram=3 --max_predictions_per_seq=20 --random_seed=12345 \
  --dupe_factor=40 --masked_lm_prob=0.15 --short_seq_prob=0.1 --noparallel""",
}
PROGRAMS = {  # the official program → ours
    "albert.run_pretraining": ["run_pretraining.py"],
    "albert.create_pretraining_data": ["-m", "data_prep.create_pretraining_data"],
    "albert.run_classifier": ["-m", "albert_tf.finetune.run_classifier"],
    "albert.run_squad_v1": ["-m", "albert_tf.finetune.run_squad", "--version=1.1"],
    "albert.run_squad_v2": ["-m", "albert_tf.finetune.run_squad", "--version=2.0"],
    "albert.run_race": ["-m", "albert_tf.finetune.run_race"],
}
LOCAL = {"albert_config_file": "albert_tf/assets/none.json", "spm_model_file": SPM,
         "vocab_file": SPM.replace(".model", ".vocab"), "data_dir": SST2, "train_file": SQUAD,
         "predict_file": SQUAD, "eval_file": SQUAD, "input_file": "tests/testdata/x.txt"}


def _local_argv(command, tmp_path):
  """The README command as our argv: program mapped, each `--flag=...` given a local path."""
  words = shlex.split(command.replace("\\\n", " "))
  assert words[:2] == ["python", "-m"], words[:2]
  argv = list(PROGRAMS[words[2]])
  for word in words[3:]:
    name, _, value = word.partition("=")
    argv.append(f"{name}={LOCAL.get(name[2:], str(tmp_path / name[2:]))}" if value == "..."
                else word)
  return argv


def _run(argv, timeout=300):
  env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
  return subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True,
                        text=True, timeout=timeout)


@pytest.mark.parametrize("name", sorted(README_COMMANDS))
def test_official_command_parses_unchanged(name, tmp_path):
  result = _run(_local_argv(README_COMMANDS[name], tmp_path) + ["--only_check_args"])
  assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("argv,reason", [
    (["run_pretraining.py", "--input_file=x", "--output_dir=o", "--masked_lm_budget=0.5"],
     "online n-gram masking"),
    (["-m", "albert_tf.finetune.run_classifier", "--task_name=SST-2", f"--data_dir={SST2}",
      "--output_dir=o", "--use_tpu=True", "--tpu_name=x"], "does not take a TPU address"),
    (["-m", "albert_tf.finetune.run_race", "--train_file=a", "--eval_file=b", "--output_dir=o",
      "--high_only"], "only with --data_dir"),
], ids=["masked_lm_budget", "finetune_use_tpu", "race_high_only"])
def test_official_flag_without_meaning_here_is_refused_with_the_reason(argv, reason):
  result = _run(argv + ["--only_check_args"])
  assert result.returncode == 1 and reason in result.stderr, result.stderr[-2000:]
  assert "Unknown command line flag" not in result.stderr


def test_pretraining_use_tpu_maps_to_the_tpu_strategy():
  code = """if True:
    import sys, run_pretraining
    from absl import flags
    from albert_tf import pretraining_loop
    pretraining_loop.run = lambda c: print("CONFIG", c.strategy, c.tpu, c.train_batch_size)
    flags.FLAGS(sys.argv)
    run_pretraining.main([])
  """
  result = _run(["-c", code, "--preset=albert_tiny", "--input_file=x", "--output_dir=o",
                 "--max_seq_length=64", "--use_tpu=True", "--tpu_name=my-tpu",
                 "--num_tpu_cores=8", "--train_batch_size=8"])
  assert "CONFIG tpu my-tpu 8" in result.stdout, result.stderr[-2000:]
  assert "--num_tpu_cores has no effect here" in result.stderr


def test_create_pretraining_data_vocab_file_means_the_model_beside_it():
  code = """if True:
    import sys
    from absl import flags
    from data_prep import create_pretraining_data as cli
    flags.FLAGS(sys.argv)
    print("SPM", cli.config_from_flags().spm_model_file)
    flags.FLAGS.vocab_file = "vocab.txt"
    try:
      cli.config_from_flags()
    except cli.ConfigError as e:
      print("REFUSED", e)
  """
  result = _run(["-c", code, "--output_dir=o", f"--vocab_file={LOCAL['vocab_file']}"])
  assert f"SPM {SPM}" in result.stdout, result.stderr[-2000:]
  assert "REFUSED --vocab_file=vocab.txt: ALBERT tokenizes with a SentencePiece" in result.stdout


def test_official_run_classifier_command_trains_sst2(tmp_path):
  out = tmp_path / "out"
  result = _run(["-m", "albert_tf.finetune.run_classifier", "--task_name=SST-2", "--do_train",
                 "--do_eval", "--do_predict", f"--data_dir={SST2}", f"--output_dir={out}",
                 "--preset=albert_tiny", f"--vocab_file={LOCAL['vocab_file']}",
                 "--do_lower_case", "--max_seq_length=32", "--optimizer=adamw",
                 "--train_step=2", "--warmup_step=0", "--learning_rate=1e-4",
                 "--train_batch_size=4", "--predict_batch_size=16",
                 "--save_checkpoints_steps=1", "--max_eval_examples=16"], timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  assert "--do_predict has no effect here" in result.stderr
  with open(out / "results.json", encoding="utf-8") as f:
    results = json.load(f)
  hp = results["hparams"]
  assert (hp["batch_size"], hp["train_steps"], hp["warmup_steps"]) == (4, 2, 0)
  history = (out / "seed_0" / "eval_history.jsonl").read_text().splitlines()
  assert len(history) == 2  # --save_checkpoints_steps=1: an evaluation after each step


def test_squad_epochs_proportion_and_modes_map_as_officially():
  code = """if True:
    import sys
    from absl import flags
    from albert_tf.finetune import run_squad
    run_squad.define_flags()
    flags.FLAGS(sys.argv)
    c = run_squad.config_from_flags()
    print("CONFIG", c.hparams.train_steps, c.hparams.warmup_steps, c.eval_batch_size,
          c.hparams.albert_dropout, c.predict_file)
  """
  # run_squad_v1.py: int(65 questions / 16 * 2.0) = 8 steps, int(8 * 0.25) = 2 warmup steps.
  result = _run(["-c", code, "--output_dir=o", f"--train_file={SQUAD}", f"--predict_file={SQUAD}",
                 "--do_train", "--do_predict=false", "--train_batch_size=16",
                 "--num_train_epochs=2.0", "--warmup_proportion=.25", "--predict_batch_size=8",
                 "--dropout_prob=0.05"])
  assert "CONFIG 8 2 8 0.05 None" in result.stdout, result.stderr[-2000:]
