"""Fault injection for the data_prep CLIs (issue 13): every failure ends cleanly.

Each test runs a CLI as a user would (a subprocess, `python -m ...`), breaks something —
kills a worker or the main process, presses Ctrl-C, truncates or corrupts an input, fills
the disk, puts a file where the output folder goes — and checks the exit code, the one-line
message (`PROG: error: ...` naming the file or flag, no traceback), that no process is left
behind and that nothing looks complete that is not: no shard, no completion marker, no
stats.json, no temporary file.
"""
import gzip
import os
import re
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.reliability import faults

from albert_tf import resources
from tests.data_prep.conftest import _first_documents, write_corpus

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_USE_LEGACY_KERAS": "1"}
# Small and quick; every option that a resumed run must repeat is here.
COMMON = ["--max_seq_length=64", "--num_output_shards=3", "--block_size_bytes=4000",
          "--num_workers=2", "--shuffle_buffer_mb=1", "--log_every_seconds=1000"]


@pytest.fixture(scope="module")
def docs():
  return _first_documents(24, 40)


@pytest.fixture
def corpus(tmp_path, docs):
  return write_corpus(tmp_path / "corpus.txt", docs)


def _run(module, *args, **kw):
  return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=ENV,
                        capture_output=True, text=True, timeout=300, **kw)


def _prep(*args, **kw):
  return _run("data_prep.create_pretraining_data", *args, **kw)




def assert_nothing_complete(out):
  """No shard, marker, stats.json or temporary file in output folder `out` (if it exists)."""
  if not os.path.exists(out):
    return
  names = os.listdir(out)
  assert not [n for n in names if ".tfrecord" in n or n == "stats.json" or ".tmp-" in n], names
  markers = os.path.join(out, ".data_prep")
  assert not (os.path.isdir(markers) and os.listdir(markers)), os.listdir(markers)


def _shards(out):
  return {n: open(os.path.join(out, n), "rb").read()
          for n in sorted(os.listdir(out)) if n.endswith(".tfrecord")}


# ---- processes: a worker killed, the main process killed, Ctrl-C -------------------------

def _as_from_a_terminal():
  """Default SIGINT handling, as a shell gives a foreground command: pytest-xdist's workers
  ignore SIGINT, and a program started with SIGINT ignored keeps ignoring it (the Unix
  convention for background jobs, which Python follows)."""
  signal.signal(signal.SIGINT, signal.SIG_DFL)


class _LongRun:
  """create_pretraining_data on a job that takes far longer than the test waits."""

  def __init__(self, tmp_path, docs):
    corpus = write_corpus(tmp_path / "long.txt", docs * 3)
    self.out = str(tmp_path / "out")
    # Its own session: the test can signal the whole group, and clean up whatever it left.
    self.proc = subprocess.Popen(
        [sys.executable, "-m", "data_prep.create_pretraining_data", f"--input_file={corpus}",
         f"--output_dir={self.out}", "--dupe_factor=400", *COMMON],
        cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=_as_from_a_terminal)

  def wait_for_workers(self, n=2, timeout=60):
    """The worker pids, once `n` workers run and have opened their temporary shards."""
    main = psutil.Process(self.proc.pid)
    deadline = time.time() + timeout
    while time.time() < deadline:
      assert self.proc.poll() is None, self.proc.stderr.read()
      children = main.children(recursive=True)
      tmp = [n for n in os.listdir(self.out) if ".tmp-" in n] if os.path.isdir(self.out) else []
      if len(children) >= n and len(tmp) >= 3:
        return [c.pid for c in children]
      time.sleep(0.05)
    raise AssertionError("workers did not start")

  def finish(self, timeout):
    """(exit code, stderr); fails if the run is not over within `timeout` seconds."""
    try:
      _, err = self.proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
      self.kill_all()
      raise AssertionError(f"still running {timeout} s after the fault (a hang)") from None
    return self.proc.returncode, err

  def kill_all(self):
    try:
      os.killpg(self.proc.pid, signal.SIGKILL)
    except ProcessLookupError:
      pass
    self.proc.communicate()


def _alive(pids):
  """The pids that still run (a zombie waiting for its reaper does not count)."""
  out = []
  for pid in pids:
    try:
      if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        out.append(pid)
    except psutil.NoSuchProcess:
      pass
  return out


def _wait_gone(pids, timeout):
  deadline = time.time() + timeout
  while _alive(pids) and time.time() < deadline:
    time.sleep(0.05)
  return _alive(pids)


@pytest.fixture
def long_run(tmp_path, docs):
  run = _LongRun(tmp_path, docs)
  yield run
  if run.proc.poll() is None:
    run.kill_all()


def test_killed_worker_ends_the_run_within_seconds(long_run):
  workers = long_run.wait_for_workers()
  os.kill(workers[-1], signal.SIGKILL)  # what the OOM killer does
  code, err = long_run.finish(timeout=20)
  result = subprocess.CompletedProcess([], code, "", err)
  faults.assert_one_line_error(result, "create_pretraining_data", "worker", "SIGKILL", "rerun")
  assert not _wait_gone(workers, 5)
  assert_nothing_complete(long_run.out)


def test_killed_main_process_leaves_no_worker_running(long_run):
  workers = long_run.wait_for_workers()
  os.kill(long_run.proc.pid, signal.SIGKILL)  # the main process only, not its group
  long_run.proc.wait()
  assert not _wait_gone(workers, 10), "workers outlived the main process"
  # The workers were told to stop (SIGTERM) and deleted their temporary shards.
  assert_nothing_complete(long_run.out)


def _ignores_sigint(pid):
  """Whether process `pid` ignores SIGINT (Linux: the SigIgn mask in /proc/PID/status)."""
  with open(f"/proc/{pid}/status", encoding="ascii") as f:
    mask = next(int(l.split()[1], 16) for l in f if l.startswith("SigIgn:"))
  return bool(mask & (1 << (signal.SIGINT - 1)))


@pytest.mark.parametrize("target", ["group", "main"])
def test_ctrl_c_stops_everything_with_one_message(long_run, target):
  workers = long_run.wait_for_workers()
  # Ctrl-C reaches every process of the group: workers leave it to the main process (a
  # worker's KeyboardInterrupt would print a traceback, more or less of it, racing its stop).
  assert all(_ignores_sigint(pid) for pid in workers)
  if target == "group":
    os.killpg(long_run.proc.pid, signal.SIGINT)  # Ctrl-C in a terminal
  else:
    os.kill(long_run.proc.pid, signal.SIGINT)
  code, err = long_run.finish(timeout=20)
  assert code == 130, err
  assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
  # Only log lines (absl: I/W/E + date) and the one message; nothing from the workers.
  others = [l for l in err.splitlines() if not re.match(r"[IWE]\d{4} ", l)]
  assert others == ["create_pretraining_data: interrupted: workers stopped, unfinished shards "
                    "not marked complete; rerun the same command to resume"], err
  assert not _wait_gone(workers, 5)
  assert_nothing_complete(long_run.out)


# ---- bad input ----------------------------------------------------------------------------

def test_truncated_gz_input_is_named_and_nothing_is_complete(tmp_path, corpus, docs):
  full = gzip.compress(("\n\n".join("\n".join(d) for d in docs * 4) + "\n").encode())
  cut = tmp_path / "cut.txt.gz"
  cut.write_bytes(full[:len(full) * 2 // 3])
  out = tmp_path / "out"
  result = _prep(f"--input_file={corpus},{cut}", f"--output_dir={out}", "--dupe_factor=2",
                 *COMMON)
  faults.assert_one_line_error(result, "create_pretraining_data", str(cut), "truncated")
  assert_nothing_complete(out)


@pytest.mark.parametrize("kind", ["truncated", "garbage", "vocab", "missing", "directory"])
def test_bad_sentencepiece_model_is_named_with_what_to_give(tmp_path, corpus, kind):
  model = tmp_path / "m.model"
  data = open(resources.DEFAULT_SPM_MODEL, "rb").read()
  if kind == "truncated":
    model.write_bytes(data[:len(data) // 2])
  elif kind == "garbage":
    model.write_bytes(os.urandom(5000))
  elif kind == "vocab":
    model = tmp_path / "30k.vocab"
    model.write_bytes(open(resources.DEFAULT_SPM_MODEL[:-len("model")] + "vocab", "rb").read())
  elif kind == "directory":
    model.mkdir()
  out = tmp_path / "out"
  result = _prep(f"--input_file={corpus}", f"--output_dir={out}", f"--spm_model_file={model}",
                 "--dupe_factor=1", *COMMON)
  line = faults.assert_one_line_error(result, "create_pretraining_data", str(model))
  assert ".model" in line.split(str(model), 1)[1]  # says what to give instead
  assert not out.exists()  # checked before anything is written


@pytest.mark.parametrize("content,reason", [
    (b"", "holds no text"),
    (b"\n\n   \n\n", "holds no text"),
    (b"\x00\x01\x02binary\x00" * 100, "look binary"),
    ("\u0301\u0301\n\u0301\n".encode(), "has a token"),
])
def test_input_without_instances_is_an_error_and_nothing_is_complete(tmp_path, content, reason):
  p = tmp_path / "in.txt"
  p.write_bytes(content)
  out = tmp_path / "out"
  result = _prep(f"--input_file={p}", f"--output_dir={out}", "--dupe_factor=1", *COMMON)
  faults.assert_one_line_error(result, "create_pretraining_data", "no instance", reason)
  assert_nothing_complete(out)


def test_input_glob_that_matches_nothing(tmp_path):
  pattern = str(tmp_path / "nothing-*.txt")
  result = _prep(f"--input_file={pattern}", f"--output_dir={tmp_path / 'out'}")
  faults.assert_one_line_error(result, "create_pretraining_data", pattern, "matches no file")


def test_non_utf8_input_names_file_and_line(tmp_path, corpus):
  p = tmp_path / "latin1.txt"
  p.write_bytes("First sentence.\nSecond one.\n\nCaf\u00e9 au lait.\n".encode("latin-1"))
  out = tmp_path / "out"
  result = _prep(f"--input_file={corpus},{p}", f"--output_dir={out}", "--dupe_factor=1",
                 *COMMON)
  faults.assert_one_line_error(result, "create_pretraining_data", str(p), "line 4", "UTF-8",
                               "--invalid_utf8=replace")
  assert_nothing_complete(out)
  again = _prep(f"--input_file={corpus},{p}", f"--output_dir={out}", "--dupe_factor=1",
                "--invalid_utf8=replace", *COMMON)
  assert again.returncode == 0, again.stderr[-3000:]


# ---- reruns -------------------------------------------------------------------------------

def test_rerun_after_input_changed_redoes_shards(tmp_path, corpus):
  out, fresh = tmp_path / "out", tmp_path / "fresh"
  args = ["--dupe_factor=2", *COMMON]
  assert _prep(f"--input_file={corpus}", f"--output_dir={out}", *args).returncode == 0
  before = _shards(out)
  # Same size and mtime, other content: only the content hash can tell.
  st = os.stat(corpus)
  text = open(corpus, encoding="utf-8").read()
  open(corpus, "w", encoding="utf-8").write(text.replace(" the ", " cat "))  # (lowercased)
  os.utime(corpus, ns=(st.st_atime_ns, st.st_mtime_ns))
  assert os.path.getsize(corpus) == st.st_size
  rerun = _prep(f"--input_file={corpus}", f"--output_dir={out}", *args)
  assert rerun.returncode == 0, rerun.stderr[-3000:]
  assert "nothing to do" not in rerun.stderr and "redoing all 3 shards" in rerun.stderr
  assert _prep(f"--input_file={corpus}", f"--output_dir={fresh}", *args).returncode == 0
  assert _shards(out) == _shards(fresh) != before


def test_rerun_with_another_flag_is_refused_naming_it(tmp_path, corpus):
  out = tmp_path / "out"
  assert _prep(f"--input_file={corpus}", f"--output_dir={out}", "--dupe_factor=1",
               *COMMON).returncode == 0
  result = _prep(f"--input_file={corpus}", f"--output_dir={out}", "--dupe_factor=1",
                 "--masked_lm_prob=0.2", *COMMON)
  faults.assert_one_line_error(result, "create_pretraining_data", "--masked_lm_prob", str(out))


# ---- output: full disk, a file in the way, read-only --------------------------------------



def test_full_disk_fails_cleanly_and_a_rerun_with_space_finishes(tmp_path, corpus):
  out, reference = tmp_path / "out", tmp_path / "reference"
  args = [f"--input_file={corpus}", "--dupe_factor=2", *COMMON]
  assert _prep(*args, f"--output_dir={reference}").returncode == 0
  assert max(map(len, _shards(reference).values())) > 64 << 10
  result = _prep(*args, f"--output_dir={out}", preexec_fn=faults.file_size_limit(64 << 10))
  faults.assert_one_line_error(result, "create_pretraining_data", str(out), "File too large")
  assert_nothing_complete(out)
  rerun = _prep(*args, f"--output_dir={out}")
  assert rerun.returncode == 0, rerun.stderr[-3000:]
  assert _shards(out) == _shards(reference)


def test_output_dir_that_is_a_file(tmp_path, corpus):
  blocker = tmp_path / "taken"
  blocker.write_text("not a folder")
  for out in (blocker, blocker / "sub"):
    result = _prep(f"--input_file={corpus}", f"--output_dir={out}", "--dupe_factor=1", *COMMON)
    faults.assert_one_line_error(result, "create_pretraining_data", "--output_dir", str(blocker),
                                 "is a file")
  assert blocker.read_text() == "not a folder"


def test_output_file_that_is_a_directory(tmp_path, corpus):
  (tmp_path / "a.tfrecord").mkdir()
  result = _prep(f"--input_file={corpus}", f"--output_file={tmp_path / 'a.tfrecord'}",
                 "--dupe_factor=1")
  faults.assert_one_line_error(result, "create_pretraining_data", "--output_file",
                               str(tmp_path / "a.tfrecord"), "is a directory")


@pytest.fixture
def read_only_dir(tmp_path):
  with faults.read_only_folder(tmp_path / "ro") as folder:
    yield folder


def test_read_only_output_location(read_only_dir, corpus):
  out = read_only_dir / "out"
  result = _prep(f"--input_file={corpus}", f"--output_dir={out}", "--dupe_factor=1", *COMMON)
  faults.assert_one_line_error(result, "create_pretraining_data", str(out))
  assert not out.exists()


# ---- the other CLIs: stats, train_sentencepiece, beam_pipeline ----------------------------

@pytest.fixture(scope="module")
def shard(tmp_path_factory, docs):
  folder = tmp_path_factory.mktemp("stats")
  corpus = write_corpus(folder / "c.txt", docs[:8])
  out = folder / "out"
  assert _prep(f"--input_file={corpus}", f"--output_dir={out}", "--dupe_factor=1",
               "--max_seq_length=64", "--num_output_shards=1").returncode == 0
  return (out / "part-00000-of-00001.tfrecord").read_bytes()


@pytest.mark.parametrize("damage,needles", [
    ("truncate", ["truncated data", "byte offset"]),
    ("flip", ["bad data CRC", "record 3 at byte offset"]),
    ("gzip_truncate", ["gzip data is truncated"]),
    ("text", ["bad length CRC", "record 0 at byte offset 0"]),
])
def test_stats_names_file_and_offset_of_a_corrupt_record(tmp_path, shard, damage, needles):
  path = tmp_path / "x.tfrecord"
  data = bytearray(shard)
  if damage == "truncate":
    data = data[:len(data) - 100]
  elif damage == "flip":
    offset = 0
    for _ in range(3):  # the 4th record's data
      offset += 16 + int.from_bytes(data[offset:offset + 8], "little")
    data[offset + 20] ^= 0xFF
  elif damage == "gzip_truncate":
    path = tmp_path / "x.tfrecord.gz"
    compressed = gzip.compress(bytes(data))
    data = compressed[:len(compressed) // 2]
  else:
    data = b"one sentence per line.\n" * 10
  path.write_bytes(bytes(data))
  result = _run("data_prep.stats", str(path))
  faults.assert_one_line_error(result, "stats", str(path), *needles)
  assert result.stdout == ""  # no summary of a partial read


def test_stats_glob_that_matches_nothing(tmp_path):
  pattern = str(tmp_path / "part-*.tfrecord")
  faults.assert_one_line_error(_run("data_prep.stats", pattern), "stats", pattern,
                               "matches no file")


def test_train_sentencepiece_bad_input_leaves_no_model(tmp_path, corpus):
  prefix = tmp_path / "m"
  p = tmp_path / "latin1.txt"
  p.write_bytes(open(corpus, "rb").read() + "\n\nCaf\u00e9.\n".encode("latin-1"))
  result = _run("data_prep.train_sentencepiece", f"--input_file={p}",
                f"--model_prefix={prefix}", "--vocab_size=200", "--num_threads=1")
  faults.assert_one_line_error(result, "train_sentencepiece", str(p), "line", "UTF-8")
  result = _run("data_prep.train_sentencepiece", f"--input_file={tmp_path / 'no-*.txt'}",
                f"--model_prefix={prefix}", "--vocab_size=200")
  faults.assert_one_line_error(result, "train_sentencepiece", "no-*.txt", "matches no file")
  assert os.listdir(tmp_path) == sorted(os.listdir(tmp_path)) and not [
      n for n in os.listdir(tmp_path) if n.startswith("m.")]


def test_beam_pipeline_bad_model_is_one_line(tmp_path, corpus):
  model = tmp_path / "bad.model"
  model.write_bytes(open(resources.DEFAULT_SPM_MODEL, "rb").read()[:3000])
  result = _run("data_prep.beam_pipeline", "--runner=DirectRunner", f"--input_file={corpus}",
                f"--output_dir={tmp_path / 'beam'}", f"--spm_model_file={model}")
  faults.assert_one_line_error(result, "beam_pipeline", str(model), ".model")
  assert not (tmp_path / "beam").exists()


@pytest.mark.slow  # two whole Beam pipelines (~15 s on 2 cores)
def test_beam_pipeline_bad_input_is_one_line(tmp_path, docs):
  empty = tmp_path / "empty.txt"
  empty.write_text("\n\n")
  result = _run("data_prep.beam_pipeline", "--runner=DirectRunner", f"--input_file={empty}",
                f"--output_dir={tmp_path / 'beam'}", "--max_seq_length=64", "--dupe_factor=1",
                "--num_output_shards=2")
  faults.assert_one_line_error(result, "beam_pipeline", "no instance")
  assert not list((tmp_path / "beam").glob("part-*"))
  full = gzip.compress(("\n\n".join("\n".join(d) for d in docs * 4) + "\n").encode())
  cut = tmp_path / "cut.txt.gz"
  cut.write_bytes(full[:len(full) // 2])
  result = _run("data_prep.beam_pipeline", "--runner=DirectRunner", f"--input_file={cut}",
                f"--output_dir={tmp_path / 'beam2'}", "--max_seq_length=64", "--dupe_factor=1",
                "--num_output_shards=2")
  faults.assert_one_line_error(result, "beam_pipeline", str(cut), "truncated")
  assert not list((tmp_path / "beam2").glob("part-*"))
