r"""Exports a versioned TF Serving model with raw-text signatures (tokenizer in-graph).

COMMAND (albert_tiny, ~20 s on 2 CPU cores; prints the version directory):
  python -m export.export_serving --init_checkpoint=/tmp/albert_run/ckpt-100 \
      --model_base_path=/tmp/models/albert --seq_length=128
  tensorflow_model_server --rest_api_port=8501 --model_name=albert \
      --model_base_path=/tmp/models/albert          # see docs/serving.md

Writes model_base_path/<version>/ atomically (temporary sibling, then rename); an
existing version is never overwritten, and without --version the next free integer is
used. Signatures serving_default / text_pair / token_ids / sop are described in
export/signatures.py; texts longer than --seq_length are truncated.
"""
from absl import flags

from albert_tf import runtime  # first: its call must run before TensorFlow is imported
runtime.quiet_cuda_probe()  # no cuInit ERROR line on machines without an NVIDIA driver
from albert_tf import cli_io
from albert_tf import errors
from albert_tf import resources
from albert_tf.checkpoints import load as ckpt_load
from export import servable

FLAGS = flags.FLAGS
flags.DEFINE_string("albert_config_file", None, "Model config: official albert_config.json, "
                    "ours or HF config.json (default: albert_config.json, then config.json, "
                    "beside the checkpoint or one directory up).")
flags.DEFINE_string("preset", None, "A preset name (e.g. albert_base) instead of a config file.")
flags.DEFINE_string("init_checkpoint", None, "Checkpoint directory or prefix (ours, TF1 or "
                    "tf-models), or HF weights.")
flags.DEFINE_string("spm_model_file", resources.DEFAULT_SPM_MODEL,
                    "SentencePiece model (default: the shipped 30k-clean).")
flags.DEFINE_string("model_base_path", None, "The server's --model_base_path.")
flags.DEFINE_integer("version", None, "Version number (default: max existing + 1).")
flags.DEFINE_integer("seq_length", 128, "Sequence length of the text signatures.")
# --max_seq_length: the spelling of data_prep, pretraining and fine-tuning.
flags.DEFINE_alias("max_seq_length", "seq_length")
flags.DEFINE_string("model_name", "albert", "Model name used in the warm-up requests.")
flags.DEFINE_bool("do_lower_case", True, "Lowercase text (True for all public ALBERTs).")
flags.mark_flags_as_required(["init_checkpoint", "model_base_path"])


def main(argv):
  del argv
  with cli_io.reading_checkpoint("--init_checkpoint", FLAGS.init_checkpoint):
    config = ckpt_load.resolve_config(FLAGS.albert_config_file, FLAGS.preset,
                                      FLAGS.init_checkpoint)
  path = servable.export_serving(
      FLAGS.model_base_path, config=config, init_checkpoint=FLAGS.init_checkpoint,
      spm_model_file=FLAGS.spm_model_file, version=FLAGS.version, seq_length=FLAGS.seq_length,
      model_name=FLAGS.model_name, lower_case=FLAGS.do_lower_case)
  print(f"wrote {path}")


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  errors.run_cli(main, "export.export_serving")


if __name__ == "__main__":
  cli_main()
