r"""Exports ALBERT as TF Hub SavedModels: encoder, encoder_with_mlm, or preprocessor.

COMMAND (albert_tiny, ~10 s on 2 CPU cores; prints the ops the export uses):
  python -m export.export_tfhub --preset=albert_tiny \
      --init_checkpoint=/tmp/albert_run/ckpt-100 --export_type=encoder_with_mlm \
      --export_dir=/tmp/albert_hub/encoder
  python -m export.export_tfhub --export_type=preprocessor \
      --export_dir=/tmp/albert_hub/preprocessor

Then, in tf_keras (TF_USE_LEGACY_KERAS=1; `import tensorflow_text` before loading):
  preprocess = hub.KerasLayer("/tmp/albert_hub/preprocessor")
  encoder = hub.KerasLayer("/tmp/albert_hub/encoder", trainable=True)
  pooled = encoder(preprocess(text_input))["pooled_output"]

Interfaces: export/hub_encoder.py and export/preprocessor.py docstrings. Checkpoints: any
format albert_tf/checkpoints/load.py reads (ours, Google's TF1 releases, tf-models, HF); the
config is --albert_config_file, --preset, or the file beside the checkpoint. A missing or
mismatched checkpoint fails listing the missing/mis-shaped variables.
"""
from absl import flags

from albert_tf import runtime  # first: its call must run before TensorFlow is imported
runtime.quiet_cuda_probe()  # no cuInit ERROR line on machines without an NVIDIA driver
from albert_tf import cli_io
from albert_tf import errors
from albert_tf import resources
from albert_tf.checkpoints import load as ckpt_load
from export import hub_models

FLAGS = flags.FLAGS
flags.DEFINE_string("albert_config_file", None, "Model config: official albert_config.json, "
                    "ours or HF config.json (default: albert_config.json, then config.json, "
                    "beside the checkpoint or one directory up).")
flags.DEFINE_string("preset", None, "A preset name (e.g. albert_base) instead of a config file.")
flags.DEFINE_string("init_checkpoint", None, "Checkpoint directory or prefix (ours, TF1 or "
                    "tf-models), or HF weights. Required for the encoder export types.")
flags.DEFINE_string("spm_model_file", resources.DEFAULT_SPM_MODEL,
                    "SentencePiece model for the preprocessor (default: the shipped 30k-clean).")
flags.DEFINE_enum("export_type", "encoder", hub_models.EXPORT_TYPES, "What to export.")
flags.DEFINE_string("export_dir", None, "Output directory (must not exist or be empty).")
flags.DEFINE_integer("default_seq_length", 128, "seq_length of the preprocessor's root call.")
# --max_seq_length: the spelling of data_prep, pretraining and fine-tuning.
flags.DEFINE_alias("max_seq_length", "default_seq_length")
flags.DEFINE_bool("do_lower_case", True, "Lowercase text (True for all public ALBERTs).")
flags.mark_flag_as_required("export_dir")


def main(argv):
  del argv
  config = None
  if FLAGS.export_type != "preprocessor":
    with cli_io.reading_checkpoint("--init_checkpoint", FLAGS.init_checkpoint):
      config = ckpt_load.resolve_config(FLAGS.albert_config_file, FLAGS.preset,
                                        FLAGS.init_checkpoint)
  ops = hub_models.export_hub(
      FLAGS.export_type, FLAGS.export_dir, config=config, init_checkpoint=FLAGS.init_checkpoint,
      spm_model_file=FLAGS.spm_model_file, lower_case=FLAGS.do_lower_case,
      default_seq_length=FLAGS.default_seq_length)
  print(f"wrote {FLAGS.export_type} to {FLAGS.export_dir}; ops check passed: {', '.join(ops)}")


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  errors.run_cli(main, "export.export_tfhub")


if __name__ == "__main__":
  cli_main()
