"""One-line errors for the export CLIs: a user mistake prints `error: ...` and exits 1.

Bad configs, mismatched or missing checkpoints and disallowed ops raise ValueError subclasses
(CheckpointMismatchError, DisallowedOpsError) whose messages already name the file, variable
or op; unreadable paths raise OSError or tf.errors.NotFoundError.
"""
import functools
import sys


def one_line_errors(main):
  @functools.wraps(main)
  def wrapped(argv):
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    try:
      return main(argv)
    except (ValueError, OSError, tf.errors.NotFoundError) as e:
      print(f"error: {e}", file=sys.stderr)
      sys.exit(1)
  return wrapped
