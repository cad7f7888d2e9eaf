"""Flags shared by run_classifier, run_squad and run_race (definitions + conversion).

Hyperparameter flags left unset take the task's paper values (hparams.PAPER).
"""
import dataclasses

from absl import flags

from albert_tf import configs

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
      hub_encoder=FLAGS.hub_encoder, hub_preprocessor=FLAGS.hub_preprocessor,
      spm_model_file=FLAGS.spm_model_file, do_lower_case=FLAGS.do_lower_case,
      albert_dropout=albert_dropout)


def seeds_from_flags():
  if FLAGS.seeds < 1:
    raise ValueError(f"--seeds={FLAGS.seeds} must be ≥ 1")
  return tuple(range(FLAGS.seed, FLAGS.seed + FLAGS.seeds))


def run_config_kwargs(paper_hparams, **hparam_overrides):
  """The base.RunConfig fields every CLI sets from the shared flags, as keyword arguments.

  Hyperparameters: `paper_hparams` (hparams.PAPER[task]) with the set flags (and the CLI's
  own set `hparam_overrides`, e.g. classifier_dropout) replacing values.
  """
  hp = hparams_from_flags(paper_hparams, **hparam_overrides)
  return dict(output_dir=FLAGS.output_dir, encoder=encoder_spec_from_flags(hp.albert_dropout),
              hparams=hp, seeds=seeds_from_flags(), eval_every=FLAGS.eval_every,
              eval_batch_size=FLAGS.eval_batch_size, mixed_precision=FLAGS.mixed_precision,
              strategy=FLAGS.strategy, log_every=FLAGS.log_every)
