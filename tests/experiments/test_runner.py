"""The matrix machinery without TensorFlow: arm selection, resumable runs, failures, claims."""
import json
import os
import sys

import pytest

from experiments import arms as arms_lib
from experiments import report
from experiments import runner
from experiments.settings import MiniatureSettings


def test_every_claim_has_its_arms_and_dependencies_come_first():
  arms = arms_lib.build_arms(MiniatureSettings(), "/out")
  names = [a.name for a in arms]
  for arm in arms:
    for need in arm.needs:
      assert names.index(need) < names.index(arm.name), (need, arm.name)
  # a: sop vs random; b: sop/nsp/mlm_only; c: the four sharing modes — on every task.
  for encoder in ("random", "sop", "nsp", "mlm_only", "share_attention", "share_ffn",
                  "share_none"):
    for task in ("SST-2", "STS-B", "CoLA"):
      assert f"finetune/{encoder}/{task}" in names
  objectives = {a.name: a.command for a in arms if a.kind == "pretrain"}
  assert "--sentence_objective=nsp" in objectives["pretrain/nsp"]
  assert "--sentence_objective=none" in objectives["pretrain/mlm_only"]
  assert any("train_nsp" in c for c in objectives["pretrain/nsp"])


def test_pretraining_arms_share_one_budget():
  arms = [a for a in arms_lib.build_arms(MiniatureSettings(), "/out") if a.kind == "pretrain"]
  budget = lambda a: [c for c in a.command if c.split("=")[0] in (  # noqa: E731
      "--num_train_steps", "--train_batch_size", "--max_seq_length", "--learning_rate")]
  assert len({tuple(budget(a)) for a in arms}) == 1


def test_select_adds_what_an_arm_needs():
  arms = arms_lib.build_arms(MiniatureSettings.quick(), "/out")
  chosen = [a.name for a in arms_lib.select(arms, ["pretrain/nsp"])]
  assert chosen == ["text", "data/train_nsp", "data/heldout_nsp", "pretrain/nsp"]
  # A probe reads both pair types (train and held-out) whatever its arm was trained on.
  chosen = [a.name for a in arms_lib.select(arms, ["probe/sop"])]
  assert chosen == ["text", "data/train_sop", "data/train_nsp", "data/heldout_sop",
                    "data/heldout_nsp", "pretrain/sop", "probe/sop"]
  with pytest.raises(ValueError, match="probe/typo match no arm"):
    arms_lib.select(arms, ["probe/typo"])


def _arm(name, code):
  return arms_lib.Arm(name, "data", (sys.executable, "-c", code))


def test_finished_arms_are_skipped_and_failures_leave_no_marker(tmp_path, capsys):
  out = str(tmp_path)
  ok = _arm("a/ok", "print('hello')")
  bad = _arm("b/bad", "import sys; print('boom'); sys.exit(3)")
  with pytest.raises(runner.ArmFailed, match=r"(?s)arm b/bad failed \(exit 3\).*log: .*boom"):
    runner.run_all([ok, bad], out)
  assert runner.is_done(out, ok) and not runner.is_done(out, bad)
  with open(tmp_path / "a" / "ok" / runner.DONE_FILE) as f:
    assert json.load(f)["arm"] == "a/ok"
  capsys.readouterr()
  fixed = _arm("b/bad", "print('fixed')")
  assert list(runner.run_all([ok, fixed], out)) == ["b/bad"]   # ok is not rerun
  assert "1 already finished, 1 to run" in capsys.readouterr().out


def _finetune(root, encoder, task, metric, values):
  folder = os.path.join(root, "finetune", encoder, task)
  os.makedirs(folder)
  with open(os.path.join(folder, "results.json"), "w") as f:
    json.dump({"per_seed": [{"seed": i, "last": {metric: v}, "best": {metric: 1.0}}
                            for i, v in enumerate(values)]}, f)


def _probe(root, arm, params, mlm, head, majority=0.5, heldout=None):
  folder = os.path.join(root, "probe", arm)
  os.makedirs(folder)
  counts = {"num_examples": {p: {"heldout": heldout} for p in head}} if heldout else {}
  with open(os.path.join(folder, "probe.json"), "w") as f:
    json.dump({"parameters": params, "mlm_accuracy": mlm, "head": head,
               "linear": head, "majority": {"sop": majority, "nsp": majority}, **counts}, f)


def test_claims_follow_the_numbers(tmp_path):
  root = str(tmp_path)
  _finetune(root, "sop", "SST-2", "accuracy", [0.80, 0.82, 0.81, 0.83, 0.80])
  _finetune(root, "random", "SST-2", "accuracy", [0.70, 0.71, 0.69, 0.72, 0.70])
  # Better mean but one noisy seed: not significant → not reproduced.
  _finetune(root, "sop", "CoLA", "mcc", [0.30, 0.00, 0.31, 0.02, 0.29])
  _finetune(root, "random", "CoLA", "mcc", [0.10, 0.12, 0.11, 0.10, 0.12])
  _probe(root, "sop", 100, 0.30, {"sop": 0.80, "nsp": 0.70})
  _probe(root, "nsp", 100, 0.29, {"sop": 0.52, "nsp": 0.90})
  for arm, params, mlm in (("share_attention", 200, 0.33), ("share_ffn", 300, 0.31),
                           ("share_none", 400, 0.34)):
    _probe(root, arm, params, mlm, {"sop": 0.8, "nsp": 0.7})
  res = report.collect(root, arms_lib.build_arms(MiniatureSettings(), root))
  a, b, c = res["claims"]["a"], res["claims"]["b"], res["claims"]["c"]
  assert a["SST-2"]["reproduced"] and a["SST-2"]["welch"]["p_one_sided"] < 0.001
  assert a["CoLA"]["pretrained"] > a["CoLA"]["random"] and not a["CoLA"]["reproduced"]
  assert b["reproduced"] and b["nsp_head_on_sop_near_chance"]
  assert c["all_fewest_parameters"] and c["sharing_all_costs_mlm_accuracy"]
  assert c["ffn_costs_more_than_attention_mlm_accuracy"]
  md = report.markdown(res)
  assert "| SST-2 | accuracy | 81.2 ± 1.3 | 70.4 ± 1.1 |" in md


def test_nsp_head_that_solves_sop_is_not_the_paper_direction(tmp_path):
  root = str(tmp_path)
  _probe(root, "sop", 100, 0.3, {"sop": 0.80, "nsp": 0.70})
  _probe(root, "nsp", 100, 0.3, {"sop": 0.75, "nsp": 0.90})
  res = report.collect(root, [])
  assert not res["claims"]["b"]["reproduced"]


def test_error_bars_come_from_counts_and_seeds(tmp_path):
  root = str(tmp_path)
  _finetune(root, "sop", "SST-2", "accuracy", [0.80, 0.90])
  _finetune(root, "sop", "CoLA", "mcc", [0.20, 0.40])
  _probe(root, "sop", 100, 0.30, {"sop": 0.80, "nsp": 0.70}, heldout=100)
  _probe(root, "nsp", 100, 0.29, {"sop": 0.52, "nsp": 0.90})     # no counts: no SE
  os.makedirs(os.path.join(root, "data", "heldout_sop"))
  with open(os.path.join(root, "data", "heldout_sop", "stats.json"), "w") as f:
    json.dump({"masked_per_instance": 9.0}, f)
  res = report.collect(root, [])
  b = res["claims"]["b"]["arms"]
  assert b["sop"]["head_se"]["sop"] == pytest.approx(0.04)      # sqrt(.8 × .2 / 100)
  assert b["nsp"]["head_se"]["sop"] is None
  # Per-seed task averages 0.50 and 0.65 → std 0.106 (not the per-task stds).
  assert b["sop"]["downstream_std"] == pytest.approx(0.1060660, abs=1e-6)
  assert res["probe"]["sop"]["mlm_tokens_estimate"] == 900
  md = report.markdown(res)
  assert "| sop | 30.0 | 80.0 ± 4.0 | 70.0 ± 4.6 |" in md
  # Sharing: MLM 0.33 (all, 1,000 tokens) vs 0.34 (none): a cost, but within noise.
  for arm, mlm in (("share_attention", 0.33), ("share_ffn", 0.31), ("share_none", 0.34)):
    _probe(root, arm, 100, mlm, {"sop": 0.8, "nsp": 0.7}, heldout=100)
  c = report.collect(root, [])["claims"]["c"]
  assert c["sharing_all_costs_mlm_accuracy"]
  assert c["sharing_all_costs_mlm_accuracy_z"] == pytest.approx(
      0.04 / ((0.3 * 0.7 + 0.34 * 0.66) / 900) ** 0.5)
  assert "sharing_all_costs_mlm_accuracy: True (z = 1.8, within noise)" in report.markdown(
      report.collect(root, []))
  assert "| nsp | 29.0 | 52.0 | 90.0 |" in md
  for path in report.plots(res, root):
    assert os.path.getsize(path) > 1000
