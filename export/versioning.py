"""Versioned, atomic model directories for TF Serving (`model_base_path/<version>/`).

The server polls model_base_path and loads integer-named children (docs/serving_reference.md
C6); a half-written version would be picked up. So an export is written to a hidden,
non-integer sibling (`.tmp-<version>-<host>-<pid>-<random>`, ignored by the server and by
`existing_versions`) and renamed to `<version>` only when complete (albert_tf/cli_io.py). A
killed export leaves only such a temporary, which the next export removes. An existing
version is never overwritten; without an explicit version the next one is max(existing) + 1
(1 for an empty base path).

Example:
    >>> import tempfile, os
    >>> base = tempfile.mkdtemp()
    >>> os.makedirs(os.path.join(base, "3")); os.makedirs(os.path.join(base, "notes"))
    >>> os.makedirs(os.path.join(base, ".tmp-4-host-12345-0123abcd"))  # a killed export's
    >>> next_version(base)
    4
"""
import os

import tensorflow as tf

from albert_tf import cli_io
from albert_tf import errors

FLAG = "--model_base_path"


def existing_versions(model_base_path):
  """Sorted integer versions under model_base_path (temporaries and other names skipped)."""
  if not tf.io.gfile.isdir(model_base_path):
    return []
  names = [n.rstrip("/") for n in tf.io.gfile.listdir(model_base_path)]
  return sorted(int(n) for n in names if n.isdigit())


def next_version(model_base_path):
  versions = existing_versions(model_base_path)
  return versions[-1] + 1 if versions else 1


def check_base_path(model_base_path):
  """UserError when model_base_path is a file (TF Serving needs a directory of versions)."""
  if tf.io.gfile.exists(model_base_path) and not tf.io.gfile.isdir(model_base_path):
    raise errors.UserError(f"{FLAG}={model_base_path} is a file, not a directory: give the "
                           "directory the server reads versions from")


def check_free(model_base_path, version):
  """Raises UserError unless `version` is a free, valid version number; returns its path."""
  if isinstance(version, bool) or not isinstance(version, int) or version < 0:
    raise errors.UserError(f"--version={version!r}: a version must be a non-negative integer")
  check_base_path(model_base_path)
  final_dir = os.path.join(model_base_path, str(version))
  if tf.io.gfile.exists(final_dir):
    raise errors.UserError(f"{final_dir} already exists; versions are never overwritten: "
                           f"omit --version or pass --version={next_version(model_base_path)}")
  return final_dir


def write_version(model_base_path, write_fn, version=None):
  """Calls write_fn(tmp_dir), then renames tmp_dir to model_base_path/<version>.

  Returns the final directory. Raises UserError if the version exists (checked before
  writing and again by the non-overwriting rename) or the disk fails (full, read-only);
  the temporary directory is removed when write_fn raises.
  """
  check_base_path(model_base_path)
  if version is None:
    version = next_version(model_base_path)
  final_dir = check_free(model_base_path, version)
  cli_io.write_dir_atomically(final_dir, write_fn, tag=str(version), flag=FLAG)
  return final_dir
