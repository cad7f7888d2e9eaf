"""Versioned, atomic model directories for TF Serving (`model_base_path/<version>/`).

The server polls model_base_path and loads integer-named children (docs/serving_reference.md
C6); a half-written version would be picked up. So an export is written to a hidden,
non-integer sibling (`.tmp-<version>-<random>`, ignored by the server) and renamed to
`<version>` only when complete. An existing version is never overwritten; without an
explicit version the next one is max(existing) + 1 (1 for an empty base path).

Example:
    >>> import tempfile, os
    >>> base = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(base, "3")); os.makedirs(os.path.join(base, "notes"))
    >>> next_version(base)
    4
"""
import os
import uuid

import tensorflow as tf


def existing_versions(model_base_path):
  if not tf.io.gfile.isdir(model_base_path):
    return []
  names = [n.rstrip("/") for n in tf.io.gfile.listdir(model_base_path)]
  return sorted(int(n) for n in names if n.isdigit())


def next_version(model_base_path):
  versions = existing_versions(model_base_path)
  return versions[-1] + 1 if versions else 1


def check_free(model_base_path, version):
  """Raises FileExistsError (or ValueError for a bad number) unless `version` is free."""
  if isinstance(version, bool) or not isinstance(version, int) or version < 0:
    raise ValueError(f"version must be a non-negative integer, got {version!r}")
  final_dir = os.path.join(model_base_path, str(version))
  if tf.io.gfile.exists(final_dir):
    raise FileExistsError(f"{final_dir} already exists; versions are never overwritten "
                          f"(next free version: {next_version(model_base_path)})")
  return final_dir


def write_version(model_base_path, write_fn, version=None):
  """Calls write_fn(tmp_dir), then renames tmp_dir to model_base_path/<version>.

  Returns the final directory. Raises FileExistsError if the version exists (checked
  before writing and again by the non-overwriting rename); the temporary directory is
  removed when write_fn raises.
  """
  if version is None:
    version = next_version(model_base_path)
  final_dir = check_free(model_base_path, version)
  tf.io.gfile.makedirs(model_base_path)
  tmp_dir = os.path.join(model_base_path, f".tmp-{version}-{uuid.uuid4().hex[:8]}")
  try:
    write_fn(tmp_dir)
    tf.io.gfile.rename(tmp_dir, final_dir, overwrite=False)
  except BaseException:
    if tf.io.gfile.exists(tmp_dir):
      tf.io.gfile.rmtree(tmp_dir)
    raise
  return final_dir
