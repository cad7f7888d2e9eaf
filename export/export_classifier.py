r"""Exports a fine-tuned checkpoint (GLUE-style classifier/regressor, SQuAD 1.1) for production.

COMMAND (albert_tiny, ~20 s on 2 CPU cores; prints where it wrote):
  python -m export.export_classifier --finetuned_checkpoint=/tmp/sst2/seed_0/best \
      --model_base_path=/tmp/models/sst2                   # TF Serving, next free version
  python -m export.export_classifier --finetuned_checkpoint=/tmp/sst2/seed_0/best \
      --export_type=hub --export_dir=/tmp/sst2_hub         # TF Hub SavedModel
  tensorflow_model_server --rest_api_port=8501 --model_name=sst2 \
      --model_base_path=/tmp/models/sst2                   # see docs/serving.md §7

The config and the task (labels, max_seq_length) are read from albert_config.json and
task.json beside the checkpoint, as albert_tf.finetune.runner writes them. Signatures:
export/finetuned_signatures.py; behaviour: export/finetuned_servable.py.
"""
from absl import flags

from albert_tf import runtime  # first: its call must run before TensorFlow is imported
runtime.quiet_cuda_probe()  # no cuInit ERROR line on machines without an NVIDIA driver
from albert_tf import errors
from albert_tf import resources
from export import finetuned_servable

FLAGS = flags.FLAGS
flags.DEFINE_string("finetuned_checkpoint", None, "A fine-tuned checkpoint directory or prefix "
                    "(e.g. <output_dir>/seed_0/best), with task.json and albert_config.json.")
flags.DEFINE_enum("export_type", "serving", ["serving", "hub"], "TF Serving version directory "
                  "or TF Hub SavedModel (classifiers/regressors only).")
flags.DEFINE_string("model_base_path", None, "The server's --model_base_path (serving).")
flags.DEFINE_string("export_dir", None, "Output directory (hub).")
flags.DEFINE_integer("version", None, "Version number (default: max existing + 1).")
flags.DEFINE_integer("seq_length", None, "Sequence length T (default: task.json's "
                     "max_seq_length, the length it was fine-tuned with).")
flags.DEFINE_alias("max_seq_length", "seq_length")
flags.DEFINE_integer("max_query_length", 64, "SQuAD: question pieces kept.")
flags.DEFINE_integer("max_answer_length", 30, "SQuAD: longest answer, in pieces.")
flags.DEFINE_string("spm_model_file", resources.DEFAULT_SPM_MODEL,
                    "SentencePiece model (default: the shipped 30k-clean).")
flags.DEFINE_string("model_name", "albert", "Model name used in the warm-up requests.")
flags.DEFINE_bool("do_lower_case", True, "Lowercase text (True for all public ALBERTs).")
flags.mark_flag_as_required("finetuned_checkpoint")


def main(argv):
  del argv
  module_kwargs = dict(spm_model_file=FLAGS.spm_model_file, lower_case=FLAGS.do_lower_case,
                       seq_length=FLAGS.seq_length, max_query_length=FLAGS.max_query_length,
                       max_answer_length=FLAGS.max_answer_length)
  if FLAGS.export_type == "hub":
    if not FLAGS.export_dir:
      raise errors.UserError("--export_type=hub needs --export_dir: give the output directory")
    ops = finetuned_servable.export_finetuned_hub(FLAGS.export_dir, FLAGS.finetuned_checkpoint,
                                                  **module_kwargs)
    print(f"wrote {FLAGS.export_dir}; ops check passed: {', '.join(ops)}")
    return
  if not FLAGS.model_base_path:
    raise errors.UserError("--export_type=serving needs --model_base_path: give the server's "
                           "model directory")
  path = finetuned_servable.export_finetuned_serving(
      FLAGS.model_base_path, FLAGS.finetuned_checkpoint, version=FLAGS.version,
      model_name=FLAGS.model_name, **module_kwargs)
  print(f"wrote {path}")


def cli_main():
  """Console-script entry point (a pyproject.toml script may name it); same as `python -m`."""
  errors.run_cli(main, "export.export_classifier")


if __name__ == "__main__":
  cli_main()
