"""Our own checkpoint format: `tf.train.Checkpoint(model=AlbertPretrainer)` + config.json.

This is what the trainer writes (object-based; it may also hold optimizer and step
state under other root names, which loading ignores). `load_ours` is strict: every
model variable must be in the file with the right shape, and nothing under `model/`
may be left over (CheckpointMismatchError otherwise).

Example:
    >>> import tempfile
    >>> from albert_tf.configs import AlbertConfig
    >>> from albert_tf.pretrainer import AlbertPretrainer
    >>> cfg = AlbertConfig.from_preset("albert_tiny").replace(vocab_size=50)
    >>> prefix = save_ours(AlbertPretrainer(cfg), tempfile.mkdtemp())
    >>> _ = load_ours(AlbertPretrainer(cfg), prefix)
"""
import os

from albert_tf import configs
from albert_tf.checkpoints import object_checkpoint
from albert_tf.checkpoints import paths

CONFIG_NAME = "config.json"


def save_ours(model, path):
  """Saves `model` (AlbertPretrainer) under root `model`; config.json beside. Returns prefix."""
  model.ensure_built()
  prefix = object_checkpoint.write({"model": model}, path)
  model.config.to_json_file(os.path.join(os.path.dirname(prefix) or ".", CONFIG_NAME))
  return prefix


def load_ours(model, path):
  """Restores `model` from a checkpoint written by `save_ours` (or the trainer); strict."""
  model.ensure_built()
  return object_checkpoint.strict_read({"model": model}, path)


def read_config(path):
  """The AlbertConfig in config.json beside a checkpoint, or None."""
  found = paths.find_beside(path, [CONFIG_NAME])
  return configs.AlbertConfig.from_json_file(found) if found else None
