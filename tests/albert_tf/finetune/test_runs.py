"""End-to-end runs of run_classifier / run_squad / run_race on albert_tiny (a few steps each)."""
import json
import os
import subprocess
import sys

import pytest

from albert_tf.finetune import encoders, hparams, runner
from albert_tf.finetune.tasks import glue_task, race_task, squad_task

TESTDATA = os.path.join(os.path.dirname(__file__), "..", "..", "testdata")
TINY_SQUAD = os.path.join(TESTDATA, "squad_samples", "dev-v1.1-tiny.json")
TINY_SPEC = dict(preset="albert_tiny", albert_dropout=0.0)


def _sst_dir(tmp_path):
  """A trivially learnable SST-2-layout task: "great ..." → 1, "awful ..." → 0."""
  rows = ["sentence\tlabel"]
  for i in range(16):
    rows.append(f"great great fun {i}\t1" if i % 2 else f"awful awful bore {i}\t0")
  for name in ("train.tsv", "dev.tsv"):
    (tmp_path / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
  return str(tmp_path)


def test_classifier_lowers_loss_and_reports_seeds(tmp_path):
  # Full batch (16 examples), no warmup: 10 steps of AdamW at 3e-3 take the loss from
  # ln 2 ≈ 0.693 to ≈ 0.07–0.16 (seeds 0, 1) on 2 CPU cores.
  hp = hparams.HParams(learning_rate=3e-3, batch_size=16, train_steps=10, warmup_steps=0,
                       max_seq_length=16)
  config = glue_task.GlueConfig(
      task="SST-2", data_dir=_sst_dir(tmp_path), output_dir=str(tmp_path / "out"),
      encoder=encoders.EncoderSpec(**TINY_SPEC), hparams=hp, seeds=(0, 1), eval_every=5,
      log_every=0)
  results = runner.run(config)
  with open(tmp_path / "out" / "results.json") as f:
    assert json.load(f)["summary"] == results["summary"]
  assert results["seeds"] == [0, 1] and len(results["per_seed"]) == 2
  for run in results["per_seed"]:
    assert run["last_train_loss"] < 0.6 * run["first_train_loss"]
    assert os.path.exists(tmp_path / "out" / f"seed_{run['seed']}" / "best" / "ckpt.index")
  accs = [r["best"]["accuracy"] for r in results["per_seed"]]
  summary = results["summary"]["best"]["accuracy"]
  assert summary["n"] == 2 and summary["best"] == max(accs)
  assert summary["mean"] == pytest.approx(sum(accs) / 2)
  assert summary["std"] == pytest.approx(abs(accs[0] - accs[1]) / 2)
  assert summary["median"] == pytest.approx(sum(accs) / 2)
  with open(tmp_path / "out" / "seed_0" / "eval_history.jsonl") as f:
    assert [json.loads(line)["step"] for line in f] == [5, 10]


def test_stsb_regression_head(tmp_path):
  src = os.path.join(TESTDATA, "glue_samples", "STS-B")
  hp = hparams.HParams(learning_rate=1e-3, batch_size=4, train_steps=2, warmup_steps=0,
                       max_seq_length=32)
  config = glue_task.GlueConfig(
      task="sts-b", data_dir=src, output_dir=str(tmp_path), hparams=hp,
      encoder=encoders.EncoderSpec(**TINY_SPEC), log_every=0, save_checkpoints=False)
  results = runner.run(config)
  assert set(results["per_seed"][0]["best"]) >= {"pearson", "spearman"}
  assert results["primary_metric"] == "pearson"


def _squad_config(tmp_path, version, train_file, **kw):
  hp = hparams.HParams(learning_rate=1e-3, batch_size=8, train_steps=4, warmup_steps=0,
                       max_seq_length=96)
  return squad_task.SquadConfig(
      version=version, output_dir=str(tmp_path / "out"), hparams=hp,
      encoder=encoders.EncoderSpec(**TINY_SPEC), train_file=train_file,
      predict_file=train_file, doc_stride=48, max_train_examples=24,
      max_predict_examples=12, log_every=0, **kw)


def test_squad_v11_end_to_end_and_predict_only(tmp_path):
  results = runner.run(_squad_config(tmp_path, "1.1", TINY_SQUAD))
  with open(tmp_path / "out" / "predictions.json") as f:
    predictions = json.load(f)
  assert len(predictions) == 12 and all(isinstance(v, str) for v in predictions.values())
  last = results["per_seed"][0]["last"]
  # Plumbing only: that fine-tuning learns is checked in test_learnable.py.
  assert last["total"] == 12 and last["exact_match"] <= last["f1"]
  # Predict-only from the fine-tuned checkpoint gives the same answers.
  again = _squad_config(tmp_path, "1.1", None, finetuned_checkpoint=str(
      tmp_path / "out" / "seed_0" / "last" / "ckpt"))
  again.predict_file, again.output_dir = TINY_SQUAD, str(tmp_path / "predict_only")
  runner.run(again)
  with open(tmp_path / "predict_only" / "predictions.json") as f:
    assert json.load(f) == predictions


def test_squad_v20_writes_null_odds(tmp_path):
  with open(TINY_SQUAD) as f:
    data = json.load(f)
  data["version"] = "v2.0"
  for i, qa in enumerate(qa for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]):
    if i % 3 == 0:
      qa["is_impossible"], qa["answers"] = True, []
  path = tmp_path / "v2.json"
  path.write_text(json.dumps(data))
  results = runner.run(_squad_config(tmp_path, "2.0", str(path)))
  out = tmp_path / "out"
  with open(out / "null_odds.json") as f:
    null_odds = json.load(f)
  with open(out / "predictions.json") as f:
    predictions = json.load(f)
  assert set(null_odds) == set(predictions) and len(predictions) == 12
  last = results["per_seed"][0]["last"]
  assert {"exact", "f1", "HasAns_f1", "NoAns_f1", "best_f1", "best_f1_thresh"} <= set(last)


def test_race_end_to_end(tmp_path):
  race = os.path.join(TESTDATA, "race_tiny.json")
  hp = hparams.HParams(learning_rate=1e-3, batch_size=2, train_steps=3, warmup_steps=0,
                       max_seq_length=48)
  config = race_task.RaceConfig(
      train_file=race, eval_file=race, output_dir=str(tmp_path), hparams=hp,
      encoder=encoders.EncoderSpec(**TINY_SPEC), max_qa_length=16, log_every=0,
      save_checkpoints=False)
  results = runner.run(config)
  assert results["num_train_examples"] == 3
  # Scored over the 3 questions (a multiple of 1/3); learning: test_learnable.py.
  correct = results["per_seed"][0]["last"]["accuracy"] * 3
  assert abs(correct - round(correct)) < 1e-6


def test_cli_unknown_task_lists_known_ones(tmp_path):
  proc = subprocess.run(
      [sys.executable, "-m", "albert_tf.finetune.run_classifier", "--task=SQuAD",
       f"--data_dir={tmp_path}", f"--output_dir={tmp_path}"],
      capture_output=True, text=True, timeout=300,
      env={**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"})
  assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
  assert ("run_classifier: error: --task='SQuAD' is unknown: choose one of CoLA, SST-2, MRPC"
          in proc.stderr)


def test_squad_realigned_and_missing_answers_are_printed_and_in_the_stats(tmp_path, capsys):
  context = "The cat sat on the mat. The mat was red."
  qas = [{"id": "moved", "question": "What?", "answers": [{"text": "mat was",
                                                           "answer_start": 20}]},
         {"id": "gone", "question": "Where?", "answers": [{"text": "sofa", "answer_start": 3}]},
         {"id": "ok", "question": "Who?", "answers": [{"text": "cat", "answer_start": 4}]}]
  path = tmp_path / "train.json"
  path.write_text(json.dumps({"data": [{"paragraphs": [{"context": context, "qas": qas}]}]}))
  task = squad_task.SquadTask(squad_task.SquadConfig(
      version="1.1", train_file=str(path), output_dir=str(tmp_path), encoder=None))
  assert [e.qas_id for e in task.read_split("train")] == ["moved", "ok"]
  assert f"{path}: 1 answer(s) re-aligned" in capsys.readouterr().err
  stats = task.describe(None)["stats"]     # results.json's "stats"
  assert stats["answer_start_realigned"] == 1 and stats["answer_not_found"] == 1
