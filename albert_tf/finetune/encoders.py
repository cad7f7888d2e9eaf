"""Where the encoder and the tokenizer come from: a checkpoint, a TF Hub export, or nothing.

  --albert_config_file [+ --init_checkpoint]   our AlbertEncoder; the checkpoint format is
        detected (TF1 release names `bert/...`, ours `model/...`, tf-models `encoder/...`,
        an HF directory) and the encoder weights loaded strictly, through the checkpoint
        front door albert_tf.checkpoints.load (heads in the checkpoint are ignored)
  --init_checkpoint alone                      config read from beside the checkpoint
                                               (load.find_config)
  --preset=albert_tiny|albert_base|...         a preset config (random init unless a
                                               checkpoint is given)
  --hub_encoder [--hub_preprocessor]           hub.KerasLayer(trainable=True) on the TF2
        encoder SavedModel; text processing still runs through albert_tf.tokenization with
        the SentencePiece model shipped inside the export (assets/*.model) unless
        --spm_model_file is given, so every path tokenizes identically
  none                                         random init of albert_base's config

Every encoder is called as enc(dict of input_word_ids/input_mask/input_type_ids,
training=...) and returns a dict with sequence_output and pooled_output.

`check_sources(spec)` runs before any data is read: a flag naming a file or folder that is
not there (--init_checkpoint, --albert_config_file, --hub_encoder, --hub_preprocessor,
--spm_model_file) is a one-line errors.UserError naming the flag; so is a SentencePiece model
that cannot be loaded (`make_tokenizer`).
"""
import dataclasses
import glob
import logging
import os

import tensorflow as tf

from albert_tf import configs
from albert_tf import errors
from albert_tf import resources
from albert_tf import tokenization
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import paths as ckpt_paths


@dataclasses.dataclass
class EncoderSpec:
  """Flag values that choose the encoder (see the module docstring)."""
  albert_config_file: str = None
  init_checkpoint: str = None
  init_checkpoint_format: str = "auto"
  preset: str = None
  hub_encoder: str = None
  hub_preprocessor: str = None
  spm_model_file: str = None
  do_lower_case: bool = True
  albert_dropout: float = None      # None: keep the config's dropout


def _albert_config(spec):
  """The AlbertConfig of a non-Hub encoder (front door: file > preset > beside the checkpoint;
  none of them: albert_base), with the dropout override applied."""
  if spec.albert_config_file or spec.preset or spec.init_checkpoint:
    config = ckpt_load.resolve_config(spec.albert_config_file, spec.preset, spec.init_checkpoint)
  else:
    config = configs.AlbertConfig.from_preset("albert_base")
  if spec.albert_dropout is not None:
    config = config.replace(hidden_dropout_prob=float(spec.albert_dropout),
                            attention_probs_dropout_prob=float(spec.albert_dropout))
  return config


def _config_source(spec):
  if spec.albert_config_file:
    return f"the config {spec.albert_config_file}"
  return f"{spec.preset or 'albert_base'}'s config"


def build_encoder(spec, max_seq_length=None, warn_random_init=True):
  """(encoder layer, description string). Call inside the strategy scope.

  With max_seq_length, a config-built encoder is checked to have that many positions. Without
  --init_checkpoint/--hub_encoder the weights are random: a loud warning names the config
  (fine-tuning a random albert_base scores at chance, the forgotten-flag case of issue 14).
  """
  if spec.hub_encoder:
    if spec.init_checkpoint or spec.albert_config_file:
      raise ValueError("give --hub_encoder or --albert_config_file/--init_checkpoint, not both")
    try:
      import tensorflow_hub as hub  # pylint: disable=import-outside-toplevel
    except ImportError as e:
      raise ImportError(f"--hub_encoder needs tensorflow_hub importable ({e})") from e
    if spec.albert_dropout:
      logging.warning("--albert_dropout is ignored for a Hub encoder (dropout is baked in)")
    return hub.KerasLayer(spec.hub_encoder, trainable=True, name="hub_encoder"), (
        f"hub:{spec.hub_encoder}")
  from albert_tf.encoder import AlbertEncoder  # pylint: disable=import-outside-toplevel
  config = _albert_config(spec)
  if max_seq_length and max_seq_length > config.max_position_embeddings:
    raise ValueError(f"--max_seq_length={max_seq_length} exceeds the encoder's "
                     f"max_position_embeddings={config.max_position_embeddings}")
  if not spec.init_checkpoint:
    if warn_random_init:
      logging.warning("%s\n!!! no --init_checkpoint / --hub_encoder: fine-tuning a RANDOM INIT "
                      "of %s, not a pretrained ALBERT !!!\n%s", "!" * 80, _config_source(spec),
                      "!" * 80)
    return AlbertEncoder(config).ensure_built(), "random-init"
  return ckpt_load.load_encoder(config, spec.init_checkpoint, spec.init_checkpoint_format), (
      f"checkpoint:{spec.init_checkpoint}")


def find_spm_model(spec):
  """The SentencePiece model: --spm_model_file, else one inside the Hub export, else shipped."""
  if spec.spm_model_file:
    return spec.spm_model_file
  for handle in (spec.hub_preprocessor, spec.hub_encoder):
    if handle and os.path.isdir(handle):
      found = sorted(glob.glob(os.path.join(handle, "assets", "*.model")))
      if found:
        return found[0]
  return resources.DEFAULT_SPM_MODEL


def check_sources(spec):
  """UserError for a flag of `spec` that names a file or folder that does not exist."""
  for flag, path, exists in (
      ("init_checkpoint", spec.init_checkpoint, ckpt_paths.exists),
      ("albert_config_file", spec.albert_config_file, tf.io.gfile.exists),
      ("hub_encoder", spec.hub_encoder, tf.io.gfile.exists),
      ("hub_preprocessor", spec.hub_preprocessor, tf.io.gfile.exists),
      ("spm_model_file", spec.spm_model_file, os.path.exists)):
    # TF Hub URLs are resolved and downloaded by tensorflow_hub, not checked here.
    if path and not path.startswith(("http://", "https://")) and not exists(path):
      what = ("no such file or directory, and no checkpoint prefix (no .index file)"
              if flag == "init_checkpoint" else "no such file or directory")
      raise errors.UserError(f"--{flag}={path}: {what}: check the path")


def make_tokenizer(spec):
  """The SentencePiece tokenizer, loaded now: a missing or corrupt model is a UserError."""
  model_file = find_spm_model(spec)
  if not os.path.isfile(model_file):
    raise errors.UserError(f"--spm_model_file={model_file}: no such file: give the "
                           "SentencePiece .model file")
  tokenizer = tokenization.SentencePieceTokenizer(model_file, do_lower_case=spec.do_lower_case)
  try:
    tokenizer.sp  # pylint: disable=pointless-statement  (loads the model)
  except ValueError as e:
    # tokenization raises ValueError only for a model file it cannot read or parse.
    cause = e.__cause__
    if isinstance(cause, OSError) and errors.describe(cause):
      raise cause
    raise errors.UserError(f"--spm_model_file={model_file}: not a SentencePiece model "
                           "(the file cannot be parsed): give the .model file "
                           "(e.g. 30k-clean.model), not the .vocab") from None
  return tokenizer


def check_hub_preprocessor(spec, tokenizer, texts):
  """Raises if the Hub preprocessor's `.tokenize` disagrees with our tokenizer on `texts`."""
  if not spec.hub_preprocessor or not texts:
    return
  import tensorflow_text  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
  preprocessor = tf.saved_model.load(spec.hub_preprocessor)
  theirs = preprocessor.tokenize(tf.constant(list(texts))).to_list()
  for text, ids in zip(texts, theirs):
    flat = [int(i) for i in tf.nest.flatten(ids)]
    ours = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(text))
    if flat != ours:
      raise ValueError(f"--hub_preprocessor tokenizes {text!r} as {flat[:12]}..., "
                       f"albert_tf.tokenization as {ours[:12]}...; give the matching "
                       "--spm_model_file")
