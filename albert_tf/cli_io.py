"""Reading checkpoints and writing models for the CLIs: expected failures, atomic outputs.

Shared by `albert_tf.convert` and the export CLIs (`export.export_serving`,
`export.export_tfhub`, `export.export_classifier`), which follow albert_tf/errors.py: an
expected failure is one `errors.UserError` line, a bug keeps its traceback.

Expected failures TensorFlow reports in its own terms, turned into UserError here:
  - `filesystem_error(e)`: a tf.errors.OpError of the file system (`PATH; File too large`,
    `No space left on device`, `Read-only file system`, ...) as the OSError it stands for,
    so `errors.describe` words it like any other.
  - `reading_checkpoint(flag, path)`: a checkpoint that does not match the model
    (CheckpointMismatchError), a one-line UserError raised by albert_tf.checkpoints (no
    checkpoint there, format unknown, ...), a corrupt or
    truncated file (the checkpoint reader's errors, DataLossError, safetensors' errors),
    or a file-system error on the way (a missing shard, a full /tmp).
  - `writing_output(flag, path)`: OSErrors and file-system OpErrors while writing.

Atomic outputs: `write_dir_atomically(final_dir, write_fn, tag)` has write_fn fill a
temporary sibling `.tmp-<tag>-<host>-<pid>-<random>` and renames it to final_dir only when
complete, so a killed or failed write never leaves anything that looks finished (TF Serving
loads only integer-named versions, docs/serving_reference.md C6; a hub directory appears
only complete). `remove_stale_temps(parent)`, run by every write, removes such leftovers
of writers that are gone: same host and a dead pid, or older than STALE_AFTER_S (another
host, or a reused pid); temporaries of live writers are left alone.

Example:
    >>> import tempfile
    >>> parent = tempfile.mkdtemp()
    >>> def write(d):
    ...   with open(os.path.join(d, "f"), "w") as f:
    ...     f.write("x")
    >>> write_dir_atomically(os.path.join(parent, "out"), write, "demo")
    >>> sorted(os.listdir(parent)), os.listdir(os.path.join(parent, "out"))
    (['out'], ['f'])
"""
import contextlib
import logging
import os
import re
import socket
import time
import traceback
import uuid

import tensorflow as tf

from albert_tf import errors
from albert_tf.checkpoints.errors import CheckpointMismatchError

TMP_PREFIX = ".tmp-"
# A temporary whose writer cannot be checked (another host) is removed only when this old:
# longer than any export takes, so a live writer's directory is never pulled away.
STALE_AFTER_S = 24 * 3600
_TEMP = re.compile(r"^\.tmp-(?P<tag>[A-Za-z0-9_]+)-(?P<host>[A-Za-z0-9_.]*)-(?P<pid>\d+)-"
                   r"[0-9a-f]{8}$")
# export/versioning.py's name before the writer's pid was recorded: `.tmp-<version>-<hex8>`.
_LEGACY_TEMP = re.compile(r"^\.tmp-\d+-[0-9a-f]{8}$")
_STRERROR_TO_ERRNO = {os.strerror(n): n for n in errors.OS_HINTS}
_FUNCTION_NODE = re.compile(r"^\{\{function_node [^}]*\}\}\s*")
_OP_SUFFIX = re.compile(r"\s*\[Op:[^\]]*\]\s*$")


# ---- TensorFlow's errors in plain words ----------------------------------------------------

def op_error_text(e):
  """The informative line of a TF error: no `{{function_node ...}}`, `[Op:...]`, or the
  "Graph execution error:" preamble (the reason is the line before `[[{{node ...}}]]`)."""
  text = e.message if isinstance(e, tf.errors.OpError) else str(e)
  lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
  if not lines:
    return type(e).__name__
  reason = lines[0]
  for i, line in enumerate(lines):
    if line.startswith("[[") and i > 0:
      reason = lines[i - 1]
      break
  else:
    if reason.startswith("Graph execution error"):
      reason = lines[-1]
  return _OP_SUFFIX.sub("", _FUNCTION_NODE.sub("", reason))


def filesystem_error(e):
  """The OSError a TF file-system error stands for (`PATH; File too large` → EFBIG), or None."""
  if not isinstance(e, tf.errors.OpError):
    return None
  path, sep, strerror = op_error_text(e).rpartition("; ")
  number = _STRERROR_TO_ERRNO.get(strerror.strip())
  if not sep or number is None:
    return None
  return OSError(number, strerror.strip(), path)


def _raised_in(e, fragment):
  """True when the innermost frame of e's traceback is in a file whose path has `fragment`."""
  frames = traceback.extract_tb(e.__traceback__)
  return bool(frames) and fragment in frames[-1].filename.replace(os.sep, "/")


def checkpoint_error(e, flag, path):
  """UserError for an expected failure reading checkpoint `path` (given as `flag`), else None."""
  where = f"{flag}={path}"
  if isinstance(e, CheckpointMismatchError):
    return errors.UserError(f"{e}: check that the config (--albert_config_file, --preset or "
                            "the one beside the checkpoint) is the checkpoint's")
  if isinstance(e, errors.UserError):
    # albert_tf.checkpoints' own one-line errors; most already name the path or the flags.
    message = str(e)
    return e if str(path) in message or "--" in message else errors.UserError(
        f"{where}: {message}")
  corrupt = (isinstance(e, tf.errors.DataLossError)
             or (isinstance(e, (tf.errors.OpError, IndexError))
                 and _raised_in(e, "tensorflow/python/training/py_checkpoint_reader"))
             or type(e).__name__ == "SafetensorError")
  if corrupt:
    return errors.UserError(f"{where}: the checkpoint cannot be read ({op_error_text(e)}): "
                            "it is corrupt or truncated; copy or download it again")
  # E.g. the scratch checkpoint object_checkpoint.check writes (to learn the model's keys) on
  # a full /tmp: the message names that file.
  os_error = e if isinstance(e, OSError) else filesystem_error(e)
  message = errors.describe(os_error) if os_error is not None else None
  return errors.UserError(f"{where}: {message}") if message else None


def reading_checkpoint(flag, path):
  """Turns the expected failures of reading checkpoint `path` into UserError (see module doc)."""
  return _translated(checkpoint_error, flag, path)


def output_error(e, flag, path):
  """UserError for a file-system failure while writing output `path` (`flag`), else None."""
  if isinstance(e, errors.UserError):
    return e
  os_error = e if isinstance(e, OSError) else filesystem_error(e)
  message = errors.describe(os_error) if os_error is not None else None
  if message is None:
    return None
  return errors.UserError(f"{flag}={path}: {message}")


def writing_output(flag, path):
  """Turns OSErrors and TF file-system errors while writing `path` into UserError."""
  return _translated(output_error, flag, path)


@contextlib.contextmanager
def _translated(user_error_of, flag, path):
  """Re-raises what `user_error_of(e, flag, path)` knows as a UserError, the rest unchanged."""
  try:
    yield
  except Exception as e:  # noqa: BLE001 -- re-raised unchanged unless user_error_of knows it
    user_error = user_error_of(e, flag, path)
    if user_error is None or user_error is e:
      raise
    raise user_error from e


# ---- Atomic output directories ---------------------------------------------------------------

def temp_name(tag):
  """`.tmp-<tag>-<host>-<pid>-<random>`: hidden, never an integer, names its writer."""
  host = re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname())
  return f"{TMP_PREFIX}{tag}-{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def is_temp_name(name):
  """True for the temporary names this module (or older versioning.py) writes."""
  name = name.rstrip("/")
  return bool(_TEMP.match(name) or _LEGACY_TEMP.match(name))


def _pid_alive(pid):
  if pid == os.getpid():
    return True
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:  # someone else's live process
    return True
  return True


def _age_s(path):
  try:
    return time.time() - tf.io.gfile.stat(path).mtime_nsec / 1e9
  except (tf.errors.OpError, OSError):
    return 0.0  # unknown: treat as young, i.e. keep it


def is_stale(parent, name, max_age_s=STALE_AFTER_S):
  """True when `parent/name` is a temporary of a writer that is gone (see module doc)."""
  name = name.rstrip("/")
  match = _TEMP.match(name)
  if match is None and not _LEGACY_TEMP.match(name):
    return False
  this_host = re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname())
  if match and match.group("host") == this_host and not _pid_alive(int(match.group("pid"))):
    return True
  return _age_s(os.path.join(parent, name)) > max_age_s


def remove_stale_temps(parent, max_age_s=STALE_AFTER_S):
  """Removes the stale temporaries in `parent` (killed writers' leftovers); returns them."""
  if not tf.io.gfile.isdir(parent):
    return []
  removed = []
  for name in tf.io.gfile.listdir(parent):
    if is_stale(parent, name, max_age_s):
      path = os.path.join(parent, name.rstrip("/"))
      try:
        tf.io.gfile.rmtree(path)
      except tf.errors.NotFoundError:
        continue  # another writer's cleanup got there first
      logging.info("removed %s, left by a writer that is gone", path)
      removed.append(path)
  return removed


def check_output_dir(path, flag):
  """UserError unless `path` is absent or an empty directory (nothing would be replaced)."""
  if not tf.io.gfile.exists(path):
    return
  if not tf.io.gfile.isdir(path):
    raise errors.UserError(f"{flag}={path} is a file, not a directory: give a new directory "
                           "path (or move the file away)")
  if tf.io.gfile.listdir(path):
    raise errors.UserError(f"{flag}={path} exists and is not empty; exports never replace "
                           "one: give a new directory (or remove it first)")


def write_dir_atomically(final_dir, write_fn, tag, flag="output"):
  """Calls write_fn(tmp_dir) on a temporary sibling, then renames it to `final_dir`.

  `final_dir` must be absent or an empty directory (checked before and by the
  non-overwriting rename). The temporary is removed when write_fn raises, and stale
  temporaries of killed writers in the same parent are removed first. File-system errors
  become UserError naming `flag`. Returns write_fn's result.
  """
  final_dir = os.fspath(final_dir).rstrip("/") or "/"
  parent = os.path.dirname(final_dir) or "."
  check_output_dir(final_dir, flag)
  with writing_output(flag, final_dir):
    tf.io.gfile.makedirs(parent)
    remove_stale_temps(parent)
    tmp_dir = os.path.join(parent, temp_name(tag))
    try:
      tf.io.gfile.makedirs(tmp_dir)
      result = write_fn(tmp_dir)
      check_output_dir(final_dir, flag)  # nobody wrote there meanwhile
      if tf.io.gfile.exists(final_dir):
        tf.io.gfile.rmtree(final_dir)  # an empty directory, as checked
      tf.io.gfile.rename(tmp_dir, final_dir, overwrite=False)
    except BaseException:
      _remove_quietly(tmp_dir)
      raise
  return result


def _remove_quietly(path):
  """rmtree that never hides the error being raised (on a full or read-only disk it may fail
  too; the next writer's remove_stale_temps removes what is left)."""
  try:
    if tf.io.gfile.exists(path):
      tf.io.gfile.rmtree(path)
  except (tf.errors.OpError, OSError) as e:
    logging.warning("could not remove %s: %s", path, e)
