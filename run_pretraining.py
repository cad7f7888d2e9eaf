r"""Pretrain ALBERT (MLM + SOP, NSP or nothing) on TFRecords from data_prep; TPU, GPU or CPU.

COMMAND (TPU, the paper's albert_base setup; flags and defaults are the official ones):
  python run_pretraining.py --preset=albert_base --input_file=gs://bucket/data/*.tfrecord \
      --output_dir=gs://bucket/albert_base --tpu=my-tpu --tpu_zone=europe-west4-a \
      --train_batch_size=4096 --max_seq_length=512 --mixed_precision=bfloat16
CPU smoke run (~1 minute): see demo.sh. Resume = rerun the same command (latest checkpoint in
--output_dir is restored, data position included). --train_batch_size is the GLOBAL batch.
Official flag names (--use_tpu, --tpu_name, ...) work too (BUILD.md §8, official_flags.py).
"""
import os
import sys

from albert_tf import runtime

runtime.configure_environment()  # tf-keras, oneDNN CPU kernels: before TensorFlow is imported

from absl import app, flags, logging  # noqa: E402

from albert_tf import errors, official_flags  # noqa: E402

F = flags.FLAGS
flags.DEFINE_string("albert_config_file", None, "albert_config.json of the model to train.")
flags.DEFINE_string("preset", None, "Model preset instead of --albert_config_file "
                    "(albert_base|albert_large|albert_xlarge|albert_xxlarge|albert_tiny|...).")
flags.DEFINE_string("input_file", None, "TFRecord files: globs and/or comma-separated lists.")
flags.DEFINE_string("output_dir", None, "Checkpoints, config.json, TensorBoard, curves.")
flags.DEFINE_string("init_checkpoint", None, "Initial weights (not optimizer state): a "
                    "checkpoint prefix or folder in any format albert_tf.checkpoints.load reads "
                    "(ours, Google TF1 release, tf-models, HF), loaded strictly; ignored when "
                    "output_dir already has a checkpoint.")
flags.DEFINE_integer("max_seq_length", 512, "Sequence length of the records.")
flags.DEFINE_integer("max_predictions_per_seq", 20, "Masked positions per record.")
flags.DEFINE_bool("do_train", True, "Whether to train.")
flags.DEFINE_bool("do_eval", False, "Whether to evaluate (after training) on eval_input_file.")
flags.DEFINE_string("eval_input_file", None, "Held-out TFRecords (default: --input_file).")
flags.DEFINE_integer("train_batch_size", 4096, "GLOBAL batch per optimizer step (all "
                     "replicas, all workers, all accumulation micro-steps).")
flags.DEFINE_integer("eval_batch_size", 64, "Global eval batch.")
flags.DEFINE_enum("optimizer", "lamb", ["lamb", "adamw"], "Optimizer.")
flags.DEFINE_float("learning_rate", 0.00176, "Peak learning rate (lower it for smaller "
                   "batches; see the LAMB paper's scaling rules).")
flags.DEFINE_float("poly_power", 1.0, "Power of the polynomial decay.")
flags.DEFINE_integer("num_train_steps", 125000, "Optimizer steps (the decay clock).")
flags.DEFINE_integer("num_warmup_steps", 3125, "Linear warmup steps.")
flags.DEFINE_integer("start_warmup_step", 0, "Step at which warmup starts.")
flags.DEFINE_integer("save_checkpoints_steps", 5000, "Checkpoint every N steps.")
flags.DEFINE_integer("keep_checkpoint_max", 5, "Checkpoints to keep.")
flags.DEFINE_integer("iterations_per_loop", 1000, "Steps per compiled call (host round trip).")
flags.DEFINE_integer("max_eval_steps", 100, "Max eval batches.")
flags.DEFINE_string("tpu", None, "Cloud TPU name, grpc://host:port, or 'local' (TPU VM).")
flags.DEFINE_string("tpu_zone", None, "GCE zone of the Cloud TPU.")
flags.DEFINE_string("gcp_project", None, "GCP project of the Cloud TPU.")
flags.DEFINE_enum("strategy", "auto", ["auto", "tpu", "mirrored", "multi_worker", "one_device"],
                  "tf.distribute strategy (auto: tpu if --tpu, multi_worker if TF_CONFIG, "
                  "mirrored if ≥2 GPUs, else one device).")
flags.DEFINE_enum("mixed_precision", "float32",
                  ["float32", "bfloat16", "float16", "mixed_bfloat16", "mixed_float16"],
                  "Compute dtype; float16 uses dynamic loss scaling. Variables stay float32. "
                  "mixed_bfloat16/mixed_float16 (fine-tuning's spelling) = bfloat16/float16.")
flags.DEFINE_bool("jit_compile", False, "XLA-compile the forward/backward pass.")
flags.DEFINE_bool("recompute_grad", False, "Recompute each block's activations in the backward "
                  "pass: albert_base T=512 B=16 peak RSS 17.4 -> 3.0 GiB for +29% step time. "
                  "Refused with dropout > 0 (the recomputation would draw other masks).")
flags.DEFINE_integer("grad_accum_steps", 1, "Micro-batches accumulated per optimizer step.")
flags.DEFINE_integer("seed", 12345, "Seed for initialisation and data shuffling.")
flags.DEFINE_bool("deterministic", False, "Deterministic ops (bit-exact resume; slower).")
flags.DEFINE_enum("sentence_objective", "sop", ["sop", "nsp", "none"],
                  "Sentence-level loss: sop or nsp train the 2-way head on the records' label "
                  "(data_prep's --random_next_sentence writes NSP pairs); none = MLM only.")
flags.DEFINE_integer("eval_every_steps", 0, "Held-out evaluation (eval_input_file, default "
                     "input_file) every N steps: curves in TensorBoard eval/, metrics.jsonl, "
                     "loss_curve.png. 0 = only at the end (with --do_eval).")
# Official run_pretraining.py names (google-research/ALBERT) beside ours; official_flags.py.
flags.DEFINE_alias("tpu_name", "tpu")
flags.DEFINE_bool("use_tpu", None, "Official: True = train on the TPU --tpu_name; here True = "
                  "--strategy=tpu on --tpu/--tpu_name (default 'local', a TPU VM). False: "
                  "--tpu/--tpu_name are ignored, as officially.")
official_flags.define_ignored(flags.DEFINE_integer, "num_tpu_cores", 8, "the TPU strategy uses "
                              "every core of the TPU given by --tpu/--tpu_name")
official_flags.define_ignored(flags.DEFINE_string, "master", None, "TF1 master URL; use "
                              "--tpu=grpc://host:port, or TF_CONFIG with --strategy=multi_worker")
official_flags.define_ignored(flags.DEFINE_string, "export_dir", None, "export a checkpoint "
                              "with python -m export.export_tfhub --export_dir=...")
official_flags.define_refused(flags.DEFINE_bool, "init_from_group0", False, lambda v: not v,
                              "--init_from_group0=True (copy layer group 0 into every group of "
                              "a num_hidden_groups>1 model) is not supported here")
official_flags.define_refused(flags.DEFINE_float, "masked_lm_budget", 0.0, lambda v: not v,
                              "--masked_lm_budget>0 (online n-gram masking from token_boundary) "
                              "is not supported; data_prep masks offline (the official default)")
flags.mark_flags_as_required(["input_file", "output_dir"])


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # progress is printed; hide TF's INFO lines
  from albert_tf import configs  # after absl parsed the flags; no TensorFlow yet
  if bool(F.albert_config_file) == bool(F.preset):
    raise app.UsageError("give exactly one of --albert_config_file and --preset")
  try:
    model = _model_config(configs)
    names = [f for f in configs.PretrainConfig.__dataclass_fields__ if f != "model"]
    values = {name: F[name].value for name in names if F[name].value is not None}
    if F.use_tpu and F.strategy == "auto":
      values.update(strategy="tpu", tpu=F.tpu or "local")
    elif F.use_tpu is False:
      values.pop("tpu", None)  # official: --tpu_name is read only with --use_tpu
    official_flags.print_notes("run_pretraining")
    # Flags are checked before TensorFlow is imported: a bad value costs a second, not ten.
    config = configs.PretrainConfig(model=model, **values).validate()
    from albert_tf import pretraining_loop  # imports TensorFlow
    pretraining_loop.run(config)
  except Exception as e:  # noqa: BLE001 -- only expected failures are reported; bugs re-raise
    message = errors.describe(e)
    if message is None:
      raise  # a bug: keep the traceback
    print(f"run_pretraining: error: {message}", file=sys.stderr, flush=True)
    os._exit(1)  # a timed-out TPU connection thread may still be blocked in C++


def _model_config(configs):
  """The AlbertConfig of --albert_config_file or --preset; errors.UserError naming the flag."""
  if F.preset:
    try:
      return configs.AlbertConfig.from_preset(F.preset)
    except ValueError as e:  # from_preset raises only for an unknown name
      raise errors.UserError(f"--preset: {e}") from None
  try:
    return configs.AlbertConfig.from_json_file(F.albert_config_file)
  except ValueError as e:  # UserError naming the file: unreadable, not JSON, unknown key, ...
    raise errors.UserError(f"--albert_config_file: {e}") from None


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  errors.run_cli(main, "run_pretraining")


if __name__ == "__main__":
  cli_main()
