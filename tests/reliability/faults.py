"""Fault-injection tools shared by tests/reliability: the one-line error check, a full disk,
a read-only folder.

- `assert_one_line_error(result, prog, *words)`: exit code 1 (or `code`), no traceback, exactly
  one `PROG: error:` line on stderr, holding every word: what every CLI promises for an
  expected failure (albert_tf/errors.py).
- `file_size_limit(limit)`: a subprocess `preexec_fn` under which writes past `limit` bytes fail
  with EFBIG, which the programs treat like a full disk (ENOSPC); SIGXFSZ, which would kill the
  process instead, is ignored. `in_process_file_size_limit` does the same around a block.
- `read_only_folder(path)`: a folder nothing can be written to. Root ignores file modes, so as
  root it is a tmpfs mounted read-only (the test skips, naming why, where mounting is not
  permitted); otherwise mode 0555.
"""
import contextlib
import os
import pathlib
import resource
import signal
import subprocess

import pytest


def assert_one_line_error(result, prog, *words, code=1):
  """Asserts the CLI's one-line failure; returns the line."""
  assert result.returncode == code, (result.returncode, result.stdout[-2000:],
                                     result.stderr[-3000:])
  assert "Traceback" not in result.stderr, result.stderr[-3000:]
  lines = [line for line in result.stderr.splitlines() if line.startswith(f"{prog}: error:")]
  assert len(lines) == 1, result.stderr[-3000:]
  for word in words:
    assert word in lines[0], (word, lines[0])
  return lines[0]


def file_size_limit(limit):
  def preexec():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
  return preexec


@contextlib.contextmanager
def in_process_file_size_limit(limit):
  old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
  old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
  resource.setrlimit(resource.RLIMIT_FSIZE, (limit, old_limit[1]))
  try:
    yield
  finally:
    resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
    signal.signal(signal.SIGXFSZ, old_handler)


@contextlib.contextmanager
def read_only_folder(path):
  """Creates `path` (it must not exist); yields it (a pathlib.Path), read-only for the block."""
  path = pathlib.Path(path)
  path.mkdir()
  if os.geteuid() != 0:
    os.chmod(path, 0o555)
    try:
      yield path
    finally:
      os.chmod(path, 0o755)
    return
  mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(path)],
                           capture_output=True, text=True, check=False)
  if mounted.returncode != 0:
    pytest.skip(f"root without permission to mount a read-only tmpfs: {mounted.stderr[:200]}")
  try:
    yield path
  finally:
    subprocess.run(["umount", str(path)], check=False)
