r"""Splits a SQuAD JSON file by paragraph into a train part and a predict part.

COMMAND:
  python -m albert_tf.finetune.squad_split --input=dev-v1.1-sample.json \
      --train_output=train.json --predict_output=predict.json --predict_fraction=0.2

Paragraphs are assigned in file order: every k-th paragraph (k = round(1/fraction)) goes to
the predict part, so both parts cover every article and no context is in both.
"""
import json
import os

from absl import flags

from albert_tf import errors
from albert_tf.finetune import squad_data

FLAGS = flags.FLAGS
flags.DEFINE_string("input", None, "SQuAD JSON file.")
flags.DEFINE_string("train_output", None, "Where the train part goes.")
flags.DEFINE_string("predict_output", None, "Where the predict part goes.")
flags.DEFINE_float("predict_fraction", 0.2, "Fraction of paragraphs in the predict part.")


def split(dataset, predict_fraction):
  """(train dict, predict dict): every round(1/fraction)-th paragraph is held out."""
  if not 0 < predict_fraction < 1:
    raise errors.UserError(f"predict_fraction={predict_fraction} must be in (0, 1): pass e.g. --predict_fraction=0.2")
  every = max(2, round(1 / predict_fraction))
  parts = ({"version": dataset.get("version"), "data": []},
           {"version": dataset.get("version"), "data": []})
  index = 0
  for article in dataset["data"]:
    groups = ([], [])
    for paragraph in article["paragraphs"]:
      groups[int(index % every == every - 1)].append(paragraph)
      index += 1
    for part, paragraphs in zip(parts, groups):
      if paragraphs:
        part["data"].append({**article, "paragraphs": paragraphs})
  return parts


def main(argv):
  del argv
  train, predict = split(squad_data.load_squad(FLAGS.input), FLAGS.predict_fraction)
  for path, part in ((FLAGS.train_output, train), (FLAGS.predict_output, predict)):
    if os.path.isdir(path):
      raise errors.UserError(f"{path}: is a directory: give a file path for the output")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    _write_atomically(path, part)
    print(path, sum(len(p["qas"]) for a in part["data"] for p in a["paragraphs"]), "questions")


def _write_atomically(path, value):
  """json.dump into path via a temporary file, so a failed write (full disk) leaves no
  truncated file that looks like a complete split."""
  tmp = f"{path}.tmp"
  try:
    with open(tmp, "w", encoding="utf-8") as f:
      json.dump(value, f)
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  flags.mark_flags_as_required(["input", "train_output", "predict_output"])
  errors.run_cli(main, "squad_split")


if __name__ == "__main__":
  cli_main()
