r"""Converts ALBERT checkpoints between TF1 (Google release), tf-models, HF and ours.

COMMAND (seconds for albert_base on 2 CPU cores):
  python -m albert_tf.convert --from=tf1 --to=hf \
      --input=albert_base/model.ckpt-best --output=albert_base_hf
  python -m albert_tf.convert --from=hf --to=ours --input=albert_base_hf --output=ours_dir
  python -m albert_tf.convert --from=ours --to=tf_models --input=ours_dir --output=tfm_dir
  python -m albert_tf.convert --from=auto --to=tf1 --input=albert_base_hf --output=tf1_dir

Formats: tf1 | ours | tf_models | hf (see albert_tf/checkpoints/converter.py); --from=auto
tells the input's format from its variables (albert_tf/checkpoints/load.py). The config is
--albert_config_file (official, HF or ours JSON) or --preset, else the config file found
beside --input. Every load is strict: a checkpoint whose names or shapes do not match is
reported with its missing / unexpected / mis-shaped variables.
"""
import sys

from absl import app
from absl import flags

from albert_tf import runtime  # first: its call must run before TensorFlow is imported
runtime.quiet_cuda_probe()  # no cuInit ERROR line on machines without an NVIDIA driver
from albert_tf.checkpoints import converter
from albert_tf.checkpoints import load as ckpt_load

FORMATS = ckpt_load.FORMATS
flags.DEFINE_enum("from", None, FORMATS + ("auto",), "Format of --input (auto: detected).")
flags.DEFINE_enum("to", None, FORMATS, "Format to write to --output.")
flags.DEFINE_string("input", None, "Checkpoint to read: a directory, or a prefix "
                    "(tf1/tf_models/ours, path without .index), or an HF weights file.")
flags.DEFINE_string("output", None, "Where to write: a directory (created), or for "
                    "tf1/tf_models/ours a prefix whose last part contains 'ckpt' "
                    "(e.g. out/model.ckpt-best).")
flags.DEFINE_string("albert_config_file", None, "Model config JSON (official "
                    "albert_config.json, HF config.json or ours). Default: beside --input.")
flags.DEFINE_string("preset", None, "Model preset name instead of --albert_config_file "
                    "(albert_base, albert_large, ..., albert_tiny).")
flags.DEFINE_bool("allow_missing_sop", False, "With --from=tf_models: keep the SOP head "
                  "freshly initialised (tf-models-official has no SOP head).")
flags.DEFINE_enum("hf_weights_format", "safetensors", ["safetensors", "bin"],
                  "With --to=hf: model.safetensors or pytorch_model.bin (needs torch).")
for _name in ("from", "to", "input", "output"):
  flags.mark_flag_as_required(_name)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  try:
    config = ckpt_load.resolve_config(FLAGS.albert_config_file, FLAGS.preset,
                                      checkpoint=FLAGS.input)
    written = converter.convert_checkpoint(
        FLAGS["from"].value, FLAGS.to, FLAGS.input, FLAGS.output, config=config,
        allow_missing_sop=FLAGS.allow_missing_sop, hf_weights_format=FLAGS.hf_weights_format)
  except (ValueError, OSError) as e:
    print(f"albert_tf.convert: error: {e}", file=sys.stderr)
    return 1
  except Exception as e:  # pylint: disable=broad-except
    if type(e).__module__.startswith("tensorflow"):  # e.g. a truncated checkpoint file
      first_line = (str(e).strip().splitlines() or [""])[0]
      print(f"albert_tf.convert: error: {type(e).__name__}: {first_line}", file=sys.stderr)
      return 1
    raise
  print(f"wrote {FLAGS.to} checkpoint: {written}")
  return 0


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  app.run(main)


if __name__ == "__main__":
  cli_main()
