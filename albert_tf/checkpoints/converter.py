"""Checkpoint conversion between the four formats (library side of albert_tf.convert).

  tf1        name-keyed checkpoint with the official google-research/ALBERT names
             (+ albert_config.json), e.g. a released model.ckpt-best
  tf_models  tf-models-official `tf.train.Checkpoint(encoder=, masked_lm=)` + our config
  hf         HF transformers directory: config.json + model.safetensors / pytorch_model.bin
  ours       `tf.train.Checkpoint(model=AlbertPretrainer)` + our config

Everything goes through our AlbertPretrainer: load (strict, `load.load`) → save. The input
format may be "auto" (`load.detect_format`). The config comes from the caller, else from
the file beside the input (`load.find_config`). A target that cannot hold the config (a
sharing mode outside its allow-list, tf-models' single block) is refused before loading.

Example (doctest-free; see tests/albert_tf/checkpoints/test_convert_cli.py):
    convert_checkpoint("tf1", "hf", "albert_base/model.ckpt-best", "albert_base_hf")
"""
import logging

from albert_tf import errors
from albert_tf.checkpoints import hf
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import ours
from albert_tf.checkpoints import paths
from albert_tf.checkpoints import tf1_names
from albert_tf.checkpoints import tf_models

FORMATS = ckpt_load.FORMATS
_CHECK_REPRESENTABLE = {"tf1": tf1_names.check_representable,
                        "tf_models": tf_models.check_representable,
                        "hf": hf.check_representable}  # ours holds what the model builds


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
  raise errors.UserError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def convert_checkpoint(from_format, to_format, input_path, output_path, config=None,
                       allow_missing_sop=False, hf_weights_format="safetensors"):
  """Reads `input_path` (format `from_format`, or "auto") and writes it as `to_format`.

  Returns the written path. Raises ValueError (incl. CheckpointMismatchError) with a
  one-line message for bad paths, configs the target cannot hold, or mismatches.
  """
  from albert_tf.pretrainer import AlbertPretrainer  # pylint: disable=g-import-not-at-top
  for fmt, choices in ((from_format, FORMATS + ("auto",)), (to_format, FORMATS)):
    if fmt not in choices:
      raise errors.UserError(f"unknown format {fmt!r}; choose one of {', '.join(choices)}")
  if not paths.exists(input_path):
    raise errors.UserError(f"input {input_path} does not exist")
  if from_format == "auto":
    from_format = ckpt_load.detect_format(input_path)
  if config is None:
    config = ckpt_load.resolve_config(checkpoint=input_path)
  if to_format in _CHECK_REPRESENTABLE:
    _CHECK_REPRESENTABLE[to_format](config)
  model = AlbertPretrainer(config).ensure_built()
  source = ckpt_load.load(model, input_path, from_format, allow_missing_sop=allow_missing_sop)
  written = save(to_format, model, output_path, hf_weights_format=hf_weights_format)
  logging.info("converted %s (%s) → %s (%s)", source, from_format, written, to_format)
  return written
