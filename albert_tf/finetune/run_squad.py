r"""SQuAD v1.1 / v2.0 fine-tuning and prediction (official run_squad_v1.py / run_squad_v2.py).

COMMAND (pipeline check on the shared dev sample, random-init albert_tiny, CPU, ~3 min):
  python -m albert_tf.finetune.squad_split --input=$SQUAD/dev-v1.1-sample.json \
      --train_output=/tmp/squad/train.json --predict_output=/tmp/squad/predict.json
  python -m albert_tf.finetune.run_squad --version=1.1 --preset=albert_tiny \
      --train_file=/tmp/squad/train.json --predict_file=/tmp/squad/predict.json \
      --max_seq_length=128 --doc_stride=64 --batch_size=16 --train_steps=300 \
      --warmup_steps=30 --learning_rate=1e-3 --output_dir=/tmp/squad/out
COMMAND (paper setting, v2.0, from a released checkpoint):
  python -m albert_tf.finetune.run_squad --version=2.0 --train_file=train-v2.0.json \
      --predict_file=dev-v2.0.json --albert_config_file=albert_base/albert_config.json \
      --init_checkpoint=albert_base/model.ckpt-best --output_dir=...

Writes predictions.json etc. (tasks/squad_task.py) and results.json (runner.py). Without
--train_file it only predicts (from --finetuned_checkpoint). Unset hyperparameters: the paper's.
Official google-research/ALBERT flag names work too (BUILD.md §8, official_flags.py).
"""
import json
import sys

from absl import flags

from albert_tf import runtime  # first: its call must run before TensorFlow is imported
runtime.quiet_cuda_probe()  # no cuInit ERROR line on machines without an NVIDIA driver
from albert_tf import errors
from albert_tf import official_flags
from albert_tf.finetune import common_flags
from albert_tf.finetune import hparams

FLAGS = flags.FLAGS
_OWN_FLAGS = ("train_file", "predict_file", "finetuned_checkpoint", "doc_stride",
              "max_query_length", "n_best_size", "max_answer_length", "start_n_top", "end_n_top",
              "null_score_threshold", "max_train_examples", "max_predict_examples")


def define_flags():
  """Defines this CLI's flags (only when run as a script: the run_* modules import together)."""
  flags.DEFINE_enum("version", "1.1", ["1.1", "2.0"], "SQuAD version (head and evaluation).")
  flags.DEFINE_string("train_file", None, "SQuAD JSON to train on (omit to only predict).")
  flags.DEFINE_string("predict_file", None, "SQuAD JSON to predict (and evaluate if it has answers).")
  flags.DEFINE_string("finetuned_checkpoint", None, "Predict-only: a fine-tuned model checkpoint "
                      "(seed_<s>/best/ckpt of an earlier run), read strictly.")
  flags.DEFINE_integer("doc_stride", 128, "Stride between document spans, in pieces.")
  flags.DEFINE_integer("max_query_length", 64, "Questions keep their first N pieces.")
  flags.DEFINE_integer("n_best_size", 20, "Size of the n-best lists.")
  flags.DEFINE_integer("max_answer_length", 30, "Longest answer, in pieces.")
  flags.DEFINE_integer("start_n_top", 5, "v2.0 beam: start candidates.")
  flags.DEFINE_integer("end_n_top", 5, "v2.0 beam: end candidates per start.")
  flags.DEFINE_float("null_score_threshold", 0.0, "v2.0: predict no answer when the null score "
                     "(min cls_logit) exceeds this.")
  flags.DEFINE_integer("max_train_examples", None, "Use only the first N training questions.")
  flags.DEFINE_integer("max_predict_examples", None, "Use only the first N questions to predict.")
  common_flags.define_common_flags()
  # Official run_squad_v1.py / run_squad_v2.py names; the shared ones: common_flags.
  flags.DEFINE_alias("dropout_prob", "albert_dropout")
  flags.DEFINE_bool("do_train", None, "Official: False = predict only (--train_file ignored); "
                    "True needs --train_file. Unset: train when --train_file is given.")
  flags.DEFINE_bool("do_predict", None, "Official: False = no prediction (--predict_file "
                    "ignored); True needs --predict_file. Unset: predict when it is given.")
  for mode, file_flag in (("do_train", "train_file"), ("do_predict", "predict_file")):
    flags.register_multi_flags_validator(
        [mode, file_flag], lambda v, m=mode, f=file_flag: v[m] is not True or bool(v[f]),
        message=f"--{mode} needs --{file_flag}")
  flags.DEFINE_float("num_train_epochs", None, "Official: train steps = int(questions in "
                     "--train_file / batch size * epochs), unless --train_steps is given.")
  flags.DEFINE_float("warmup_proportion", None, "Official: warmup steps = int(train steps * "
                     "this) (0.1 with --num_train_epochs), unless --warmup_steps is given.")
  for define, name, note in (
      (flags.DEFINE_string, "train_feature_file", "features are built in memory; no cache"),
      (flags.DEFINE_string, "predict_feature_file", "features are built in memory; no cache"),
      (flags.DEFINE_string, "predict_feature_left_file", "features are built in memory"),
      (flags.DEFINE_bool, "use_einsum", "TFLite-friendly dense layers: export/ writes the "
       "serving models"),
      (flags.DEFINE_string, "export_dir", "export a fine-tuned checkpoint with python -m "
       "export.export_serving")):
    official_flags.define_ignored(define, name, None, note)


def config_from_flags():
  from albert_tf.finetune.tasks import squad_task  # pylint: disable=import-outside-toplevel
  paper = hparams.PAPER[f"SQuAD-{FLAGS.version}"]
  own = {name: getattr(FLAGS, name) for name in _OWN_FLAGS}
  for mode, file_flag in (("do_train", "train_file"), ("do_predict", "predict_file")):
    if FLAGS[mode].value is False:
      own[file_flag] = None
  return squad_task.SquadConfig(
      version=FLAGS.version, **own,
      **common_flags.run_config_kwargs(paper, **_steps_from_epochs(paper, own["train_file"])))


def _steps_from_epochs(paper, train_file):
  """Official --num_train_epochs/--warmup_proportion → train/warmup steps (run_squad_v*.py)."""
  if not train_file or (FLAGS.num_train_epochs is None and FLAGS.warmup_proportion is None):
    return {}
  steps = FLAGS.train_steps or paper.train_steps
  if FLAGS.num_train_epochs is not None and not FLAGS.train_steps:
    from albert_tf.finetune import squad_data  # pylint: disable=import-outside-toplevel
    dataset = squad_data.load_squad(train_file)   # SquadDataError naming a malformed file
    questions = sum(len(p["qas"]) for a in dataset["data"] for p in a["paragraphs"])
    steps = int(questions / (FLAGS.batch_size or paper.batch_size) * FLAGS.num_train_epochs)
  proportion = 0.1 if FLAGS.warmup_proportion is None else FLAGS.warmup_proportion
  return {"train_steps": steps, "warmup_steps": int(steps * proportion)}


def main(argv):
  del argv
  from albert_tf.finetune import runner  # pylint: disable=import-outside-toplevel
  results = runner.run(config_from_flags())
  print(json.dumps({"stats": results["stats"], "last": results["per_seed"][0]["last"]},
                   indent=2))


def cli_main(prog="run_squad"):
  """Console-script entry point (pyproject.toml); same as `python -m`. `prog` starts the
  one-line error message of an expected failure."""
  define_flags()
  flags.mark_flags_as_required(["output_dir"])
  errors.run_cli(main, prog)


def cli_main_for_version(version):
  """The official program names run_squad_v1 / run_squad_v2: --version first on the line
  (a user's own --version later still wins)."""
  sys.argv[1:1] = [f"--version={version}"]
  cli_main(f"run_squad_v{version.split('.')[0]}")


if __name__ == "__main__":
  cli_main()
