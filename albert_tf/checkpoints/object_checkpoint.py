"""Strict save/restore of object-based checkpoints (`tf.train.Checkpoint(**roots)`).

`tf.train.Checkpoint.read` matches lazily and silently skips what it cannot match.
`strict_read` first checks the file against the objects, then restores:

  1. The variables `roots` would save are found by writing a throw-away checkpoint of
     the same objects; each gets its path of attribute names (e.g.
     `model/encoder/embeddings/word_embeddings`).
  2. Each path is walked in the file's object graph (so aliases, such as a word table
     tracked by both an encoder and a tied MLM head, resolve like TF's own restore).
     Not found → missing; found with another shape → mis-shaped; a variable of the
     file reachable from the same root names but hit by no path → unexpected.
     Other roots (optimizer, step counters, iterators), `save_counter` and optimizer
     slots are ignored; with `scope` (e.g. ["model", "encoder"]) so is everything of the
     file outside that subtree (the heads, when only an encoder is read).
  3. Only then `read()`, `assert_existing_objects_matched()`, `expect_partial()`.
"""
import collections
import os
import shutil
import tempfile

import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from albert_tf import errors
from albert_tf.checkpoints import paths
from albert_tf.checkpoints.errors import CheckpointMismatchError

_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


def _read_graph(prefix):
  reader = tf.train.load_checkpoint(prefix)
  if not reader.has_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"):
    raise errors.UserError(f"{prefix} is a name-keyed (TF1-style) checkpoint, not an object-based "
                           "one; use the tf1 format for it")
  graph = trackable_object_graph_pb2.TrackableObjectGraph()
  graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
  return reader, graph


def _variable_key(node):
  for attribute in node.attributes:
    if attribute.name == "VARIABLE_VALUE":
      return attribute.checkpoint_key
  return None


def _reachable_variables(graph, roots, scope=None):
  """{node_id: (checkpoint_key, first path)} of variables reachable from `roots` (or from
  the node at path `scope`)."""
  if scope is None:
    start = [(c.node_id, [c.local_name]) for c in graph.nodes[0].children
             if c.local_name in roots]
  else:
    node_id = _walk(graph, scope)
    start = [] if node_id is None else [(node_id, list(scope))]
  seen = {node_id for node_id, _ in start}
  queue, found = collections.deque(start), {}
  while queue:
    node_id, path = queue.popleft()
    key = _variable_key(graph.nodes[node_id])
    if key is not None:
      found[node_id] = (key, path)
    for child in graph.nodes[node_id].children:
      if child.node_id not in seen:
        seen.add(child.node_id)
        queue.append((child.node_id, path + [child.local_name]))
  return found


def _walk(graph, path):
  """The node at `path` (local names from the root), or None."""
  node_id = 0
  for name in path:
    node_id = next((c.node_id for c in graph.nodes[node_id].children if c.local_name == name),
                   None)
    if node_id is None:
      return None
  return node_id


def _display(key):
  return key[:-len(_SUFFIX)] if key.endswith(_SUFFIX) else key


def _expected(roots):
  """[(path, shape)] of the variables `tf.train.Checkpoint(**roots)` saves."""
  tmp = tempfile.mkdtemp(prefix="albert_tf_ckpt_keys_")
  try:
    prefix = tf.train.Checkpoint(**roots).write(os.path.join(tmp, "keys"))
    reader, graph = _read_graph(prefix)
    shapes = reader.get_variable_to_shape_map()
    return [(path, tuple(shapes[key])) for key, path in _reachable_variables(graph, roots).values()]
  finally:
    shutil.rmtree(tmp, ignore_errors=True)


def check(roots, prefix, scope=None):
  """Raises CheckpointMismatchError unless the file holds exactly the variables of roots
  (with `scope`, variables of the file outside that path are ignored)."""
  reader, graph = _read_graph(prefix)
  shapes = reader.get_variable_to_shape_map()
  reachable = _reachable_variables(graph, roots, scope)
  used, missing, mis_shaped = set(), [], []
  for path, shape in _expected(roots):
    node_id = _walk(graph, path)
    if node_id is None or _variable_key(graph.nodes[node_id]) is None:
      missing.append("/".join(path))
      continue
    used.add(node_id)
    found = tuple(shapes[_variable_key(graph.nodes[node_id])])
    if found != shape:
      mis_shaped.append(("/".join(path), found, shape))
  unexpected = [_display(key) for node_id, (key, _) in reachable.items() if node_id not in used]
  if missing or unexpected or mis_shaped:
    raise CheckpointMismatchError(prefix, missing, unexpected, mis_shaped)


def strict_read(roots, path, scope=None):
  """Restores `roots` ({name: trackable}) from a checkpoint dir/prefix; strict."""
  prefix = paths.resolve_prefix(path)
  check(roots, prefix, scope)
  status = tf.train.Checkpoint(**roots).read(prefix)
  status.assert_existing_objects_matched()
  status.expect_partial()  # safe: every variable of `roots` was matched by check()
  return prefix


def write(roots, path, default_name="ckpt-0"):
  """Writes `tf.train.Checkpoint(**roots)` to a prefix (or dir/default_name); returns it."""
  prefix = paths.output_prefix(path, default_name)
  saved = tf.train.Checkpoint(**roots).write(prefix)
  paths.write_state_file(saved)
  return saved
