r"""GLUE fine-tuning with multi-seed reporting (official run_classifier.py + run_glue.sh).

COMMAND (pipeline check, random-init albert_tiny, CPU, ~2 min):
  python -m albert_tf.finetune.run_classifier --task=SST-2 --data_dir=$GLUE/SST-2 \
      --preset=albert_tiny --max_seq_length=64 --batch_size=32 --train_steps=300 \
      --warmup_steps=30 --learning_rate=1e-3 --eval_every=100 --seeds=3 --output_dir=/tmp/sst2
COMMAND (paper setting from a released checkpoint):
  python -m albert_tf.finetune.run_classifier --task=MNLI --data_dir=$GLUE/MNLI \
      --albert_config_file=albert_base/albert_config.json \
      --init_checkpoint=albert_base/model.ckpt-best --seeds=5 --eval_every=1000 --output_dir=...
COMMAND (TF Hub export):
  ... --hub_encoder=export/encoder --hub_preprocessor=export/preprocessor ...

Unset hyperparameters take the paper's values for the task (hparams.PAPER). Writes
<output_dir>/results.json (per-seed best/last dev metrics; mean, std, median, best, min over
seeds) and each seed's best checkpoint in <output_dir>/seed_<s>/best/ (runner.py).
Official google-research/ALBERT flag names work too (BUILD.md §8, official_flags.py).
"""
import json

from absl import app
from absl import flags

from albert_tf import runtime  # first: its call must run before TensorFlow is imported
runtime.quiet_cuda_probe()  # no cuInit ERROR line on machines without an NVIDIA driver
from albert_tf import errors
from albert_tf import official_flags
from albert_tf.finetune import common_flags
from albert_tf.finetune import glue
from albert_tf.finetune import hparams

FLAGS = flags.FLAGS


def define_flags():
  """Defines this CLI's flags (only when run as a script: the run_* modules import together)."""
  flags.DEFINE_string("task", None, "GLUE task: CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI.")
  flags.DEFINE_string("data_dir", None, "Folder with the task's train.tsv and dev TSV files.")
  flags.DEFINE_string("train_file", None, "Train file name inside --data_dir (default train.tsv).")
  flags.DEFINE_float("classifier_dropout", None, "Dropout on the pooled output (default 0.1).")
  flags.DEFINE_integer("max_train_examples", None, "Use only the first N training examples.")
  flags.DEFINE_integer("max_eval_examples", None, "Use only the first N examples of each dev split.")
  common_flags.define_common_flags()
  # Official run_classifier.py names (google-research/ALBERT); the shared ones: common_flags.
  flags.DEFINE_alias("task_name", "task")
  official_flags.define_refused(flags.DEFINE_bool, "do_train", None, lambda v: v is not False,
                                "--do_train=False: this CLI always fine-tunes, then evaluates")
  for define, name, note in (
      (flags.DEFINE_bool, "do_eval", "the dev split is always evaluated (it picks the best)"),
      (flags.DEFINE_bool, "do_predict", "no test-set predictions (test_results.tsv) are "
       "written; results.json holds the dev metrics"),
      (flags.DEFINE_string, "cached_dir", "features are built in memory; no TFRecord cache"),
      (flags.DEFINE_integer, "keep_checkpoint_max", "each seed keeps its best and last "
       "checkpoints (seed_<s>/best/, last/)")):
    official_flags.define_ignored(define, name, None, note)


def config_from_flags():
  from albert_tf.finetune.tasks import glue_task  # pylint: disable=import-outside-toplevel
  name = glue.get_task(FLAGS.task).name
  return glue_task.GlueConfig(
      task=name, data_dir=FLAGS.data_dir, train_file=FLAGS.train_file,
      max_train_examples=FLAGS.max_train_examples, max_eval_examples=FLAGS.max_eval_examples,
      **common_flags.run_config_kwargs(hparams.PAPER[name],
                                       classifier_dropout=FLAGS.classifier_dropout))


def main(argv):
  del argv
  from albert_tf.finetune import runner  # pylint: disable=import-outside-toplevel
  results = runner.run(config_from_flags())
  print(json.dumps({"task": results["task"], "summary": results["summary"]["best"]}, indent=2))


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  define_flags()
  flags.mark_flags_as_required(["task", "data_dir", "output_dir"])
  errors.run_cli(main, "run_classifier")


if __name__ == "__main__":
  cli_main()
