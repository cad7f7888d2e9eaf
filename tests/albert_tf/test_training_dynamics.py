"""Training dynamics: our trainer vs HF `AlbertForPreTraining` in torch, step by step (slow).

Forward parity (tests/albert_tf/checkpoints) says nothing about the backward pass. Here both
sides start from the same weights (ours → HF with the project's converter), see the same 100
batches of real text (the trainer's own input_pipeline call, replayed) and take the same
official AdamW steps with dropout 0:

  ours    `python run_pretraining.py --optimizer=adamw --deterministic --iterations_per_loop=1`
          (public CLI; metrics.jsonl has every step's loss; the final checkpoint is converted
          back to HF names with albert_tf.checkpoints.converter)
  theirs  tests/albert_tf/torch_reference.py: the official loss and AdamW written out in torch,
          gradients by autograd (so our hand-written GELU gradient, the global-denominator
          loss and the dense tied-embedding gradient are all checked against autograd)

Measured (AMD EPYC, 2 cores, 37 s unloaded): loss 11.02 → 5.96, max relative loss difference
2.3e-6 over the 100 steps, max |Δw| 1.7e-5 (word embeddings) with weights moved up to 0.26.
The issue asks for ≤ 1e-3 on both; we assert tighter bounds, ~40× and ~12× the measured
deviations, because at 1e-3 some real bugs pass. Deliberate breakages (max rel loss diff /
max |Δw|): GELU gradient × 1.01: 1.6e-4 / 1.1e-2 (fails); × 1.001: 1.7e-5 / 1.0e-3 (fails);
MLM loss normalised by the batch size instead of Σw: 3.8e-2 / 0.16 (fails); weight decay on
LayerNorm too: 5.7e-5 / 5.2e-4 (fails, on weights only). Dropping the +1e-5 of the MLM
denominator changes nothing measurable (Σw ≈ 70 per batch: a 1.4e-7 relative change, below
float32 noise); it matters only for a batch without masked positions.

Run: nice python -m pytest -p no:xdist -q -m slow tests/albert_tf/test_training_dynamics.py -s
"""
import gzip
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from albert_tf import configs, input_pipeline, losses, resources  # noqa: E402
from albert_tf.checkpoints import converter, hf, ours  # noqa: E402
from albert_tf.pretrainer import AlbertPretrainer  # noqa: E402
from tests.albert_tf import torch_reference  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, PYTHONPATH=REPO, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
SEQ, PREDS, BATCH, SEED = 64, 10, 8, 12345
STEPS, WARMUP, LR = 100, 10, 1e-3
CORPUS_LINES = 400  # the first ~400 sentences of the shipped books → ~300 records at T=64
MODEL = configs.AlbertConfig(
    vocab_size=30000, embedding_size=32, hidden_size=64, num_hidden_layers=2,
    num_attention_heads=2, intermediate_size=128, max_position_embeddings=SEQ, hidden_act="gelu",
    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, share_parameters="all")
LOSS_RTOL, WEIGHT_ATOL = 1e-4, 2e-4  # the bar is 1e-3 for both; see above


def _run(args, timeout):
  proc = subprocess.run(args, capture_output=True, text=True, env=ENV, cwd=REPO, timeout=timeout)
  assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
  return proc.stdout


def _make_records(tmp):
  text = tmp / "books.txt"
  with gzip.open(resources.DEFAULT_CORPUS, "rt", encoding="utf-8") as f:
    text.write_text("".join(next(f) for _ in range(CORPUS_LINES)), encoding="utf-8")
  _run([sys.executable, "-m", "data_prep.create_pretraining_data", f"--input_file={text}",
        f"--output_dir={tmp}/data", f"--max_seq_length={SEQ}", f"--max_predictions_per_seq={PREDS}",
        "--dupe_factor=2", "--num_output_shards=2", "--num_workers=1", "--random_seed=7"],
       timeout=300)
  return f"{tmp}/data/*.tfrecord"


def _replay_batches(input_file):
  """The trainer's batch sequence: its data feed's make_dataset call, under the same global
  seed (the trainer calls tf_keras.utils.set_random_seed(seed); tf.data op seeds pair with it)."""
  import tf_keras  # pylint: disable=import-outside-toplevel
  tf_keras.utils.set_random_seed(SEED)
  dataset = input_pipeline.make_dataset(input_file, SEQ, PREDS, BATCH, is_training=True,
                                        seed=SEED)
  return [{k: v.numpy() for k, v in batch.items()} for batch in dataset.take(STEPS)]


def _our_loss(model, batch):
  outputs = model({k: batch[k] for k in ("input_word_ids", "input_mask", "input_type_ids",
                                         "masked_lm_positions")}, training=False)
  return float(losses.pretraining_losses(outputs, batch)["loss"])


def _excluded_by_our_names(model):
  """HF names of the variables whose OUR name the official exclusion regexes match."""
  return {e.name for e in hf.hf_entries(model)
          if any(re.search(p, e.variable.name)
                 for p in torch_reference.EXCLUDE_FROM_WEIGHT_DECAY)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
  start = time.time()
  tmp = tmp_path_factory.mktemp("dynamics")
  input_file = _make_records(tmp)
  config_file = tmp / "albert_config.json"
  MODEL.to_json_file(str(config_file))

  # Shared initial weights: ours (trainer's --init_checkpoint) → HF directory (torch).
  import tf_keras  # pylint: disable=import-outside-toplevel
  tf_keras.utils.set_random_seed(0)
  init_model = AlbertPretrainer(MODEL).ensure_built()
  init_prefix = ours.save_ours(init_model, str(tmp / "init"))
  converter.convert_checkpoint("ours", "hf", init_prefix, str(tmp / "init_hf"), config=MODEL)

  out_dir = tmp / "trainer"
  _run([sys.executable, "run_pretraining.py", f"--albert_config_file={config_file}",
        f"--input_file={input_file}", f"--output_dir={out_dir}", f"--init_checkpoint={init_prefix}",
        f"--max_seq_length={SEQ}", f"--max_predictions_per_seq={PREDS}",
        f"--train_batch_size={BATCH}", "--optimizer=adamw", f"--learning_rate={LR}",
        f"--num_train_steps={STEPS}", f"--num_warmup_steps={WARMUP}", "--iterations_per_loop=1",
        f"--save_checkpoints_steps={STEPS}", "--deterministic", f"--seed={SEED}"], timeout=900)
  with open(out_dir / "metrics.jsonl", encoding="utf-8") as f:
    records = [json.loads(line) for line in f if line.strip()]
  ours_losses = {r["step"]: r["loss"] for r in records if r["kind"] == "train"}
  final_hf = converter.convert_checkpoint("ours", "hf", str(out_dir / f"ckpt-{STEPS}"),
                                          str(tmp / "final_hf"), config=MODEL)

  batches = _replay_batches(input_file)
  theirs = torch_reference.load_model(str(tmp / "init_hf"))
  optimizer = torch_reference.OfficialAdamW(theirs.named_parameters(), LR, STEPS, WARMUP)
  theirs_losses = torch_reference.train(theirs, batches, optimizer)
  return {"ours_losses": [ours_losses[s] for s in sorted(ours_losses)],
          "theirs_losses": theirs_losses, "batches": batches, "init_model": init_model,
          "ours_final": hf.read_state_dict(final_hf), "theirs": theirs,
          "optimizer": optimizer, "start": start}


@pytest.mark.slow
def test_replayed_first_batch_is_the_trainers(runs):
  # Our model, our loss, the initial weights, the replayed batch 1 → the trainer's step-1 loss.
  # Agreement to float32 rounding means the torch side is fed the trainer's batch sequence.
  replayed = _our_loss(runs["init_model"], runs["batches"][0])
  assert abs(replayed - runs["ours_losses"][0]) <= 1e-5 * runs["ours_losses"][0], (
      replayed, runs["ours_losses"][0])
  assert runs["batches"][0]["masked_lm_weights"].sum() > 0


@pytest.mark.slow
def test_weight_decay_exclusions_agree(runs):
  # The reference decides by HF names; the trainer by ours. Both must pick the same variables.
  names = {e.name for e in hf.hf_entries(runs["init_model"])}
  excluded_theirs = set(runs["optimizer"].params) - runs["optimizer"].decayed
  assert set(runs["optimizer"].params) == names
  assert excluded_theirs == _excluded_by_our_names(runs["init_model"])


@pytest.mark.slow
def test_loss_curves_and_final_weights_agree(runs):
  ours_l, theirs_l = np.array(runs["ours_losses"]), np.array(runs["theirs_losses"])
  assert len(ours_l) == len(theirs_l) == STEPS
  rel = np.abs(ours_l - theirs_l) / np.abs(theirs_l)
  theirs_state = {k: v.detach().numpy() for k, v in runs["theirs"].state_dict().items()}
  tied = {"predictions.decoder.weight", "predictions.decoder.bias"}  # compared via their sources
  assert set(runs["ours_final"]) == set(theirs_state) - tied
  diffs = {k: float(np.max(np.abs(v - theirs_state[k]))) for k, v in runs["ours_final"].items()}
  moved = {k: float(np.max(np.abs(v - theirs_state[k]))) for k, v in
           hf.state_dict_from_ours(runs["init_model"], include_tied=False).items()}
  worst = max(diffs, key=diffs.get)
  cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True,
                       text=True).stdout.split(":")[-1].strip()
  print(f"\ntraining dynamics, {STEPS} steps, batch {BATCH}, T={SEQ}, AdamW lr {LR}: loss "
        f"{theirs_l[0]:.4f} → {theirs_l[-1]:.4f}; max rel loss diff {rel.max():.2e} (step "
        f"{rel.argmax() + 1}); max |Δw| {diffs[worst]:.2e} ({worst}); weights moved up to "
        f"{max(moved.values()):.3f}; wall {time.time() - runs['start']:.0f} s on {cpu} "
        f"({os.cpu_count()} cores)")
  assert theirs_l[-1] < theirs_l[0] - 1.0  # it trained: the comparison is not of two idle runs
  assert max(moved.values()) > 0.05
  assert rel.max() <= LOSS_RTOL, list(zip(range(1, STEPS + 1), rel.round(6)))
  assert diffs[worst] <= WEIGHT_ATOL, sorted(diffs.items(), key=lambda kv: -kv[1])[:5]
