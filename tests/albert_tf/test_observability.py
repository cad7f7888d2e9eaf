"""What a user sees while training (issue 14 item 6): pretraining's loss scale, first progress
line, UTC times and curve panels; fine-tuning's TensorBoard, ETA, featurization progress and
random-init warning; no cuInit ERROR line on machines without an NVIDIA driver."""
import json
import logging
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from albert_tf import pretraining_loop, runtime, train_log
from albert_tf.configs import AlbertConfig, PretrainConfig
from albert_tf.finetune import classifier_data, encoders, finetuning_loop
from tests.albert_tf.synthetic_records import write_records

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T, P, V = 16, 4, 60
MODEL = AlbertConfig.from_preset("albert_tiny").replace(vocab_size=V)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
  return write_records(str(tmp_path_factory.mktemp("rec")), num_files=1, per_file=48,
                       seq_len=T, num_preds=P, vocab_size=V)


def _config(records, out, **overrides):
  values = dict(model=MODEL, input_file=records, output_dir=str(out), max_seq_length=T,
                max_predictions_per_seq=P, train_batch_size=8, learning_rate=1e-3,
                num_train_steps=6, num_warmup_steps=2, save_checkpoints_steps=3,
                iterations_per_loop=1000, deterministic=True)
  values.update(overrides)
  return PretrainConfig(**values)


def _train_history(out):
  return [r for r in train_log.read_history(str(out / "metrics.jsonl")) if r["kind"] == "train"]


def test_float16_logs_the_loss_scale_and_lines_carry_utc_times(records, tmp_path, capsys):
  pretraining_loop.run(_config(records, tmp_path, mixed_precision="float16"))
  history = _train_history(tmp_path)
  assert history and all(r["loss_scale"] > 1 for r in history)   # dynamic scale, 2^15 at init
  lines = capsys.readouterr().out.splitlines()
  assert any(line.startswith("step 6/6") and "| loss scale " in line for line in lines), lines
  assert lines and all(re.search(r" \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\]$", l) for l in lines)


def test_long_loops_start_small_and_change_nothing_else(records, tmp_path, monkeypatch):
  """1000 iterations_per_loop, 6 steps, checkpoints every 3: loops of 1, 2 and 3 steps
  (progress after step 1); without the growth 3 and 3; same checkpoints, identical weights."""
  pretraining_loop.run(_config(records, tmp_path / "early"))
  monkeypatch.setattr(pretraining_loop, "GROW_LOOPS_ABOVE", 10**9)
  pretraining_loop.run(_config(records, tmp_path / "plain"))
  assert [r["step"] for r in _train_history(tmp_path / "plain")] == [3, 6]
  assert [r["step"] for r in _train_history(tmp_path / "early")] == [1, 3, 6]
  for step in (3, 6):
    plain = tf.train.load_checkpoint(str(tmp_path / "plain" / f"ckpt-{step}"))
    early = tf.train.load_checkpoint(str(tmp_path / "early" / f"ckpt-{step}"))
    names = [n for n in plain.get_variable_to_shape_map() if n.startswith("model/")]
    assert names
    for name in names:
      np.testing.assert_array_equal(plain.get_tensor(name), early.get_tensor(name), name)


def test_curve_panels_separate_losses_and_drop_the_sentence_panel_for_mlm_only():
  sop = [{"kind": "train", "step": 1, "masked_lm_loss": 9.0, "masked_lm_accuracy": 0.0,
          "sentence_order_loss": 0.7, "sentence_order_accuracy": 0.5, "learning_rate": 1e-4}]
  mlm = [{k: v for k, v in sop[0].items() if not k.startswith("sentence")}]
  titles = lambda h: [t for t, _ in train_log.curve_panels(h)]  # noqa: E731
  assert titles(sop) == ["MLM loss", "sentence-pair loss", "accuracy", "learning rate"]
  assert titles(mlm) == ["MLM loss", "accuracy", "learning rate"]


def test_finetuning_writes_tensorboard_and_progress_with_eta(tmp_path, caplog):
  features = {"x": np.eye(8, dtype=np.float32)[np.arange(16) % 8],
              "label": (np.arange(16) % 2).astype(np.int32)}
  loss = lambda logits, batch: tf_keras.losses.sparse_categorical_crossentropy(  # noqa: E731
      batch["label"], logits, from_logits=True)
  config = finetuning_loop.TrainConfig(learning_rate=1e-2, batch_size=4, train_steps=4,
                                       warmup_steps=1, eval_every=2, log_every=2,
                                       save_checkpoints=False)
  with caplog.at_level(logging.INFO):
    finetuning_loop.train_and_evaluate(_XModel, loss, features,
                                       lambda model: {"accuracy": 0.5}, "accuracy", config,
                                       str(tmp_path))
  assert re.search(r"step 2/4 \| loss \S+ \| lr \S+ \| \S+ steps/s \| ETA \d\d:\d\d:\d\d",
                   caplog.text), caplog.text
  assert os.listdir(tmp_path / "train") and os.listdir(tmp_path / "eval")
  history = train_log.read_history(str(tmp_path / "metrics.jsonl"))
  assert [(r["kind"], r["step"]) for r in history] == [   # sorted by (step, kind)
      ("eval", 2), ("train", 2), ("eval", 4), ("train", 4)]
  assert history[1]["learning_rate"] > 0 and history[0]["accuracy"] == 0.5
  assert "train_loss" in history[0]


class _XModel(tf_keras.Model):
  def __init__(self):
    super().__init__()
    self.dense = tf_keras.layers.Dense(2)

  def call(self, batch, training=None):
    return self.dense(batch["x"])


def test_featurization_progress_on_long_inputs(caplog):
  with caplog.at_level(logging.INFO):
    assert list(classifier_data.featurizing(range(5), "toy", every_n=2)) == list(range(5))
  assert "toy: 2/5 examples featurized" in caplog.text and "toy: 4/5" in caplog.text


def test_random_init_warning_names_the_config(caplog):
  with caplog.at_level(logging.WARNING):
    encoders.build_encoder(encoders.EncoderSpec(preset="albert_tiny"))
  assert "RANDOM INIT of albert_tiny's config" in caplog.text
  caplog.clear()
  with caplog.at_level(logging.WARNING):
    encoders.build_encoder(encoders.EncoderSpec(preset="albert_tiny"), warn_random_init=False)
  assert "RANDOM INIT" not in caplog.text


PROBE = "import tensorflow as tf; tf.config.list_physical_devices()"
ENTRY_POINTS = ("run_pretraining", "albert_tf.finetune.run_classifier",
                "albert_tf.finetune.run_squad", "albert_tf.finetune.run_race", "albert_tf.convert",
                "export.export_serving", "export.export_tfhub", "export.export_classifier")


@pytest.mark.skipif(runtime.has_nvidia_driver(), reason="this machine has an NVIDIA driver")
def test_no_cuinit_error_line_without_a_driver():
  env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
  run = lambda code: subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,  # noqa
                                    capture_output=True, text=True, check=True).stderr
  if "cuInit" not in run(PROBE):
    pytest.skip("this TensorFlow build does not probe CUDA")
  noisy = [m for m in ENTRY_POINTS if "cuInit" in run(f"import {m}; {PROBE}")]
  assert not noisy, f"these entry points print the cuInit line: {noisy}"
