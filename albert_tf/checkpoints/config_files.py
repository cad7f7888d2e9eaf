"""The model config file beside a checkpoint: one search order, one reader, one writer.

Search (`find_config`): `albert_config.json` (the released name, written beside every
checkpoint this project writes), then `config.json`; in the checkpoint's own directory
first, then in the directory above it (so `<run>/seed_<s>/best/ckpt` of a fine-tuning run
finds `<run>/seed_<s>/albert_config.json`).
Reading (`read_config`) accepts every config file a checkpoint may come with:
  official `albert_config.json`        the google-research/ALBERT keys
  ours / tf-models `config.json`       the same keys plus share_parameters
  the pretraining trainer's config.json  {"albert_config": {...}, "pretraining": {...}}
  HF `config.json`                      model_type "albert", converted (hf.config_from_hf)
Any other `model_type` is refused (a BERT config is not silently read as ALBERT's).

Example:
    >>> import tempfile
    >>> from albert_tf.configs import AlbertConfig
    >>> directory = tempfile.mkdtemp()
    >>> path = write_config(directory, AlbertConfig.from_preset("albert_tiny"))
    >>> find_config(directory) == AlbertConfig.from_preset("albert_tiny")
    True
"""
import json
import os

import tensorflow as tf

from albert_tf import configs
from albert_tf import errors
from albert_tf.checkpoints import hf
from albert_tf.checkpoints import paths

CONFIG_NAME = "albert_config.json"
CONFIG_NAMES = (CONFIG_NAME, "config.json")  # the search order within one directory
PARENTS = 1  # directories searched above the checkpoint's own


def read_config(path):
  """An AlbertConfig from any config file listed in the module docstring.

  Raises errors.UserError (one line naming the file, and the line and column of a JSON
  error, the key of an unknown or mistyped one) for a missing, unreadable or wrong file.
  """
  path = os.fspath(path)
  if not tf.io.gfile.exists(path):
    raise errors.UserError(f"{path}: cannot read config file (no such file): check the path")
  if tf.io.gfile.isdir(path):
    raise errors.UserError(f"{path}: is a directory, not a config file: give the path of "
                           f"its {CONFIG_NAME}")
  try:
    with tf.io.gfile.GFile(path, "rb") as f:
      text = f.read().decode("utf-8")
  except UnicodeDecodeError as e:
    raise errors.UserError(f"{path}: config file is not UTF-8 text (byte {e.start}): give a "
                           f"JSON {CONFIG_NAME}") from None
  values = configs.parse_json(text, path)
  if hf.is_hf_config(values):
    return hf.config_from_hf(values, source=path)
  if isinstance(values, dict) and values.get("model_type") not in (None, "albert"):
    raise errors.UserError(f"{path}: model_type={values['model_type']!r} is not an ALBERT "
                           "config: give the ALBERT model's config")
  return configs.AlbertConfig.from_dict(values, source=path)


def find_config(path):
  """The AlbertConfig stored beside a checkpoint (dir, prefix or HF weights file), or None."""
  found = paths.find_beside(path, CONFIG_NAMES, parents=PARENTS)
  return read_config(found) if found else None


def write_config(directory, config, filename=CONFIG_NAME):
  """Writes `<directory>/albert_config.json` (created if needed); returns its path."""
  directory = os.fspath(directory)
  tf.io.gfile.makedirs(directory)
  path = os.path.join(directory, filename)
  with tf.io.gfile.GFile(path, "w") as f:
    f.write(config.to_json_string())
  return path
