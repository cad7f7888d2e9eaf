"""The Task registry and the runner: a task type defined here runs through runner.run; precision."""
import dataclasses
import json
import os
import subprocess
import sys
from typing import ClassVar

import numpy as np
import pytest
import tf_keras

from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints.errors import CheckpointMismatchError
from albert_tf.configs import AlbertConfig
from albert_tf.finetune import encoders, finetuning_loop, heads, hparams, runner, tasks
from albert_tf.finetune.tasks import base, squad_task

REPO_ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
TINY_SQUAD = os.path.join(REPO_ROOT, "tests", "testdata", "squad_samples", "dev-v1.1-tiny.json")
TINY = encoders.EncoderSpec(preset="albert_tiny", albert_dropout=0.0)
HP = hparams.HParams(learning_rate=1e-3, batch_size=4, train_steps=2, warmup_steps=0,
                     max_seq_length=8)


@dataclasses.dataclass(kw_only=True)
class EchoConfig(base.RunConfig):
  task_type: ClassVar[str] = "echo"
  num_examples: int = 8


class EchoTask(base.Task):
  """A made-up task type: is piece 11 (not 10) in the sequence? Writes one prediction file."""
  name, labels = "Echo", ("no", "yes")
  primary_metric = "accuracy"
  prediction_files = ("echo_predictions.json",)
  policies = []                        # the Keras policy each build_model call saw

  def read_split(self, split):
    return [i % 2 for i in range(self.config.num_examples)]

  def features(self, examples, tokenizer, training):
    labels = np.asarray(examples, np.int32)
    ids = np.zeros([len(labels), 8], np.int32)
    ids[:, :3] = np.stack([np.full_like(labels, 2), 10 + labels, np.full_like(labels, 3)], 1)
    return {"input_word_ids": ids, "input_mask": (ids > 0).astype(np.int32),
            "input_type_ids": np.zeros_like(ids), "label": labels}

  def build_model(self, encoder):
    self.policies.append(tf_keras.mixed_precision.global_policy().name)
    return heads.ClassifierModel(encoder, 2)

  def loss(self, outputs, batch):
    return heads.classification_loss(outputs, batch)

  def evaluate(self, model, eval_features, directory):
    predictions = np.argmax(self.predict(model, eval_features["dev"]), -1)
    with open(os.path.join(directory, "echo_predictions.json"), "w") as f:
      json.dump(predictions.tolist(), f)
    return {"accuracy": float(np.mean(predictions == eval_features["dev"]["label"])),
            "count": len(predictions)}


@pytest.fixture(scope="module")
def echo_run(tmp_path_factory):
  out = tmp_path_factory.mktemp("echo")
  with pytest.MonkeyPatch.context() as patch:
    patch.setitem(tasks.TASK_TYPES, "echo", EchoTask)
    results = runner.run(EchoConfig(output_dir=str(out), encoder=TINY, hparams=HP, seeds=(3, 4),
                                    log_every=0, mixed_precision="bfloat16"))
  return out, results


def test_a_registered_task_type_runs_through_the_runner(echo_run):
  out, results = echo_run
  with open(out / "results.json") as f:
    assert json.load(f) == results
  assert results["task"] == "Echo" and results["encoder"] == "random-init"
  assert results["seeds"] == [3, 4] and [r["seed"] for r in results["per_seed"]] == [3, 4]
  assert results["num_train_examples"] == 8 and results["num_eval_examples"] == {"dev": 8}
  assert results["hparams"]["max_seq_length"] == 8
  # Float metrics are summarized over the seeds; the int count is not.
  assert set(results["summary"]["best"]) == {"accuracy"}
  accs = [r["best"]["accuracy"] for r in results["per_seed"]]
  assert results["summary"]["best"]["accuracy"]["n"] == 2
  assert results["summary"]["best"]["accuracy"]["mean"] == pytest.approx(np.mean(accs))
  # The first seed's prediction file is copied to output_dir.
  assert (out / "echo_predictions.json").read_text() == (
      out / "seed_3" / "echo_predictions.json").read_text()


def test_checkpoints_have_their_config_and_task_beside(echo_run):
  out, _ = echo_run
  expected_config = AlbertConfig.from_preset("albert_tiny").replace(
      hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
  for seed in (3, 4):
    for which in ("best", "last"):
      directory = out / f"seed_{seed}" / which
      assert (directory / "ckpt.index").exists()
      assert ckpt_load.find_config(str(directory / "ckpt")) == expected_config
      with open(directory / "task.json") as f:
        assert json.load(f) == {"task": "Echo", "task_type": "echo", "labels": ["no", "yes"],
                                "max_seq_length": 8, "encoder": "random-init"}


def test_runner_sets_the_precision_and_restores_it(echo_run):
  assert EchoTask.policies == ["mixed_bfloat16", "mixed_bfloat16"]   # one build per seed
  assert tf_keras.mixed_precision.global_policy().name == "float32"


def test_an_unregistered_task_type_is_refused(tmp_path):
  with pytest.raises(ValueError, match="task_type='echo' is not a registered task type"):
    runner.run(EchoConfig(output_dir=str(tmp_path), encoder=TINY, hparams=HP))


def _squad_predict_only(output_dir, **kw):
  return squad_task.SquadConfig(
      version="1.1", predict_file=TINY_SQUAD, max_predict_examples=4, doc_stride=48,
      output_dir=str(output_dir), encoder=TINY, log_every=0,
      hparams=dataclasses.replace(HP, max_seq_length=96), **kw)


def test_squad_writes_results_json_and_loads_finetuned_checkpoints_strictly(tmp_path, echo_run):
  results = runner.run(_squad_predict_only(tmp_path / "squad"))
  assert sorted(os.listdir(tmp_path / "squad")) == [
      "nbest_predictions.json", "predictions.json", "results.json"]
  with open(tmp_path / "squad" / "results.json") as f:
    assert json.load(f) == results
  assert results["task"] == "SQuAD-1.1" and results["version"] == "1.1"
  assert results["stats"]["predict_examples"] == 4 and results["summary"] is None
  assert results["seeds"] == [] and results["per_seed"][0]["seed"] is None
  # A classifier's checkpoint is no SQuAD model: the strict read names what does not match.
  classifier_ckpt = str(echo_run[0] / "seed_3" / "best" / "ckpt")
  with pytest.raises(CheckpointMismatchError, match="does not match the model"):
    runner.run(_squad_predict_only(tmp_path / "bad", finetuned_checkpoint=classifier_ckpt))


@pytest.mark.parametrize("spelling, policy", [
    ("float32", "float32"), ("bfloat16", "mixed_bfloat16"), ("mixed_bfloat16", "mixed_bfloat16"),
    ("float16", "mixed_float16"), ("mixed_float16", "mixed_float16")])
def test_precision_spellings(spelling, policy):
  with finetuning_loop.precision(spelling):
    assert tf_keras.mixed_precision.global_policy().name == policy
  assert tf_keras.mixed_precision.global_policy().name == "float32"


def test_unknown_precision_lists_the_spellings():
  with pytest.raises(ValueError, match="mixed_precision='fp16'.*float32, bfloat16, float16"):
    with finetuning_loop.precision("fp16"):
      pass


def test_cli_flag_accepts_every_precision_spelling():
  code = ("from absl import flags\n"
          "from albert_tf.finetune import common_flags\n"
          "common_flags.define_common_flags()\n"
          "print(sorted(flags.FLAGS['mixed_precision'].parser.enum_values))\n")
  proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                        timeout=120, check=True, cwd=REPO_ROOT)
  assert proc.stdout.strip() == str(sorted(
      ["float32", "bfloat16", "float16", "mixed_bfloat16", "mixed_float16"]))
