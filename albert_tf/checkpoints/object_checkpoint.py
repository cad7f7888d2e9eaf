"""Strict save/restore of object-based checkpoints (`tf.train.Checkpoint(**roots)`).

`tf.train.Checkpoint.read` matches lazily and silently skips what it cannot match.
`strict_read` first compares the variable keys the roots would save (found by writing
a throw-away checkpoint of the same objects) with the keys in the file, under the same
root names, and raises CheckpointMismatchError on any missing, unexpected or mis-shaped
variable; only then it restores and asserts that every object was matched. Keys of
other roots (optimizer, step counters, iterators), `save_counter` and optimizer slots
are ignored.

Keys are shown without the `/.ATTRIBUTES/VARIABLE_VALUE` suffix, e.g.
`model/encoder/embeddings/word_embeddings`.
"""
import os
import shutil
import tempfile

import tensorflow as tf

from albert_tf.checkpoints import paths
from albert_tf.checkpoints.errors import CheckpointMismatchError

_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


def _variable_shapes(prefix, roots):
  shapes = {}
  for key, shape in tf.train.list_variables(prefix):
    if not key.endswith(_SUFFIX) or ".OPTIMIZER_SLOT" in key:
      continue
    if key.split("/", 1)[0] in roots:
      shapes[key[:-len(_SUFFIX)]] = tuple(shape)
  return shapes


def expected_shapes(roots):
  """{key: shape} that `tf.train.Checkpoint(**roots)` saves (via a temporary write)."""
  tmp = tempfile.mkdtemp(prefix="albert_tf_ckpt_keys_")
  try:
    prefix = tf.train.Checkpoint(**roots).write(os.path.join(tmp, "keys"))
    return _variable_shapes(prefix, roots)
  finally:
    shutil.rmtree(tmp, ignore_errors=True)


def strict_read(roots, path):
  """Restores `roots` ({name: trackable}) from a checkpoint dir/prefix; strict."""
  prefix = paths.resolve_prefix(path)
  wanted = expected_shapes(roots)
  found = _variable_shapes(prefix, roots)
  missing = [k for k in wanted if k not in found]
  unexpected = [k for k in found if k not in wanted]
  mis_shaped = [(k, found[k], wanted[k]) for k in wanted if k in found and found[k] != wanted[k]]
  if missing or unexpected or mis_shaped:
    raise CheckpointMismatchError(prefix, missing, unexpected, mis_shaped)
  status = tf.train.Checkpoint(**roots).read(prefix)
  status.assert_existing_objects_matched()
  status.expect_partial()  # safe: every variable of `roots` was matched above
  return prefix


def write(roots, path, default_name="ckpt-0"):
  """Writes `tf.train.Checkpoint(**roots)` to a prefix (or dir/default_name); returns it."""
  prefix = paths.output_prefix(path, default_name)
  saved = tf.train.Checkpoint(**roots).write(prefix)
  paths.write_state_file(saved)
  return saved
