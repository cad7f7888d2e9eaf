"""Where the encoder and the tokenizer come from: a checkpoint, a TF Hub export, or nothing.

  --albert_config_file [+ --init_checkpoint]   our AlbertEncoder; the checkpoint format is
        detected (TF1 release names `bert/...`, ours `model/...`, tf-models `encoder/...`,
        an HF directory) and loaded strictly through albert_tf.checkpoints
  --init_checkpoint alone                      config read from beside the checkpoint
  --preset=albert_tiny|albert_base|...         a preset config (random init unless a
                                               checkpoint is given)
  --hub_encoder [--hub_preprocessor]           hub.KerasLayer(trainable=True) on the TF2
        encoder SavedModel; text processing still runs through albert_tf.tokenization with
        the SentencePiece model shipped inside the export (assets/*.model) unless
        --spm_model_file is given, so every path tokenizes identically
  none                                         random init of albert_base's config

Every encoder is called as enc(dict of input_word_ids/input_mask/input_type_ids,
training=...) and returns a dict with sequence_output and pooled_output.
"""
import dataclasses
import glob
import logging
import os

import tensorflow as tf

from albert_tf import configs
from albert_tf import resources
from albert_tf import tokenization


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


def detect_checkpoint_format(path):
  """'tf1' | 'ours' | 'tf_models' | 'hf' for a checkpoint directory or prefix."""
  if os.path.isdir(path) and glob.glob(os.path.join(path, "*.safetensors")) + glob.glob(
      os.path.join(path, "pytorch_model.bin")):
    return "hf"
  from albert_tf.checkpoints import paths  # pylint: disable=import-outside-toplevel
  names = [name for name, _ in tf.train.list_variables(paths.resolve_prefix(path))]
  if any(n.startswith(("bert/", "module/bert/")) for n in names):
    return "tf1"
  if any(n.startswith("model/") for n in names):
    return "ours"
  if any(n.startswith("encoder/") for n in names):
    return "tf_models"
  raise ValueError(f"{path}: cannot tell the checkpoint format (no bert/, model/ or encoder/ "
                   "variables); pass --init_checkpoint_format")


def resolve_config(spec):
  """The AlbertConfig for a non-Hub encoder, with the dropout override applied."""
  from albert_tf.checkpoints import converter  # pylint: disable=import-outside-toplevel
  config = converter.config_from_args(spec.albert_config_file, spec.preset)
  if config is None and spec.init_checkpoint:
    fmt = spec.init_checkpoint_format
    if fmt == "auto":
      fmt = detect_checkpoint_format(spec.init_checkpoint)
    config = converter.config_beside(fmt, spec.init_checkpoint)
    if config is None:
      raise ValueError(f"no config beside {spec.init_checkpoint}; pass --albert_config_file")
  if config is None:
    config = configs.AlbertConfig.from_preset("albert_base")
  if spec.albert_dropout is not None:
    config = config.replace(hidden_dropout_prob=float(spec.albert_dropout),
                            attention_probs_dropout_prob=float(spec.albert_dropout))
  return config


def build_encoder(spec, max_seq_length=None):
  """(encoder layer, description string). Call inside the strategy scope.

  With max_seq_length, a config-built encoder is checked to have that many positions.
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
  config = resolve_config(spec)
  if max_seq_length and max_seq_length > config.max_position_embeddings:
    raise ValueError(f"--max_seq_length={max_seq_length} exceeds the encoder's "
                     f"max_position_embeddings={config.max_position_embeddings}")
  if not spec.init_checkpoint:
    return AlbertEncoder(config).ensure_built(), "random-init"
  return load_encoder(config, spec.init_checkpoint, spec.init_checkpoint_format), (
      f"checkpoint:{spec.init_checkpoint}")


def load_encoder(config, path, fmt="auto"):
  """AlbertEncoder(config) with the encoder weights of a checkpoint (strict; heads dropped)."""
  from albert_tf.checkpoints import converter  # pylint: disable=import-outside-toplevel
  from albert_tf.encoder import AlbertEncoder  # pylint: disable=import-outside-toplevel
  from albert_tf.pretrainer import AlbertPretrainer  # pylint: disable=import-outside-toplevel
  if fmt == "auto":
    fmt = detect_checkpoint_format(path)
  if fmt == "tf1":
    # Straight into the encoder: the `cls/` heads are ignored, so fine-tuned TF1
    # checkpoints without pretraining heads load as well.
    encoder = AlbertEncoder(config).ensure_built()
    converter.load("tf1", encoder, path)
    return encoder
  pretrainer = AlbertPretrainer(config).ensure_built()
  converter.load(fmt, pretrainer, path, allow_missing_sop=(fmt == "tf_models"))
  return pretrainer.encoder


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


def make_tokenizer(spec):
  return tokenization.SentencePieceTokenizer(find_spm_model(spec),
                                             do_lower_case=spec.do_lower_case)


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
