"""Flags shared by run_classifier, run_squad and run_race (definitions + conversion).

Hyperparameter flags left unset take the task's paper values (hparams.PAPER).
"""
import dataclasses
import os
import sys

from absl import flags

from albert_tf import configs
from albert_tf import errors
from albert_tf import official_flags

FLAGS = flags.FLAGS


def define_common_flags():
  """Encoder source, tokenizer, hyperparameter overrides, seeds, precision, strategy."""
  flags.DEFINE_string("output_dir", None, "Where results, predictions and checkpoints go.")
  flags.DEFINE_string("albert_config_file", None, "albert_config.json (official, HF or ours).")
  flags.DEFINE_string("preset", None, "Config preset instead of --albert_config_file "
                      "(albert_tiny, albert_base, ...). No checkpoint: random init.")
  flags.DEFINE_string("init_checkpoint", None, "Checkpoint to start from: a released Google "
                      "TF1 checkpoint, ours, tf-models or an HF directory. None: random init.")
  flags.DEFINE_enum("init_checkpoint_format", "auto", ["auto", "tf1", "ours", "tf_models", "hf"],
                    "Format of --init_checkpoint (auto: from the variable names).")
  flags.DEFINE_string("hub_encoder", None, "TF2 encoder SavedModel for hub.KerasLayer.")
  flags.DEFINE_string("hub_preprocessor", None, "Preprocessor SavedModel of the same export: "
                      "its SentencePiece asset is used and its tokenization checked.")
  flags.DEFINE_string("spm_model_file", None, "SentencePiece model (default: the one in the "
                      "Hub export, else the shipped 30k-clean.model).")
  flags.DEFINE_bool("do_lower_case", True, "Lowercase in preprocess_text (all public ALBERTs).")
  flags.DEFINE_float("learning_rate", None, "Peak learning rate (default: paper, per task).")
  flags.DEFINE_integer("batch_size", None, "Global train batch size (default: paper).")
  flags.DEFINE_integer("train_steps", None, "Training steps (default: paper).")
  flags.DEFINE_integer("warmup_steps", None, "Linear warmup steps (default: paper).")
  flags.DEFINE_integer("max_seq_length", None, "Sequence length in pieces (default: paper).")
  flags.DEFINE_float("albert_dropout", None, "Hidden and attention dropout inside the encoder "
                     "(default: paper, 0.1 for QQP/RTE/WNLI/RACE, else 0).")
  flags.DEFINE_integer("eval_batch_size", 64, "Batch size for evaluation / prediction.")
  flags.DEFINE_integer("eval_every", 0, "Evaluate every N steps (0: only at the end).")
  flags.DEFINE_integer("seeds", 1, "Number of runs with seeds seed, seed+1, ...")
  flags.DEFINE_integer("seed", 0, "First seed.")
  flags.DEFINE_integer("log_every", 50, "Log the train loss every N steps.")
  flags.DEFINE_enum("mixed_precision", "float32", list(configs.PRECISIONS),
                    "Compute precision, as pretraining's --mixed_precision: bfloat16 (Keras "
                    "policy mixed_bfloat16) or float16 (mixed_float16, dynamic loss scaling); "
                    "the policy names are accepted as the same values.")
  flags.DEFINE_enum("strategy", "auto", ["auto", "tpu", "mirrored", "multi_worker", "one_device"],
                    "Distribution strategy (albert_tf.distribute.make_strategy).")
  _define_official_flags()


def _define_official_flags():
  """google-research/ALBERT's names shared by run_classifier.py, run_squad_v*.py, run_race.py."""
  for official, ours in (("train_batch_size", "batch_size"), ("train_step", "train_steps"),
                         ("warmup_step", "warmup_steps")):
    flags.DEFINE_alias(official, ours)
  flags.DEFINE_string("vocab_file", None, "Official: the vocabulary (in ALBERT the .vocab beside "
                      "the SentencePiece .model). Without --spm_model_file, the .model beside it "
                      "is used; with it, ignored (the official tokenizer reads the .model too).")
  flags.DEFINE_string("albert_hub_module_handle", None, "Official: the encoder from TF Hub. Here "
                      "= --hub_encoder (a TF2 SavedModel); TF1 hub.Module handles are refused.")
  flags.register_validator(
      "albert_hub_module_handle", lambda v: not v or "tfhub.dev/google/albert_" not in v,
      message="the tfhub.dev/google/albert_* handles are TF1 hub.Module files, which TF2 cannot "
      "fine-tune; use --init_checkpoint with the same model's tar-file checkpoint, or a TF2 "
      "export with --hub_encoder")
  flags.DEFINE_integer("predict_batch_size", None, "Official; = --eval_batch_size when that is "
                       "not given (prediction and evaluation share one batch size here).")
  flags.DEFINE_integer("save_checkpoints_steps", None, "Official: checkpoint (and evaluate each "
                       "checkpoint, keeping the best) every N steps; = --eval_every when that is "
                       "not given (here the best checkpoint is kept in seed_<s>/best/).")
  official_flags.define_refused(
      flags.DEFINE_string, "optimizer", "adamw", lambda v: v == "adamw",
      "fine-tuning uses AdamW (--optimizer=adamw, the official default); lamb is pretraining's")
  official_flags.define_refused(
      flags.DEFINE_bool, "use_tpu", None, lambda v: not v,
      "fine-tuning here does not take a TPU address yet; run on GPU/CPU "
      "(--strategy=auto|mirrored|multi_worker); pretraining takes --use_tpu --tpu_name")
  for name, define, default, note in (
      ("tpu_name", flags.DEFINE_string, None, "read only with --use_tpu (refused here)"),
      ("tpu_zone", flags.DEFINE_string, None, "read only with --use_tpu (refused here)"),
      ("gcp_project", flags.DEFINE_string, None, "read only with --use_tpu (refused here)"),
      ("master", flags.DEFINE_string, None, "TF1 master URL; use TF_CONFIG and "
       "--strategy=multi_worker"),
      ("num_tpu_cores", flags.DEFINE_integer, 8, "read only with --use_tpu (refused here)"),
      ("iterations_per_loop", flags.DEFINE_integer, 1000, "TPUEstimator steps per host call; "
       "the fine-tuning loop needs no such setting")):
    official_flags.define_ignored(define, name, default, note)


def hparams_from_flags(defaults, **overrides):
  """`defaults` with every hyperparameter flag that is set (and the set `overrides`)."""
  overrides = {name: value for name, value in overrides.items() if value is not None}
  overrides.update({name: getattr(FLAGS, name) for name in (
      "learning_rate", "batch_size", "train_steps", "warmup_steps", "max_seq_length",
      "albert_dropout") if getattr(FLAGS, name) is not None})
  return dataclasses.replace(defaults, **overrides)


def encoder_spec_from_flags(albert_dropout):
  from albert_tf.finetune import encoders  # pylint: disable=import-outside-toplevel
  return encoders.EncoderSpec(
      albert_config_file=FLAGS.albert_config_file, init_checkpoint=FLAGS.init_checkpoint,
      init_checkpoint_format=FLAGS.init_checkpoint_format, preset=FLAGS.preset,
      hub_encoder=FLAGS.hub_encoder or FLAGS.albert_hub_module_handle,
      hub_preprocessor=FLAGS.hub_preprocessor,
      spm_model_file=FLAGS.spm_model_file or (
          official_flags.spm_model_beside(FLAGS.vocab_file) if FLAGS.vocab_file else None),
      do_lower_case=FLAGS.do_lower_case,
      albert_dropout=albert_dropout)


def seeds_from_flags():
  if FLAGS.seeds < 1:
    raise errors.UserError(f"--seeds={FLAGS.seeds}: must be ≥ 1 (the number of runs)")
  return tuple(range(FLAGS.seed, FLAGS.seed + FLAGS.seeds))


def run_config_kwargs(paper_hparams, **hparam_overrides):
  """The base.RunConfig fields every CLI sets from the shared flags, as keyword arguments.

  Hyperparameters: `paper_hparams` (hparams.PAPER[task]) with the set flags (and the CLI's
  own set `hparam_overrides`, e.g. classifier_dropout) replacing values.
  """
  hp = hparams_from_flags(paper_hparams, **hparam_overrides)
  official_flags.print_notes(os.path.basename(sys.argv[0]))
  return dict(output_dir=FLAGS.output_dir, encoder=encoder_spec_from_flags(hp.albert_dropout),
              hparams=hp, seeds=seeds_from_flags(),
              eval_every=_official_or_ours("save_checkpoints_steps", "eval_every"),
              eval_batch_size=_official_or_ours("predict_batch_size", "eval_batch_size"),
              mixed_precision=FLAGS.mixed_precision, strategy=FLAGS.strategy,
              log_every=FLAGS.log_every)


def _official_or_ours(official, ours):
  """Our flag's value, or the official flag's when only that one was given."""
  given = FLAGS[official].value is not None and not FLAGS[ours].present
  return FLAGS[official].value if given else FLAGS[ours].value
