"""The checkpoint front door: which format a checkpoint is, its config, a strict load.

Every caller that reads a checkpoint (the pretraining trainer's --init_checkpoint,
fine-tuning, both exports, `python -m albert_tf.convert`) comes through here:

  detect_format(path)            "tf1" | "ours" | "tf_models" | "hf", from the file itself:
        an HF directory (model.safetensors / pytorch_model.bin) or weights file → hf;
        TF variables `bert/...` (or `module/bert/...`, TF-Hub v1) → tf1 (Google's releases);
        object-based `model/...` → ours (the trainer; fine-tuned `Checkpoint(model=...)`);
        object-based `encoder/...` → tf_models (tf-models-official checkpoint_items)
  find_config(path)              the config file beside it (config_files: albert_config.json,
                                 then config.json; own directory, then the one above)
  resolve_config(file, preset, checkpoint)   explicit file > preset > find_config; a file or
                                 preset that contradicts the config beside the checkpoint
                                 is refused (check_config_matches: `key: beside → given`)
  load(model, path)              strict: missing / unexpected / mis-shaped variables raise
                                 CheckpointMismatchError listing them, before any assignment
  load_encoder / load_pretrainer a model built from a config and loaded
  write_config(directory, config)  `<directory>/albert_config.json`, beside every checkpoint
                                 the project writes

A path is a checkpoint directory (latest or only checkpoint in it), a prefix (the path
without `.index`), or for HF a directory or weights file. All errors are one-line
ValueErrors naming the path (errors.UserError for the user's input).

Example:
    >>> import tempfile
    >>> from albert_tf.configs import AlbertConfig
    >>> from albert_tf.pretrainer import AlbertPretrainer
    >>> from albert_tf.checkpoints import ours
    >>> cfg = AlbertConfig.from_preset("albert_tiny").replace(vocab_size=50)
    >>> prefix = ours.save_ours(AlbertPretrainer(cfg), tempfile.mkdtemp())
    >>> detect_format(prefix), find_config(prefix) == cfg
    ('ours', True)
    >>> load_encoder(cfg, prefix).config.vocab_size
    50
"""
# pylint: disable=redefined-builtin  (`format=` is the argument's name in the contract)
import glob
import os

import tensorflow as tf

from albert_tf import configs
from albert_tf import errors
from albert_tf.checkpoints import config_files
from albert_tf.checkpoints import hf
from albert_tf.checkpoints import ours
from albert_tf.checkpoints import paths
from albert_tf.checkpoints import tf1_names
from albert_tf.checkpoints import tf_models

FORMATS = ("tf1", "ours", "tf_models", "hf")
# The AlbertConfig keys that decide which function a checkpoint's weights compute. Dropout and
# initializer_range are training settings the weights do not fix (fine-tuning may change
# dropout, --albert_dropout); down_scale_factor has one accepted value.
MODEL_KEYS = ("vocab_size", "embedding_size", "hidden_size", "num_hidden_layers",
              "num_hidden_groups", "num_attention_heads", "intermediate_size", "inner_group_num",
              "hidden_act", "max_position_embeddings", "type_vocab_size", "layer_norm_eps",
              "share_parameters")
read_config = config_files.read_config    # any config file: official, ours, trainer's, HF
write_config = config_files.write_config  # <directory>/albert_config.json
_HF_WEIGHTS = (hf.SAFETENSORS_NAME, hf.SAFETENSORS_NAME + ".index.json", hf.BIN_NAME)


def _missing(path):
  return (f"no TensorFlow checkpoint or HF weights at {path} (expected a directory, a prefix "
          "with a .index file, or a .safetensors / .bin file)")


def _is_hf(path):
  if os.path.isdir(path):
    return any(os.path.isfile(os.path.join(path, name)) for name in _HF_WEIGHTS) or bool(
        glob.glob(os.path.join(glob.escape(path), "*.safetensors")))
  return os.path.isfile(path) and path.endswith((".safetensors", ".safetensors.index.json",
                                                 ".bin"))


def _check_format(fmt, allow_auto=True):
  choices = FORMATS + (("auto",) if allow_auto else ())
  if fmt not in choices:
    raise errors.UserError(f"unknown checkpoint format {fmt!r}; choose one of {', '.join(choices)}")
  return fmt


def detect_format(path):
  """The format of a checkpoint directory, prefix or HF weights file (see module doc)."""
  path = os.fspath(path)
  if _is_hf(path):
    return "hf"
  if not paths.exists(path):
    raise errors.UserError(_missing(path))
  names = [name for name, _ in tf.train.list_variables(paths.resolve_prefix(path))]
  if any(n.startswith(("bert/", "module/bert/")) for n in names):
    return "tf1"
  if any(n.startswith("model/") for n in names):
    return "ours"
  if any(n.startswith("encoder/") for n in names):
    return "tf_models"
  raise errors.UserError(f"{path}: cannot tell the checkpoint format (no bert/, model/ or encoder/ "
                         f"variables); give the format ({', '.join(FORMATS)})")


def _as_built(config):
  """`config` with "nothing shared" spelled one way: share_parameters="none", and "all" with
  every layer in its own group (how HF and TF1 files record "none"), both become "none" with
  num_hidden_groups = L (the groups of "none" are not used)."""
  layers = config.num_hidden_layers
  if config.share_parameters == "all" and all(
      config.group_of_layer(layer) == layer for layer in range(layers)):
    return config.replace(share_parameters="none", num_hidden_groups=layers)
  if config.share_parameters == "none":
    return config.replace(num_hidden_groups=layers)
  return config


def find_config(path, format="auto"):
  """The AlbertConfig in the config file beside a checkpoint, or None.

  One search order for every format (config_files.find_config); `format` is only
  checked: an HF config.json is recognised by its model_type, not by the format.
  """
  _check_format(format)
  return config_files.find_config(path)


def resolve_config(albert_config_file=None, preset=None, checkpoint=None):
  """The model config: an explicit file (official, HF or ours) > a preset > the config beside
  `checkpoint`. errors.UserError if both a file and a preset are given, if nothing is found,
  or if the file or preset contradicts the config beside an existing `checkpoint`
  (check_config_matches): that config is the record of the model the weights belong to."""
  if albert_config_file and preset:
    raise errors.UserError("give --albert_config_file or --preset, not both")
  if albert_config_file or preset:
    config = (read_config(albert_config_file) if albert_config_file
              else configs.AlbertConfig.from_preset(preset))
    # A missing checkpoint is reported by the load that follows, naming it.
    if checkpoint and (_is_hf(os.fspath(checkpoint)) or paths.exists(checkpoint)):
      given = (f"--albert_config_file={albert_config_file}" if albert_config_file
               else f"--preset={preset}")
      check_config_matches(config, checkpoint, given)
    return config
  if checkpoint:
    if not (_is_hf(os.fspath(checkpoint)) or paths.exists(checkpoint)):
      raise errors.UserError(_missing(checkpoint))
    config = find_config(checkpoint)
    if config is not None:
      return config
    raise errors.UserError(f"no config found beside {checkpoint}; pass --albert_config_file "
                           "or --preset")
  raise errors.UserError("no model config: pass --albert_config_file or --preset (or a "
                         "checkpoint with albert_config.json / config.json beside it)")


def config_differences(beside, given):
  """[(key, beside value, given value)] of the keys in which two configs build different
  models (MODEL_KEYS); share_parameters="none" equals "all" with one group per layer."""
  a, b = _as_built(beside), _as_built(given)
  return [(key, getattr(a, key), getattr(b, key)) for key in MODEL_KEYS
          if getattr(a, key) != getattr(b, key)]


def check_config_matches(config, checkpoint, given="the given config"):
  """errors.UserError listing `key: beside → given` where `config` contradicts the config file
  beside `checkpoint`; nothing when there is none (or they agree).

  The file beside is the record: a shared-weight checkpoint cannot reveal num_hidden_layers or
  num_attention_heads, so a contradicting config would load without error into another model.
  """
  found = paths.find_beside(checkpoint, config_files.CONFIG_NAMES, parents=config_files.PARENTS)
  if found is None:
    return
  differences = config_differences(read_config(found), config)
  if differences:
    shown = ", ".join(f"{key}: {old!r} → {new!r}" for key, old, new in differences)
    raise errors.UserError(
        f"{given} contradicts {found}, the config of checkpoint {checkpoint} ({shown}): drop "
        f"{given.split('=')[0]} to use the config beside the checkpoint, or give the "
        "checkpoint this config belongs to")


def load(model, path, format="auto", allow_missing_sop=False):
  """Loads a checkpoint into `model`, strictly; returns the prefix (or HF file) read.

  model: an AlbertPretrainer (every variable, heads included, must be in the file) or an
    AlbertEncoder (only the encoder's are read; heads in the file are ignored). State of
    other roots of our trainer's checkpoints (optimizer, data iterator) is never read.
  allow_missing_sop: for a tf_models file into an AlbertPretrainer, keep the SOP head at
    its initial values (tf-models-official has none).
  """
  fmt = detect_format(path) if _check_format(format) == "auto" else format
  if fmt == "tf1":
    return tf1_names.load_tf1(model, path)
  if fmt == "ours":
    return ours.load_ours(model, path)
  if fmt == "tf_models":
    return tf_models.load_tf_models(model, path, allow_missing_sop=allow_missing_sop)
  return hf.load_hf(model, path)


def load_encoder(config, path, format="auto"):
  """AlbertEncoder(config) with the encoder weights of a checkpoint (strict; heads ignored)."""
  from albert_tf.encoder import AlbertEncoder  # pylint: disable=g-import-not-at-top
  encoder = AlbertEncoder(config).ensure_built()
  load(encoder, path, format)
  return encoder


def load_pretrainer(config, path, format="auto", heads_required=True):
  """(AlbertPretrainer(config) loaded from `path`, the prefix read).

  heads_required=False reads only the encoder (a checkpoint without pretraining heads, e.g.
  a fine-tuned one, is accepted); the heads keep their initial values and must not be used.
  """
  from albert_tf.pretrainer import AlbertPretrainer  # pylint: disable=g-import-not-at-top
  model = AlbertPretrainer(config).ensure_built()
  prefix = load(model if heads_required else model.encoder, path, format)
  return model, prefix
