"""Pretraining loop: loss definition, artifacts, accumulation, exact resume (SIGKILL), SIGTERM,
NaN stop."""
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from albert_tf import configs, losses, pretraining_loop
from albert_tf.configs import AlbertConfig, PretrainConfig
from tests.albert_tf.synthetic_records import write_records

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T, P, V = 16, 4, 60
MODEL = AlbertConfig.from_preset("albert_tiny").replace(vocab_size=V)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
  return write_records(str(tmp_path_factory.mktemp("rec")), num_files=2, per_file=48,
                       seq_len=T, num_preds=P, vocab_size=V)


def _config(records, out, **overrides):
  values = dict(model=MODEL, input_file=records, output_dir=str(out), max_seq_length=T,
                max_predictions_per_seq=P, train_batch_size=8, eval_batch_size=8,
                learning_rate=1e-3, num_train_steps=6, num_warmup_steps=2,
                save_checkpoints_steps=3, iterations_per_loop=2, max_eval_steps=3)
  values.update(overrides)
  return PretrainConfig(**values)


def checkpoint_arrays(prefix, model_only=False):
  reader = tf.train.load_checkpoint(prefix)
  return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()
          if (k.startswith("model/") or not model_only) and "iterator" not in k
          and "_CHECKPOINTABLE_OBJECT_GRAPH" not in k and "save_counter" not in k}


def max_diff(a, b):
  assert a.keys() == b.keys()
  return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in a)


def test_loss_equals_official_per_batch_loss(records):
  from albert_tf import input_pipeline
  from albert_tf.pretrainer import AlbertPretrainer
  batch = next(iter(input_pipeline.make_dataset(records, T, P, 8, is_training=False)))
  model = AlbertPretrainer(MODEL)
  denominators = losses.LossDenominators.of_batches([batch])
  outputs = model({k: batch[k] for k in pretraining_loop.MODEL_INPUTS})
  stats = losses.PretrainingStats.from_outputs(outputs, batch)
  loss, ours = stats.loss(denominators), stats.metrics()
  ref = losses.pretraining_losses(outputs, batch)
  for key in ("loss", "masked_lm_loss", "masked_lm_accuracy", "sentence_order_loss",
              "sentence_order_accuracy"):
    np.testing.assert_allclose(float(ours[key]), float(ref[key]), rtol=1e-6, err_msg=key)
  np.testing.assert_allclose(float(loss), float(ref["loss"]), rtol=1e-6)


def test_run_writes_artifacts_and_accumulation_matches(records, tmp_path):
  full = pretraining_loop.run(_config(records, tmp_path / "a", do_eval=True))
  accum = pretraining_loop.run(_config(records, tmp_path / "b", grad_accum_steps=2))
  assert full["status"] == "done" and full["step"] == 6
  out = tmp_path / "a"
  names = set(os.listdir(out))
  assert {"config.json", "albert_config.json", "metrics.jsonl", "loss_curve.png",
          "eval_results.txt", "train", "eval", "ckpt-3.index", "ckpt-6.index"} <= names
  saved = json.loads((out / "config.json").read_text())
  assert saved["albert_config"]["vocab_size"] == V
  assert saved["pretraining"]["train_batch_size"] == 8
  assert AlbertConfig.from_json_file(str(out / "albert_config.json")) == MODEL
  history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
  assert [h["step"] for h in history if h["kind"] == "train"] == [2, 3, 5, 6]
  for key in ("masked_lm_loss", "masked_lm_accuracy", "sentence_order_loss",
              "sentence_order_accuracy", "learning_rate", "examples_per_second"):
    assert np.isfinite(history[0][key]), key
  results = dict(line.split(" = ") for line in (out / "eval_results.txt").read_text().split("\n")
                 if line)
  assert results["global_step"] == "6" and float(results["num_examples"]) == 24
  assert os.listdir(out / "train")
  # 2 micro-batches of 4 = the same 8 examples, same global-denominator loss → same update.
  diff = max_diff(checkpoint_arrays(str(out / "ckpt-6"), model_only=True),
                  checkpoint_arrays(str(tmp_path / "b" / "ckpt-6"), model_only=True))
  assert diff < 1e-5


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_mixed_precision_trains(records, tmp_path, precision):
  summary = pretraining_loop.run(_config(records, tmp_path, mixed_precision=precision,
                                num_train_steps=2, iterations_per_loop=2))
  assert summary["step"] == 2
  history = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert np.isfinite(history[-1]["loss"])
  assert tf.keras.mixed_precision.global_policy().name == "float32"  # restored


def test_config_checks_precision_spellings_and_objectives(records, tmp_path):
  for name, policy in (("bfloat16", "mixed_bfloat16"), ("mixed_bfloat16", "mixed_bfloat16"),
                       ("float16", "mixed_float16"), ("mixed_float16", "mixed_float16")):
    assert configs.precision_policy(_config(records, tmp_path, mixed_precision=name).validate()
                                    .mixed_precision) == policy
  with pytest.raises(ValueError, match="mixed_precision='fp16'; choose one of float32, "):
    _config(records, tmp_path, mixed_precision="fp16").validate()
  with pytest.raises(ValueError, match="sentence_objective='mlm'; choose one of sop, nsp, none"):
    _config(records, tmp_path, sentence_objective="mlm").validate()
  with pytest.raises(ValueError, match="eval_every_steps=-1 must be ≥ 0"):
    _config(records, tmp_path, eval_every_steps=-1).validate()


def test_eval_only_restores_through_the_checkpoint_front_door(records, tmp_path):
  pretraining_loop.run(_config(records, tmp_path / "a", num_train_steps=2))
  again = pretraining_loop.run(_config(records, tmp_path / "a", do_train=False, do_eval=True))
  init = pretraining_loop.run(_config(records, tmp_path / "b", do_train=False, do_eval=True,
                                      init_checkpoint=str(tmp_path / "a" / "ckpt-2")))
  assert again["eval"]["global_step"] == 2 and init["eval"]["global_step"] == 0
  assert again["eval"]["masked_lm_loss"] == init["eval"]["masked_lm_loss"]
  with pytest.raises(ValueError, match="does not match the model"):  # strict: a wrong model
    pretraining_loop.run(_config(records, tmp_path / "c", do_train=False, do_eval=True,
                                 init_checkpoint=str(tmp_path / "a" / "ckpt-2"),
                                 model=MODEL.replace(num_hidden_layers=4, num_hidden_groups=2)))


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(records, tmp_path):
  # adamw in both runs: resuming with another optimizer is refused (issue 13).
  pretraining_loop.run(_config(records, tmp_path, num_train_steps=3, optimizer="adamw"))
  before = (tmp_path / "ckpt-3.data-00000-of-00001").read_bytes()
  with pytest.raises(pretraining_loop.NonFiniteLossError,
                     match=r"non-finite loss at step \d+; stopped without saving. Last good "
                           r"checkpoint: .*ckpt-3 \(step 3\)"):
    pretraining_loop.run(_config(records, tmp_path, optimizer="adamw", learning_rate=1e30,
                        num_warmup_steps=0, num_train_steps=40, save_checkpoints_steps=2))
  assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-3")
  assert (tmp_path / "ckpt-3.data-00000-of-00001").read_bytes() == before


# --- trainer options: sentence objective, periodic eval, gradient norm -------------------------
@pytest.fixture(scope="module")
def init_prefix(tmp_path_factory):
  """Random initial weights in our checkpoint format (what --init_checkpoint reads)."""
  from albert_tf.checkpoints import ours
  from albert_tf.pretrainer import AlbertPretrainer
  tf.keras.utils.set_random_seed(7)
  return ours.save_ours(AlbertPretrainer(MODEL).ensure_built(),
                        str(tmp_path_factory.mktemp("init")))


def _history(out):
  return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def _variables(prefix):
  reader = tf.train.load_checkpoint(prefix)
  return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()
          if k.startswith("model/") and "OPTIMIZER_SLOT" not in k}


def test_mlm_only_objective_with_periodic_eval(records, init_prefix, tmp_path):
  """sentence_objective=none: no sentence loss term (loss = MLM loss), the SOP head and the
  pooler keep their initial weights, no sentence metrics; eval every 2 steps → 2 points."""
  summary = pretraining_loop.run(_config(
      records, tmp_path, sentence_objective="none", init_checkpoint=init_prefix,
      num_train_steps=4, eval_every_steps=2, iterations_per_loop=4, save_checkpoints_steps=4,
      do_eval=True))
  history = _history(tmp_path)
  train = [h for h in history if h["kind"] == "train"]
  assert [h["step"] for h in train] == [2, 4]  # loops end at eval steps
  for h in train:
    assert h["loss"] == h["masked_lm_loss"] and "sentence_order_loss" not in h
    assert np.isfinite(h["grad_norm"]) and h["grad_norm"] > 0
  evals = [h for h in history if h["kind"] == "eval"]
  assert [h["step"] for h in evals] == [2, 4]  # the final do_eval is not repeated
  assert "sentence_order_accuracy" not in evals[0] and "sop_majority_accuracy" not in evals[0]
  assert evals[1]["masked_lm_loss"] != evals[0]["masked_lm_loss"]
  assert summary["eval"]["global_step"] == 4 and os.listdir(tmp_path / "eval")
  saved = json.loads((tmp_path / "config.json").read_text())["pretraining"]
  assert saved["sentence_objective"] == "none" and saved["eval_every_steps"] == 2
  before, after = _variables(init_prefix), _variables(str(tmp_path / "ckpt-4"))
  heads = [k for k in before if "sentence_order" in k or "pooler" in k]
  assert heads and all(np.array_equal(before[k], after[k]) for k in heads), heads
  moved = [k for k in before if not np.array_equal(before[k], after[k])]
  assert len(moved) == len(before) - len(heads)


@pytest.mark.parametrize("objective", ["sop", "none"])
def test_grad_norm_is_the_global_norm_of_the_summed_gradient(records, init_prefix, tmp_path,
                                                              objective):
  """One step (2 accumulated micro-batches) from known weights: the logged norm equals
  ‖∇ loss‖ computed by hand from the official per-batch loss (MLM only for `none`)."""
  from albert_tf import input_pipeline
  from albert_tf.checkpoints import ours
  from albert_tf.pretrainer import AlbertPretrainer
  pretraining_loop.run(_config(records, tmp_path, init_checkpoint=init_prefix,
                               sentence_objective=objective, num_train_steps=1,
                               num_warmup_steps=1, iterations_per_loop=1, grad_accum_steps=2))
  logged, = [h["grad_norm"] for h in _history(tmp_path)]
  model = AlbertPretrainer(MODEL).ensure_built()
  ours.load_ours(model, init_prefix)
  batch = next(iter(input_pipeline.make_dataset(records, T, P, 8, is_training=True,
                                                seed=_config(records, tmp_path).seed)))
  with tf.GradientTape() as tape:
    ref = losses.pretraining_losses(model(batch, training=True), batch)
    loss = ref["loss"] if objective == "sop" else ref["masked_lm_loss"]
  # Dense: the norm of IndexedSlices with repeated ids (the embedding gather) is not the
  # norm of the gradient. None: the SOP head and pooler under the MLM loss.
  grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, model.trainable_variables)
           if g is not None]
  np.testing.assert_allclose(logged, float(tf.linalg.global_norm(grads)), rtol=1e-5)


# --- process-level: SIGKILL resume and SIGTERM (subprocesses: op determinism is global) ----
STEPS = 30


def _cli(records, out, tmp_path):
  config = tmp_path / "albert_config.json"
  MODEL.to_json_file(str(config))
  return [sys.executable, os.path.join(REPO, "run_pretraining.py"),
          f"--albert_config_file={config}", f"--input_file={records}", f"--output_dir={out}",
          f"--max_seq_length={T}", f"--max_predictions_per_seq={P}", "--train_batch_size=8",
          "--learning_rate=1e-3", f"--num_train_steps={STEPS}", "--num_warmup_steps=4",
          "--save_checkpoints_steps=5", "--iterations_per_loop=5", "--deterministic"]


def _start(cmd):
  env = dict(os.environ, PYTHONPATH=REPO, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
  return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=env, cwd=REPO)


def _signal_after(proc, step, sig):
  """Sends `sig` once the progress line for `step` is printed; returns all output.

  With --save_checkpoints_steps=iterations_per_loop=5 the line for step s is printed right
  after the loop ending at s; the checkpoint at s-5 is complete by then."""
  lines = []
  for line in proc.stdout:
    lines.append(line)
    if line.startswith(f"step {step}/"):
      proc.send_signal(sig)
      break
  lines.extend(proc.stdout)
  proc.wait(timeout=300)
  return "".join(lines)


def _latest_step(out):
  return int(tf.train.latest_checkpoint(str(out)).rsplit("-", 1)[1])


def test_sigterm_then_sigkill_then_resume_is_exact(records, tmp_path):
  """One run preempted (SIGTERM → checkpoint, exit 0), restarted, SIGKILLed mid-run,
  restarted again: its final weights and optimizer state equal an uninterrupted run's."""
  out = tmp_path / "interrupted"
  full = _start(_cli(records, tmp_path / "full", tmp_path))  # in parallel with the chain
  log = _signal_after(_start(_cli(records, out, tmp_path)), 5, signal.SIGTERM)
  assert "SIGTERM: saved checkpoint at step" in log, log
  assert "Traceback" not in log
  termed_at = _latest_step(out)
  assert 5 <= termed_at < STEPS
  proc = _start(_cli(records, out, tmp_path))
  log = _signal_after(proc, termed_at + 10, signal.SIGKILL)
  assert proc.returncode == -signal.SIGKILL and f"restored {out}" in log, log
  killed_at = _latest_step(out)
  assert termed_at < killed_at < STEPS
  proc = _start(_cli(records, out, tmp_path))
  log = proc.communicate(timeout=300)[0]
  assert proc.returncode == 0 and f"restored {out}/ckpt-{killed_at}" in log, log
  log = full.communicate(timeout=300)[0]
  assert full.returncode == 0, log
  diff = max_diff(checkpoint_arrays(str(tmp_path / "full" / f"ckpt-{STEPS}")),
                  checkpoint_arrays(str(out / f"ckpt-{STEPS}")))
  print(f"SIGTERM at {termed_at}, SIGKILL after {killed_at}: max |Δ| (weights + optimizer "
        f"slots) vs uninterrupted = {diff:.3g}")
  assert diff <= 1e-6


# --- issue 13: resume keys, torn history -------------------------------------------------------
def test_history_skips_a_last_line_cut_short_and_names_a_bad_one(tmp_path):
  """A full disk can cut the last metrics.jsonl line short: a rerun must still resume."""
  from albert_tf import errors, train_log
  path = tmp_path / "metrics.jsonl"
  good = json.dumps({"kind": "train", "step": 3, "loss": 1.0})
  path.write_text(good + "\n" + '{"kind": "train", "st')
  assert [r["step"] for r in train_log.read_history(str(path))] == [3]
  path.write_text('{"kind": \n' + good + "\n")
  with pytest.raises(errors.UserError, match=r"metrics.jsonl, line 1: not JSON"):
    train_log.read_history(str(path))


def test_resume_keys_allow_a_new_learning_rate_schedule(records, tmp_path):
  """What the NonFiniteLossError message advises (a lower rate, longer warmup) must resume."""
  pretraining_loop.run(_config(records, tmp_path, num_train_steps=3))
  summary = pretraining_loop.run(_config(records, tmp_path, learning_rate=5e-4,
                                         num_warmup_steps=4, num_train_steps=6))
  assert summary["step"] == 6
  saved = json.loads((tmp_path / "config.json").read_text())["pretraining"]
  assert saved["learning_rate"] == 5e-4
