"""Checkpoint conversion between the four formats (library side of albert_tf.convert).

  tf1        name-keyed checkpoint with the official google-research/ALBERT names
             (+ albert_config.json), e.g. a released model.ckpt-best
  tf_models  tf-models-official `tf.train.Checkpoint(encoder=, masked_lm=)` + config.json
  hf         HF transformers directory: config.json + model.safetensors / pytorch_model.bin
  ours       `tf.train.Checkpoint(model=AlbertPretrainer)` + config.json

Everything goes through our AlbertPretrainer: load (strict) → save. The config comes from
the caller, else from the file beside the input (albert_config.json / config.json, or the
HF config.json).

Example (doctest-free; see tests/albert_tf/checkpoints/test_convert_cli.py):
    convert_checkpoint("tf1", "hf", "albert_base/model.ckpt-best", "albert_base_hf")
"""
import logging
import os

from albert_tf import configs
from albert_tf.checkpoints import hf
from albert_tf.checkpoints import ours
from albert_tf.checkpoints import paths
from albert_tf.checkpoints import tf1_names
from albert_tf.checkpoints import tf_models

FORMATS = ("tf1", "tf_models", "hf", "ours")


def config_from_args(albert_config_file=None, preset=None):
  """An AlbertConfig from a JSON file (official, HF or ours) or a preset name; or None."""
  if albert_config_file and preset:
    raise ValueError("give --albert_config_file or --preset, not both")
  if preset:
    return configs.AlbertConfig.from_preset(preset)
  if albert_config_file:
    return _read_any_config(albert_config_file)
  return None


def _read_any_config(path):
  config = configs.AlbertConfig.from_json_file(path)
  if config.extra.get("model_type") == "albert":  # an HF config.json
    return hf.config_from_hf(config.to_dict(), source=str(path))
  return config


def config_beside(fmt, path):
  """The config stored next to a checkpoint of format `fmt`, or None."""
  if fmt == "hf":
    return hf.read_config(path)
  names = ["albert_config.json", "config.json"] if fmt == "tf1" else ["config.json"]
  found = paths.find_beside(path, names)
  return _read_any_config(found) if found else None


def load(fmt, model, path, allow_missing_sop=False):
  """Loads a checkpoint of format `fmt` into our model (strict); returns what was read."""
  if fmt == "tf1":
    return tf1_names.load_tf1(model, path)
  if fmt == "tf_models":
    return tf_models.load_tf_models(model, path, allow_missing_sop=allow_missing_sop)
  if fmt == "hf":
    return hf.load_hf(model, path)
  if fmt == "ours":
    return ours.load_ours(model, path)
  raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def save(fmt, model, path, hf_weights_format="safetensors"):
  """Saves our model in format `fmt`; returns the written prefix or directory."""
  if fmt == "tf1":
    return tf1_names.save_tf1(model, path)
  if fmt == "tf_models":
    return tf_models.save_tf_models(model, path)
  if fmt == "hf":
    return hf.save_hf(model, path, weights_format=hf_weights_format)
  if fmt == "ours":
    return ours.save_ours(model, path)
  raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def convert_checkpoint(from_format, to_format, input_path, output_path, config=None,
                       allow_missing_sop=False, hf_weights_format="safetensors"):
  """Reads `input_path` (format `from_format`) and writes it as `to_format`.

  Returns the written path. Raises ValueError (incl. CheckpointMismatchError) with a
  one-line message for bad paths, configs the target cannot hold, or mismatches.
  """
  from albert_tf.pretrainer import AlbertPretrainer  # pylint: disable=g-import-not-at-top
  for fmt in (from_format, to_format):
    if fmt not in FORMATS:
      raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
  if not (os.path.exists(input_path) or os.path.exists(f"{input_path}.index")):
    raise ValueError(f"input {input_path} does not exist")
  if config is None:
    config = config_beside(from_format, input_path)
  if config is None:
    raise ValueError(f"no config found beside {input_path}; pass --albert_config_file "
                     "or --preset")
  if to_format == "tf_models":
    tf_models.check_representable(config)
  if to_format == "hf":
    hf.check_representable(config)
  model = AlbertPretrainer(config).ensure_built()
  source = load(from_format, model, input_path, allow_missing_sop=allow_missing_sop)
  written = save(to_format, model, output_path, hf_weights_format=hf_weights_format)
  logging.info("converted %s (%s) → %s (%s)", source, from_format, written, to_format)
  return written
