"""Our own checkpoint format: `tf.train.Checkpoint(model=AlbertPretrainer)` + its config.

This is what the trainer writes (object-based; it may also hold optimizer, step and
data-iterator state under other root names, which loading ignores). `load_ours` is
strict: every model variable must be in the file with the right shape, and nothing under
`model/` may be left over (CheckpointMismatchError otherwise). An AlbertEncoder target
reads `model/encoder/` only, so the heads of a pretraining checkpoint (or the task head
of a fine-tuned `Checkpoint(model=<head with .encoder>)`) are ignored.

The object graph is the model's own, so every sharing mode the model can build
(configs.SHARING) round-trips: this format needs no allow-list.

Example:
    >>> import tempfile
    >>> from albert_tf.configs import AlbertConfig
    >>> from albert_tf.pretrainer import AlbertPretrainer
    >>> cfg = AlbertConfig.from_preset("albert_tiny").replace(vocab_size=50)
    >>> prefix = save_ours(AlbertPretrainer(cfg), tempfile.mkdtemp())
    >>> _ = load_ours(AlbertPretrainer(cfg), prefix)
"""
import os

import tensorflow as tf

from albert_tf.checkpoints import config_files
from albert_tf.checkpoints import object_checkpoint

CONFIG_NAME = "config.json"  # written beside albert_config.json, as this format always had


class _EncoderRoot(tf.Module):
  """Stands in for the `model` root of a file, holding only its `encoder` child."""

  def __init__(self, encoder):
    super().__init__()
    self.encoder = encoder


def save_ours(model, path):
  """Saves `model` (AlbertPretrainer) under root `model`; its config beside. Returns prefix."""
  model.ensure_built()
  prefix = object_checkpoint.write({"model": model}, path)
  directory = os.path.dirname(prefix) or "."
  config_files.write_config(directory, model.config)
  config_files.write_config(directory, model.config, filename=CONFIG_NAME)
  return prefix


def load_ours(model, path):
  """Restores an AlbertPretrainer (all of `model/`) or an AlbertEncoder (`model/encoder/`)
  from a checkpoint written by `save_ours` or the trainer; strict. Returns the prefix."""
  model.ensure_built()
  if hasattr(model, "masked_lm"):
    return object_checkpoint.strict_read({"model": model}, path)
  return object_checkpoint.strict_read({"model": _EncoderRoot(model)}, path,
                                       scope=["model", "encoder"])


