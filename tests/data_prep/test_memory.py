"""Peak RSS does not grow with corpus size or dupe_factor (slow: runs the CLI 4 times)."""
import os
import shutil
import subprocess
import sys
import time

import psutil
import pytest

from albert_tf import resources

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _peak_rss_mb(input_file, out, dupe):
  cmd = [sys.executable, "-m", "data_prep.create_pretraining_data", f"--input_file={input_file}",
         f"--output_dir={out}", "--max_seq_length=128", f"--dupe_factor={dupe}",
         "--num_workers=2", "--num_output_shards=4", "--shuffle_buffer_mb=32"]
  proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
  root, peak = psutil.Process(proc.pid), 0
  while proc.poll() is None:
    total = 0
    for p in [root] + root.children(recursive=True):
      try:
        total += p.memory_info().rss
      except psutil.Error:
        pass
    peak = max(peak, total)
    time.sleep(0.02)
  assert proc.returncode == 0, proc.stderr.read().decode()
  return peak / 2**20


@pytest.mark.slow
def test_peak_rss_flat_in_corpus_size_and_dupe_factor(tmp_path):
  copies = []
  for i in range(4):
    copies.append(str(tmp_path / f"books-{i}.txt.gz"))
    shutil.copy(resources.DEFAULT_CORPUS, copies[-1])
  one = _peak_rss_mb(copies[0], tmp_path / "one", dupe=2)
  four = _peak_rss_mb(",".join(copies), tmp_path / "four", dupe=2)  # 4x the corpus
  dupe8 = _peak_rss_mb(copies[0], tmp_path / "dupe8", dupe=8)  # 4x the instances
  assert four < one * 1.25 + 30, (one, four)
  assert dupe8 < one * 1.25 + 30, (one, dupe8)
  assert max(one, four, dupe8) < 1024
