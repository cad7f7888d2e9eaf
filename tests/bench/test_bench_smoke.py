"""The benchmark scripts run end to end on a tiny config (numbers are not checked, only that
every system produces timed steps and the reports render)."""
import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(600)


def _run(args, cwd):
  res = subprocess.run([sys.executable] + args, capture_output=True, text=True, cwd=cwd)
  assert res.returncode == 0, res.stderr[-3000:]
  return res.stdout


@pytest.fixture
def repo(request):
  return str(request.config.rootpath)


def test_train_bench_interleaved_recompute_and_out_of_memory_rows(repo, tmp_path):
  out = tmp_path / "train.json"
  _run(["bench/train_bench.py", "--presets=albert_tiny", "--seqs=32", "--precisions=fp32",
        "--systems=ours,ours@recompute", "--rounds=1", "--steps_per_round=1", "--ceiling_n=256",
        f"--out={out}"], repo)
  rows = json.loads(out.read_text())["rows"]
  assert [r["system"] for r in rows] == ["ours", "ours@recompute"]
  assert all(r["steps_timed"] == 1 and r["seq_per_s"] > 0 for r in rows)
  assert "| albert_tiny T=32 B=16 fp32 | ours@recompute |" in _run(["bench/report.py", str(out)], repo)

  oom = tmp_path / "oom.json"
  _run(["bench/train_bench.py", "--presets=albert_tiny", "--seqs=32", "--precisions=fp32",
        "--systems=ours", "--rounds=1", "--steps_per_round=1", "--ceiling_n=256",
        "--rss_limit_gb=0.05", f"--out={oom}"], repo)
  row, = json.loads(oom.read_text())["rows"]
  assert row["error"].startswith("out of memory")
  assert "out of memory" in _run(["bench/report.py", str(oom)], repo)


def test_serving_bench_runs_every_system(repo, tmp_path):
  out = tmp_path / "serving.json"
  _run(["bench/serving_bench.py", "--preset=albert_tiny", "--batches=1", "--precisions=fp32",
        "--rounds=1", "--steps_per_round=1", f"--out={out}"], repo)
  rows = json.loads(out.read_text())["rows"]
  assert {r["system"] for r in rows} == {"ours", "hf", "tfm"}
  assert all(r["median_ms"] > 0 for r in rows)
