"""Expected failures and how every CLI reports them: one line, exit code 1.

An *expected* failure is caused by the user's input, flags or environment (a missing or corrupt
file, a bad flag value, a full disk) and is reported as `PROG: error: WHAT (WHERE): WHAT TO DO`
on stderr with exit code 1 and no traceback. Anything else is a bug and keeps its traceback.
No TensorFlow import here: data_prep uses this module too.

- `UserError`: raise it (or a subclass) for an expected failure; subclasses ValueError so code
  that catches ValueError keeps working.
- `describe(e)`: the one-line message for an expected exception, None for a bug. OSErrors of the
  filesystem (ENOENT, EACCES, EROFS, ENOSPC, EFBIG, EISDIR, ENOTDIR, EDQUOT) and
  UnicodeDecodeError count as expected: they name the file and say what to do.
- `run_cli(main, prog)`: absl `app.run(main)` that turns expected failures into the line above.

Example:
    >>> describe(UserError("--learning_rate=-1: must be > 0"))
    '--learning_rate=-1: must be > 0'
    >>> describe(FileNotFoundError(2, "No such file or directory", "corpus.txt"))
    'corpus.txt: No such file or directory: check the path'
    >>> describe(KeyError("bug")) is None
    True
"""
import errno
import sys


class UserError(ValueError):
  """A failure caused by input, flags or environment; its message says what, where, what to do."""


OS_HINTS = {  # errno → what to do; what describe() counts as expected
    errno.ENOENT: "check the path",
    errno.EACCES: "check the file's permissions or choose another path",
    errno.EPERM: "check the file's permissions or choose another path",
    errno.EROFS: "the file system is read-only: choose a writable output path",
    errno.ENOSPC: "the disk is full: free space or choose another output path, then rerun",
    errno.EDQUOT: "the disk quota is exceeded: free space or choose another output path, then rerun",
    errno.EFBIG: "the file size limit was reached: raise the limit (ulimit -f) or write elsewhere",
    errno.EISDIR: "a directory is in the way: give a file path",
    errno.ENOTDIR: "a file is in the way where a directory is needed: give a directory path",
}


# Writes refused for lack of room or rights (not a bug: rerunning with space or rights works).
STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                  errno.EPERM)


def storage_hint(e):
  """What to do about OSError `e` when it is a write refused for lack of room or rights, else
  None.

  >>> storage_hint(OSError(errno.EFBIG, "File too large", "ckpt.index"))
  'the file size limit was reached: raise the limit (ulimit -f) or write elsewhere'
  """
  return OS_HINTS[e.errno] if isinstance(e, OSError) and e.errno in STORAGE_ERRNOS else None


def describe(e):
  """One-line message for an expected failure `e`; None when `e` is a bug (keep the traceback)."""
  if isinstance(e, UserError):
    return str(e)
  if isinstance(e, UnicodeDecodeError):
    return (f"input is not UTF-8 text ({e.reason} at byte {e.start}): "
            f"re-encode it as UTF-8 (e.g. iconv -t UTF-8)")
  if isinstance(e, OSError) and e.errno in OS_HINTS:
    where = e.filename if e.filename is not None else "output"
    return f"{where}: {e.strerror}: {OS_HINTS[e.errno]}"
  return None


def report(e, prog):
  """Prints the one-line message for an expected `e` and returns 1; re-raises a bug."""
  message = describe(e)
  if message is None:
    raise e
  print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
  return 1


def run_cli(main, prog):
  """`app.run(main)`, with expected failures reported by `report` (exit code 1)."""
  from absl import app  # absl only where a CLI runs

  def guarded(argv):
    try:
      return main(argv)
    except Exception as e:  # noqa: BLE001 -- report() re-raises anything unexpected
      return report(e, prog)

  app.run(guarded)
