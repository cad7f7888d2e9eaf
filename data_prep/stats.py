r"""Statistics of any ALBERT/BERT pretraining TFRecords (ours or the official script's).

COMMAND (seconds for ~100k examples):
    python -m data_prep.stats /tmp/albert_data/part-*.tfrecord > stats.json

Prints the same summary as the `stats.json` written by create_pretraining_data
(instances, real tokens per instance mean/p10/p50, share shorter than
max_seq_length, mask rate, masked word-span histogram, [MASK]/kept/random
shares, SOP label balance, mean A/B lengths). Plain and GZIP files are both
read; no TensorFlow needed.
"""
import glob
import struct
import sys

from absl import app, flags

from albert_tf import errors
from data_prep import example_codec, instance_counts, tfrecord_io

PROG = "stats"
_NEEDED = ("input_ids", "input_mask", "masked_lm_positions", "masked_lm_ids")

FLAGS = flags.FLAGS
flags.DEFINE_integer("mask_id", 4, "Id of [MASK] in the vocabulary (4 in ALBERT's 30k-clean).")
flags.DEFINE_integer("max_records", 0, "Stop after this many records (0 = all).")


def compute(paths, mask_id=4, max_records=0):
  """Summary dict over all records of `paths` (files or globs)."""
  stats, files = None, []
  for pattern in paths:
    matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    if not matches:
      raise errors.UserError(f"{pattern!r} matches no file: check the path, and quote the glob "
                             "so that the shell does not expand it")
    files.extend(matches)
  count = 0
  for path in files:
    for data in tfrecord_io.iter_file_records(path):
      example = _decode(data, path, count)
      if stats is None:
        stats = instance_counts.ExampleStats(len(example["input_ids"]))
      stats.add_decoded(example, mask_id=mask_id)
      count += 1
      if max_records and count >= max_records:
        break
    if max_records and count >= max_records:
      break
  summary = (stats or instance_counts.ExampleStats(0)).summary()
  summary["files"] = len(files)
  return summary


def _decode(data, path, index):
  """A record whose CRCs match but that is no pretraining Example (another kind of file)."""
  try:
    example = example_codec.decode_example(data)
  except (ValueError, IndexError, KeyError, struct.error) as e:
    raise errors.UserError(f"{path}: record {index} is not a pretraining tf.train.Example "
                           f"({e}): give TFRecords written by data_prep or the official "
                           "create_pretraining_data.py") from e
  missing = [k for k in _NEEDED if k not in example]
  if missing:
    raise errors.UserError(f"{path}: record {index} has no {', '.join(missing)} feature: give "
                           "TFRecords written by data_prep or the official "
                           "create_pretraining_data.py")
  return example


def main(argv):
  if len(argv) < 2:
    raise app.UsageError("give one or more TFRecord files or globs")
  summary = compute(argv[1:], FLAGS.mask_id, FLAGS.max_records)
  sys.stdout.write(instance_counts.dumps(summary))
  return 0


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  errors.run_cli(main, PROG)


if __name__ == "__main__":
  cli_main()
