r"""RACE multiple-choice fine-tuning (official run_race.py / race_utils).

COMMAND (pipeline check on the tiny test file, random-init albert_tiny, CPU, ~30 s):
  python -m albert_tf.finetune.run_race --preset=albert_tiny \
      --train_file=tests/testdata/race_tiny.json --eval_file=tests/testdata/race_tiny.json \
      --max_seq_length=64 --max_qa_length=24 --batch_size=2 --train_steps=10 \
      --learning_rate=1e-3 --output_dir=/tmp/race
COMMAND (paper setting): --train_file=RACE/train --eval_file=RACE/dev --albert_config_file=...
  --init_checkpoint=...   (v2 models: the README advises --learning_rate=1e-5 --albert_dropout=0)

Unset hyperparameters take the paper's (hparams.PAPER["RACE"]: lr 2e-5, batch 32, 12000 steps,
warmup 1000, max_seq_length 512, ALBERT dropout 0.1). Metric: accuracy; results in
<output_dir>/results.json with the per-seed and over-seed summary (runner.py).
Official google-research/ALBERT flag names work too (BUILD.md §8, official_flags.py).
"""
import json
import os

from absl import flags

from albert_tf import runtime  # first: its call must run before TensorFlow is imported
runtime.quiet_cuda_probe()  # no cuInit ERROR line on machines without an NVIDIA driver
from albert_tf import errors
from albert_tf import official_flags
from albert_tf.finetune import common_flags
from albert_tf.finetune import hparams

FLAGS = flags.FLAGS


def define_flags():
  """Defines this CLI's flags (only when run as a script: the run_* modules import together)."""
  flags.DEFINE_string("train_file", None, "RACE file or folder to train on.")
  flags.DEFINE_string("eval_file", None, "RACE file or folder to evaluate on.")
  flags.DEFINE_integer("max_qa_length", 128, "The question+option keeps its last N pieces.")
  flags.DEFINE_integer("max_train_examples", None, "Use only the first N training questions.")
  flags.DEFINE_integer("max_eval_examples", None, "Use only the first N eval questions.")
  common_flags.define_common_flags()
  # Official run_race.py names; the shared ones: common_flags. Officially --data_dir is the
  # RACE folder and --train_file/--eval_file are TFRecord feature caches: with --data_dir, the
  # data is read from <data_dir>/train and <data_dir>/dev and those two are ignored.
  flags.DEFINE_string("data_dir", None, "Official: the RACE folder (train/, dev/, test/, each "
                      "with middle/ and high/); replaces --train_file/--eval_file.")
  flags.DEFINE_bool("high_only", False, "Official: only the high-school part (with --data_dir).")
  flags.DEFINE_bool("middle_only", False, "Official: only the middle-school part (--data_dir).")
  flags.register_multi_flags_validator(
      ["high_only", "middle_only", "data_dir"],
      lambda v: not (v["high_only"] and v["middle_only"]) and (
          v["data_dir"] or not (v["high_only"] or v["middle_only"])),
      message="--high_only/--middle_only: at most one, and only with --data_dir (else pass "
      "--train_file=RACE/train/high --eval_file=RACE/dev/high)")
  flags.DEFINE_alias("dropout_prob", "albert_dropout")
  official_flags.define_refused(flags.DEFINE_string, "task_name", "race", lambda v: v == "race",
                                "--task_name: this CLI fine-tunes RACE only (task_name=race)")
  for mode in ("do_train", "do_eval"):
    official_flags.define_refused(flags.DEFINE_bool, mode, None, lambda v: v is not False,
                                  f"--{mode}=False: this CLI always trains, then evaluates")
  for define, name, note in (
      (flags.DEFINE_bool, "do_predict", "no test-set predictions; evaluate RACE/test with "
       "--eval_file"),
      (flags.DEFINE_string, "predict_file", "no test-set predictions; evaluate RACE/test with "
       "--eval_file"),
      (flags.DEFINE_integer, "num_keep_checkpoint", "each seed keeps its best and last "
       "checkpoints (seed_<s>/best/, last/)")):
    official_flags.define_ignored(define, name, None, note)


def config_from_flags():
  from albert_tf.finetune.tasks import race_task  # pylint: disable=import-outside-toplevel
  train_file, eval_file = FLAGS.train_file, FLAGS.eval_file
  if FLAGS.data_dir:
    level = "high" if FLAGS.high_only else "middle" if FLAGS.middle_only else ""
    train_file, eval_file = (os.path.join(FLAGS.data_dir, split, level)
                             for split in ("train", "dev"))
  return race_task.RaceConfig(
      train_file=train_file, eval_file=eval_file, max_qa_length=FLAGS.max_qa_length,
      max_train_examples=FLAGS.max_train_examples, max_eval_examples=FLAGS.max_eval_examples,
      **common_flags.run_config_kwargs(hparams.PAPER["RACE"]))


def main(argv):
  del argv
  from albert_tf.finetune import runner  # pylint: disable=import-outside-toplevel
  results = runner.run(config_from_flags())
  print(json.dumps(results["summary"]["best"], indent=2))


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  define_flags()
  flags.mark_flags_as_required(["train_file", "eval_file", "output_dir"])
  errors.run_cli(main, "run_race")


if __name__ == "__main__":
  cli_main()
