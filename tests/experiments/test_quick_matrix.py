"""The whole paper-in-miniature matrix in --quick mode, through its CLI, then resumed."""
import json
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def _run(out):
  env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
  return subprocess.run([sys.executable, "-m", "experiments.paper_in_miniature", "--quick",
                         f"--output_dir={out}"], cwd=ROOT, env=env, capture_output=True,
                        text=True, timeout=1500)


def test_quick_matrix_runs_reports_and_resumes(tmp_path):
  out = tmp_path / "mini"
  first = _run(out)
  assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
  with open(out / "results.json") as f:
    res = json.load(f)
  # Every claim got its numbers from the arms that ran.
  assert set(res["finetune"]) == {"random", "sop", "nsp", "mlm_only", "share_attention",
                                  "share_ffn", "share_none"}
  assert all(len(t["values"]) == 2 for enc in res["finetune"].values() for t in enc.values())
  assert set(res["claims"]["a"]) == {"SST-2"} and res["claims"]["a"]["SST-2"]["welch"]
  assert set(res["claims"]["b"]["arms"]) == {"sop", "nsp", "mlm_only"}
  params = {m: r["parameters"] for m, r in res["claims"]["c"]["arms"].items()}
  # Sharing: all < attention-only, ffn-only < none (the blocks' own weights add up).
  assert params["all"] < min(params["attention"], params["ffn"]) <= max(
      params["attention"], params["ffn"]) < params["none"]
  # Periodic held-out evaluation: 20 steps, every 10 → eval points at 10 and 20.
  assert [r["step"] for r in res["pretrain"]["sop"]["eval_curve"]] == [10, 20]
  md = (out / "results.md").read_text()
  for heading in ("## a. Pretraining helps", "## b. Sentence objective", "## c. What to share"):
    assert heading in md
  for name in ("curves.png", "claim_a.png", "claim_b.png", "claim_c.png"):
    assert (out / name).stat().st_size > 1000
  # A second sitting finds everything finished and only rewrites the report.
  again = _run(out)
  assert again.returncode == 0, again.stderr[-3000:]
  assert "0 to run" in again.stdout
