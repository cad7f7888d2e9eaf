"""Config + checkpoint → a restored AlbertPretrainer, for the exporters.

Accepts our object-based checkpoints (`tf.train.Checkpoint(model=AlbertPretrainer)`,
config.json beside, as written by the trainer) and name-keyed TF1 checkpoints (Google's
releases, albert_config.json beside), told apart by the object-graph key. Loading goes
through albert_tf.checkpoints, which is strict: a missing or mismatched checkpoint raises
`CheckpointMismatchError` listing the missing, unexpected and mis-shaped variables
before anything is assigned.

Example:
    >>> resolve_config(preset="albert_tiny").hidden_size
    32
"""
import tensorflow as tf

from albert_tf import configs
from albert_tf.checkpoints import ours
from albert_tf.checkpoints import paths
from albert_tf.checkpoints import tf1_names
from albert_tf.pretrainer import AlbertPretrainer

_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def resolve_config(albert_config_file=None, preset=None, init_checkpoint=None):
  """AlbertConfig from a JSON file, a preset, or the config file beside the checkpoint."""
  if albert_config_file and preset:
    raise ValueError("give either --albert_config_file or --preset, not both")
  if albert_config_file:
    return configs.AlbertConfig.from_json_file(albert_config_file)
  if preset:
    return configs.AlbertConfig.from_preset(preset)
  if init_checkpoint:
    found = paths.find_beside(init_checkpoint, ["config.json", "albert_config.json"])
    if found:
      return configs.AlbertConfig.from_json_file(found)
  raise ValueError("no model config: pass --albert_config_file or --preset (no config.json "
                   "or albert_config.json found beside the checkpoint)")


def is_object_checkpoint(prefix):
  return _OBJECT_GRAPH_KEY in dict(tf.train.list_variables(prefix))


def load_pretrainer(config, init_checkpoint, heads_required=True):
  """Builds an AlbertPretrainer for `config` and restores it from `init_checkpoint`.

  With heads_required=False a TF1 checkpoint without `cls/` heads is accepted (only the
  encoder is restored; the heads keep their initial values and must not be exported).
  Returns (pretrainer, checkpoint prefix).
  """
  model = AlbertPretrainer(config).ensure_built()
  prefix = paths.resolve_prefix(init_checkpoint)
  if is_object_checkpoint(prefix):
    ours.load_ours(model, prefix)
  elif heads_required:
    tf1_names.load_tf1(model, prefix)
  else:
    tf1_names.load_tf1(model.encoder, prefix)
  return model, prefix
