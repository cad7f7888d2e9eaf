"""Fine-tuned models for production: TF Serving (predict, classify, regress) and TF Hub exports.

Module-scope fixtures, albert_tiny: an SST-2-layout classifier fine-tuned 10 steps by the
runner (a trivially learnable set: "great ..." → 1, "awful ..." → 0), and random-init STS-B
regressor and SQuAD 1.1 checkpoints written in the runner's layout (ckpt + albert_config.json
+ task.json). Each is exported once (~20 s each on 2 CPU cores) and queried through the REST
double; every answer is compared with the in-memory model's.
"""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest
import tensorflow as tf

from albert_tf import resources
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.checkpoints import object_checkpoint
from albert_tf.configs import AlbertConfig
from export import finetuned
from export import finetuned_servable
from export import finetuned_signatures
from export import ops_check
from export import preprocessor as preprocessor_lib
from export import signatures
from export import warmup
from tests.conftest import REPO_ROOT
from tests.export.rest_double import ModelServerDouble

SST_T, STS_T, SQUAD_T = 16, 32, 64
GREAT, AWFUL = "great great fun 3", "awful awful bore 4"
ENV = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")


def _post(url, path, body):
  request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
  try:
    with urllib.request.urlopen(request, timeout=60) as response:
      return response.status, json.loads(response.read())
  except urllib.error.HTTPError as e:
    return e.code, json.loads(e.read())


def _pack(texts, seq_length):
  pre = preprocessor_lib.AlbertPreprocessor(resources.DEFAULT_SPM_MODEL)
  return pre.pack_text([tf.constant(t) for t in texts], seq_length)


def _logits(model, texts, seq_length):
  """In-memory reference: eager model on the same in-graph packing."""
  return model(_pack(texts, seq_length), training=False).numpy()


def _softmax(x):
  e = np.exp(x - x.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


def _handmade(directory, task, task_type, labels, max_seq_length):
  """A random-init checkpoint in the runner's layout; returns its directory."""
  tf.random.set_seed(1)
  config = AlbertConfig.from_preset("albert_tiny")
  model = finetuned.build_head_model(config, task_type, task, labels)
  object_checkpoint.write({"model": model}, os.path.join(directory, "ckpt"))
  ckpt_load.write_config(directory, config)
  with open(os.path.join(directory, "task.json"), "w", encoding="utf-8") as f:
    json.dump({"task": task, "task_type": task_type, "labels": labels,
               "max_seq_length": max_seq_length, "encoder": "random-init"}, f)
  return directory


@pytest.fixture(scope="module")
def sst(tmp_path_factory):
  """(fine-tuned checkpoint dir, model_base_path with version 1)."""
  from albert_tf.finetune import encoders, hparams, runner
  from albert_tf.finetune.tasks import glue_task
  root = tmp_path_factory.mktemp("sst")
  rows = ["sentence\tlabel"] + [f"great great fun {i}\t1" if i % 2 else f"awful awful bore {i}\t0"
                                for i in range(16)]
  for name in ("train.tsv", "dev.tsv"):
    (root / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
  # As tests/albert_tf/finetune/test_runs.py: 10 full-batch steps at 3e-3 learn the set.
  hp = hparams.HParams(learning_rate=3e-3, batch_size=16, train_steps=10, warmup_steps=0,
                       max_seq_length=SST_T)
  runner.run(glue_task.GlueConfig(
      task="SST-2", data_dir=str(root), output_dir=str(root / "out"), hparams=hp,
      encoder=encoders.EncoderSpec(preset="albert_tiny", albert_dropout=0.0), log_every=0))
  checkpoint = str(root / "out" / "seed_0" / "best")
  base = str(root / "models" / "sst2")
  finetuned_servable.export_finetuned_serving(base, checkpoint, model_name="sst2")
  return checkpoint, base


@pytest.fixture(scope="module")
def sst_model(sst):
  return finetuned.load(sst[0])


@pytest.fixture(scope="module")
def sts(tmp_path_factory):
  checkpoint = _handmade(str(tmp_path_factory.mktemp("sts") / "best"), "STS-B", "glue", [], STS_T)
  base = str(tmp_path_factory.mktemp("models") / "stsb")
  finetuned_servable.export_finetuned_serving(base, checkpoint)
  return checkpoint, base


@pytest.fixture(scope="module")
def squad(tmp_path_factory):
  checkpoint = _handmade(str(tmp_path_factory.mktemp("squad") / "best"), "SQuAD-1.1", "squad",
                         [], SQUAD_T)
  base = str(tmp_path_factory.mktemp("models") / "squad")
  finetuned_servable.export_finetuned_serving(base, checkpoint, max_answer_length=5)
  return checkpoint, base


def test_sst2_label_and_probabilities_through_rest(sst, sst_model):
  expected = _softmax(_logits(sst_model.model, [[GREAT, AWFUL]], SST_T))
  with ModelServerDouble("sst2", sst[1]) as url:
    code, body = _post(url, "/v1/models/sst2:predict", {"instances": [GREAT, AWFUL]})
    assert code == 200, body
    assert [p["labels"] for p in body["predictions"]] == ["1", "0"]
    assert [p["label_ids"] for p in body["predictions"]] == [1, 0]
    np.testing.assert_allclose([p["probabilities"] for p in body["predictions"]], expected,
                               atol=1e-5)
    code, body = _post(url, "/v1/models/sst2:classify", {
        "signature_name": "classify", "examples": [{"text": GREAT}, {"text": AWFUL}]})
    assert code == 200, body
    assert [[c for c, _ in row] for row in body["result"]] == [["0", "1"], ["0", "1"]]
    np.testing.assert_allclose([[s for _, s in row] for row in body["result"]], expected,
                               atol=1e-5)
    code, body = _post(url, "/v1/models/sst2:classify", {
        "signature_name": "classify", "context": {"text": AWFUL}, "examples": [{"text": GREAT}]})
    assert code == 400 and "context" in body["error"]
    # serving_default is a predict signature: the Classify API refuses it, as the server does.
    code, body = _post(url, "/v1/models/sst2:classify", {"examples": [{"text": GREAT}]})
    assert code == 400 and "method_name" in body["error"]


def test_export_layout_method_names_and_warmup(sst, sst_model):
  export_dir = os.path.join(sst[1], "1")
  ops_check.check_ops(export_dir)
  defs = ops_check.read_saved_model(export_dir).meta_graphs[0].signature_def
  assert {n: defs[n].method_name for n in finetuned_signatures.CLASSIFIER} == {
      "serving_default": signatures.METHOD_NAMES["predict"],
      "text_pair": signatures.METHOD_NAMES["predict"],
      "classify": signatures.METHOD_NAMES["classify"]}
  logs = warmup.read_warmup_requests(export_dir)
  assert [log.WhichOneof("log_type") for log in logs] == ["predict_log", "predict_log",
                                                         "classify_log"]
  assert logs[2].classify_log.request.model_spec.name == "sst2"
  with open(os.path.join(export_dir, "assets.extra", "task.json")) as f:
    assert json.load(f)["labels"] == ["0", "1"]
  loaded = tf.saved_model.load(export_dir)
  pair = loaded.signatures["text_pair"](text_a=tf.constant([GREAT]), text_b=tf.constant(["x"]))
  np.testing.assert_allclose(pair["probabilities"].numpy(),
                             _softmax(_logits(sst_model.model, [[GREAT], ["x"]], SST_T)),
                             atol=1e-5)


def test_stsb_score_through_regress_and_predict(sts):
  model = finetuned.load(sts[0]).model
  a, b = ["A man is playing a flute.", "Rain"], ["A man plays the flute.", "It is sunny today."]
  expected = _logits(model, [a, b], STS_T)[:, 0]
  with ModelServerDouble("stsb", sts[1]) as url:
    code, body = _post(url, "/v1/models/stsb:regress", {
        "signature_name": "regress",
        "examples": [{"text": x, "text_b": y} for x, y in zip(a, b)]})
    assert code == 200, body
    np.testing.assert_allclose(body["result"], expected, atol=1e-5)
    code, body = _post(url, "/v1/models/stsb:predict", {
        "signature_name": "text_pair", "inputs": {"text_a": a, "text_b": b}})
    np.testing.assert_allclose(body["outputs"], expected, atol=1e-5)
  ops_check.check_ops(os.path.join(sts[1], "1"))


def test_squad_answer_text_through_predict(squad):
  model = finetuned.load(squad[0]).model
  question = "What does ALBERT share?"
  context = "ALBERT shares parameters across its layers, since 2019."
  inputs = _pack([[question], [context]], SQUAD_T)
  out = model(inputs, training=False)
  # Brute force over context pieces (type 1, not [SEP]) with j − i < max_answer_length = 5.
  ids, types = inputs["input_word_ids"].numpy()[0], inputs["input_type_ids"].numpy()[0]
  ctx = [t for t in range(SQUAD_T) if types[t] == 1 and ids[t] != 3]
  start, end = out["start_logits"].numpy()[0], out["end_logits"].numpy()[0]
  score, i, j = max((start[i] + end[j], i, j) for i in ctx for j in ctx if 0 <= j - i < 5)
  sp = preprocessor_lib.AlbertPreprocessor(resources.DEFAULT_SPM_MODEL)
  pieces = [p.decode() for p in sp.tokenize.tokenizer._sp.id_to_string(ids[i:j + 1]).numpy()]  # pylint: disable=protected-access
  answer = "".join(pieces).replace("\u2581", " ").strip()
  assert answer and answer in context.lower()
  with ModelServerDouble("squad", squad[1]) as url:
    code, body = _post(url, "/v1/models/squad:predict",
                       {"instances": [{"question": question, "context": context}]})
  assert code == 200, body
  assert body["predictions"][0]["answer"] == answer
  assert body["predictions"][0]["score"] == pytest.approx(float(score), abs=1e-4)
  ops_check.check_ops(os.path.join(squad[1], "1"))


def test_hub_export(sst_model, tmp_path):
  export_dir = tmp_path / "hub"
  ops = finetuned_servable.export_finetuned_hub(str(export_dir), finetuned=sst_model)
  assert "ParseExampleV2" not in ops  # only the predict signatures
  import tensorflow_hub as hub  # pylint: disable=import-outside-toplevel
  layer = hub.KerasLayer(str(export_dir))
  got = layer(tf.constant([GREAT, AWFUL]))["probabilities"].numpy()
  np.testing.assert_allclose(got, _softmax(_logits(sst_model.model, [[GREAT, AWFUL]], SST_T)),
                             atol=1e-5)
  restored = tf.saved_model.load(str(export_dir))
  pair = restored([tf.constant([GREAT]), tf.constant(["x"])])["logits"].numpy()
  np.testing.assert_allclose(pair, _logits(sst_model.model, [[GREAT], ["x"]], SST_T), atol=1e-5)
  assert len(restored.trainable_variables) == len(sst_model.model.trainable_variables)


def test_checkpoint_without_task_json_is_one_line_error(tmp_path, sst):
  import shutil  # pylint: disable=import-outside-toplevel
  bare = tmp_path / "bare"
  shutil.copytree(sst[0], bare)
  os.remove(bare / "task.json")
  result = subprocess.run(
      [sys.executable, "-m", "export.export_classifier", f"--finetuned_checkpoint={bare}",
       f"--model_base_path={tmp_path}/models"],
      cwd=REPO_ROOT, env=ENV, capture_output=True, text=True, timeout=300)
  assert result.returncode == 1
  errors = [line for line in result.stderr.splitlines()
            if line.startswith("export.export_classifier: error:")]
  assert len(errors) == 1 and "task.json" in errors[0], result.stderr
  assert "Traceback" not in result.stderr and not (tmp_path / "models" / "1").exists()


def test_best_span_rules():
  """end ≥ start, length ≤ max_answer_length, context pieces only (no query, [SEP], padding)."""
  import types  # pylint: disable=import-outside-toplevel
  from export.finetuned_module import SquadModule  # pylint: disable=import-outside-toplevel
  stub = types.SimpleNamespace(max_answer_length=2, preprocessor=types.SimpleNamespace(
      special_tokens={"end_of_segment_id": 3}))
  # [CLS] q [SEP] c c c c [SEP] pad: context positions 3..6.
  inputs = {"input_word_ids": tf.constant([[2, 9, 3, 7, 7, 7, 7, 3, 0]]),
            "input_type_ids": tf.constant([[0, 0, 0, 1, 1, 1, 1, 1, 0]]),
            "input_mask": tf.constant([[1, 1, 1, 1, 1, 1, 1, 1, 0]])}
  start = tf.constant([[9., 9., 9., .5, 0., -2., 5., 9., 9.]])
  end = tf.constant([[9., 9., 9., 0., 4., 4.2, -5., 9., 9.]])
  s, e, score = SquadModule.best_spans(stub, inputs, start, end)
  # Refused: non-context (9 + 9), reversed (6, 5) = 9.2, too long (3, 5) = 4.7.
  assert (int(s[0]), int(e[0])) == (3, 4) and float(score[0]) == pytest.approx(4.5)
