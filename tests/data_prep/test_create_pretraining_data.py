"""The CLI: official flags, one-line errors, kill -9 + rerun == uninterrupted run."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.data_prep.conftest import write_corpus

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli(*args, **kw):
  return subprocess.run([sys.executable, "-m", "data_prep.create_pretraining_data", *args],
                        cwd=REPO, capture_output=True, text=True, timeout=300, **kw)


def _read_dir(folder):
  return {name: open(os.path.join(folder, name), "rb").read()
          for name in sorted(os.listdir(folder)) if name.endswith(".tfrecord")}


def test_official_flag_names_and_defaults():
  from data_prep import create_pretraining_data as cli
  from albert_tf import resources
  flags = cli.FLAGS
  expected = dict(max_seq_length=512, max_predictions_per_seq=20, masked_lm_prob=0.15,
                  dupe_factor=40, short_seq_prob=0.1, ngram=3, favor_shorter_ngram=True,
                  do_whole_word_mask=True, random_next_sentence=False, random_seed=12345,
                  do_lower_case=True, spm_model_file=resources.DEFAULT_SPM_MODEL,
                  input_file=resources.DEFAULT_CORPUS)
  for name, value in expected.items():
    assert flags[name].default == value, name
  for name in ("output_dir", "output_file", "num_workers", "num_output_shards", "input_format",
               "gzip", "do_permutation"):
    assert name in flags


@pytest.mark.parametrize("args,needle", [
    (["--input_file=/no/such/file.txt", "--output_dir={out}"], "/no/such/file.txt"),
    (["--input_file={corpus}", "--output_dir={out}", "--max_seq_length=3"], "max_seq_length"),
    (["--input_file={corpus}"], "output_dir"),
    (["--input_file={binary}", "--output_dir={out}"], "binary"),
])
def test_user_errors_are_one_line_without_traceback(args, needle, small_corpus, tmp_path):
  binary = tmp_path / "x.bin"
  binary.write_bytes(b"\x00" * 64)
  fmt = dict(out=tmp_path / "out", corpus=small_corpus, binary=binary)
  result = _cli(*[a.format(**fmt) for a in args])
  assert result.returncode == 1
  errors = [line for line in result.stderr.splitlines()
            if line.startswith("create_pretraining_data: error:")]
  assert len(errors) == 1 and needle in errors[0], result.stderr
  assert "Traceback" not in result.stderr


def test_kill_9_then_rerun_equals_uninterrupted_run(tmp_path, book_docs):
  corpus = write_corpus(tmp_path / "c.txt", book_docs * 3)  # 72 documents
  common = [f"--input_file={corpus}", "--max_seq_length=64", "--dupe_factor=30",
            "--num_output_shards=6", "--block_size_bytes=4000", "--num_workers=2",
            "--shuffle_buffer_mb=1"]  # small buffers: shards get bytes early, then grow
  reference = tmp_path / "ref"
  assert _cli(*common, f"--output_dir={reference}").returncode == 0
  killed = tmp_path / "killed"
  proc = subprocess.Popen([sys.executable, "-m", "data_prep.create_pretraining_data", *common,
                           f"--output_dir={killed}"], cwd=REPO, start_new_session=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  deadline = time.time() + 120
  while time.time() < deadline and proc.poll() is None:
    names = os.listdir(killed) if killed.exists() else []
    if any(".tmp-" in n for n in names) and os.path.getsize(
        [killed / n for n in names if ".tmp-" in n][0]) > 0:
      break
    time.sleep(0.02)
  assert proc.poll() is None, "finished before it could be killed; make the job bigger"
  os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers, all started by this test
  proc.wait()
  assert any(".tmp-" in n for n in os.listdir(killed))  # it really died mid-shard
  rerun = _cli(*common, f"--output_dir={killed}")
  assert rerun.returncode == 0, rerun.stderr
  assert _read_dir(killed) == _read_dir(reference)
  assert not [n for n in os.listdir(killed) if ".tmp-" in n]
