"""Locating checkpoints and their config files on disk (all formats).

A checkpoint argument may be a directory or a checkpoint prefix (`.../model.ckpt-best`,
the path without `.index` / `.data-*`). Errors are one-line errors.UserErrors (ValueErrors)
naming the path.

Example:
    >>> resolve_prefix("/nonexistent/model.ckpt")
    Traceback (most recent call last):
    ...
    albert_tf.errors.UserError: no TensorFlow checkpoint at /nonexistent/model.ckpt (expected a directory or a prefix with a .index file)
"""
import glob
import os

import tensorflow as tf

from albert_tf import errors


def resolve_prefix(path):
  """Returns the checkpoint prefix for a directory (latest or only one) or a prefix."""
  path = os.fspath(path)
  if tf.io.gfile.isdir(path):
    latest = tf.train.latest_checkpoint(path)
    if latest:
      return latest
    indexes = sorted(glob.glob(os.path.join(glob.escape(path), "*.index")))
    if len(indexes) == 1:
      return indexes[0][:-len(".index")]
    if indexes:
      raise errors.UserError(f"{path} holds {len(indexes)} checkpoints and no 'checkpoint' state "
                             "file; pass one prefix (the path without .index)")
    raise errors.UserError(f"no TensorFlow checkpoint in directory {path}")
  if path.endswith(".index"):
    path = path[:-len(".index")]
  if tf.io.gfile.exists(path + ".index"):
    return path
  raise errors.UserError(f"no TensorFlow checkpoint at {path} (expected a directory or a prefix "
                         "with a .index file)")


def checkpoint_dir(path):
  """The directory holding a checkpoint given as a directory or a prefix."""
  path = os.fspath(path)
  return path if tf.io.gfile.isdir(path) else os.path.dirname(path) or "."


def exists(path):
  """True for an existing directory or file, or a prefix whose .index file exists."""
  path = os.fspath(path)
  return tf.io.gfile.exists(path) or tf.io.gfile.exists(path + ".index")


def find_beside(path, names, parents=0):
  """First existing file among `names` next to a checkpoint, then in each of up to `parents`
  directories above it (nearest first); None if there is none."""
  directory = checkpoint_dir(path)
  for _ in range(parents + 1):
    for name in names:
      candidate = os.path.join(directory, name)
      if tf.io.gfile.exists(candidate):
        return candidate
    parent = os.path.dirname(directory.rstrip("/" + os.sep))
    if not parent or parent == directory:
      break
    directory = parent
  return None


def output_prefix(path, default_name):
  """A prefix to write. `path` is taken as a directory (created; `default_name` inside)
  unless its last component contains "ckpt" (e.g. `out/model.ckpt-best`): a prefix.
  A trailing separator (`out/ckpt/`) or an existing directory always means a directory."""
  path = os.fspath(path)
  if ("ckpt" not in os.path.basename(path) or path.endswith(("/", os.sep))
      or tf.io.gfile.isdir(path)):
    tf.io.gfile.makedirs(path)
    return os.path.join(path, default_name)
  tf.io.gfile.makedirs(os.path.dirname(path) or ".")
  return path


def write_state_file(prefix):
  """Writes the `checkpoint` state file so `tf.train.latest_checkpoint(dir)` finds `prefix`."""
  name = os.path.basename(prefix)
  with tf.io.gfile.GFile(os.path.join(os.path.dirname(prefix) or ".", "checkpoint"), "w") as f:
    f.write(f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n')
