"""The versioned TF Serving export: signatures, outputs, truncation, warm-up, versions, errors."""
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

from albert_tf.checkpoints.errors import CheckpointMismatchError
from export import servable
from export import serving_module
from export import signatures
from export import versioning
from export import warmup
from export.preprocessor import AlbertPreprocessor
from albert_tf import errors
from albert_tf import resources
from tests.export.conftest import SERVING_SEQ_LENGTH, in_memory_encode

TEXTS = ["ALBERT shares parameters across layers.", "", "Prices rose 3,5 percent, to 1,000,"]


@pytest.fixture(scope="module")
def loaded(serving_base):
  return tf.saved_model.load(serving_base[1])


def _spec(fn):
  inputs = {k: (v.dtype.name, v.shape.as_list()) for k, v in fn.structured_input_signature[1].items()}
  outputs = {k: (v.dtype.name, v.shape.as_list()) for k, v in fn.structured_outputs.items()}
  return inputs, outputs


def test_signatures(loaded):
  h, t = 32, SERVING_SEQ_LENGTH
  encoded = {"pooled_output": ("float32", [None, h]), "sequence_output": ("float32", [None, t, h])}
  text = ("string", [None])
  ids = ("int32", [None, None])
  assert {k: _spec(f) for k, f in loaded.signatures.items()} == {
      "serving_default": ({"text": text}, encoded),
      "text_pair": ({"text_a": text, "text_b": text}, encoded),
      "token_ids": ({"input_word_ids": ids, "input_mask": ids, "input_type_ids": ids},
                    {"pooled_output": ("float32", [None, h]),
                     "sequence_output": ("float32", [None, None, h])}),
      "sop": ({"text_a": text, "text_b": text},
              {"sop_logits": ("float32", [None, 2]), "sop_log_probs": ("float32", [None, 2])}),
  }


def test_every_registered_signature_is_exported(loaded):
  assert sorted(loaded.signatures) == sorted(signatures.SIGNATURES)
  for name, entry in signatures.SIGNATURES.items():
    want = {k: (spec.dtype.name, spec.shape.as_list()) for k, spec in entry.inputs.items()}
    assert _spec(loaded.signatures[name])[0] == want, name


def test_outputs_equal_in_memory(loaded, tiny_checkpoint):
  model = tiny_checkpoint[0]
  inputs, want = in_memory_encode(model, TEXTS)
  got = loaded.signatures["serving_default"](text=tf.constant(TEXTS))
  for k in want:
    np.testing.assert_allclose(got[k].numpy(), want[k], atol=1e-5)
  got = loaded.signatures["token_ids"](**inputs)
  np.testing.assert_allclose(got["pooled_output"].numpy(), want["pooled_output"], atol=1e-5)
  pair_inputs, want_pair = in_memory_encode(model, TEXTS, TEXTS[::-1])
  got = loaded.signatures["text_pair"](text_a=tf.constant(TEXTS), text_b=tf.constant(TEXTS[::-1]))
  np.testing.assert_allclose(got["sequence_output"].numpy(), want_pair["sequence_output"],
                             atol=1e-5)
  sop = loaded.signatures["sop"](text_a=tf.constant(TEXTS), text_b=tf.constant(TEXTS[::-1]))
  want_sop = model.sentence_order(model.encoder(pair_inputs)["pooled_output"]).numpy()
  np.testing.assert_allclose(sop["sop_logits"].numpy(), want_sop, atol=1e-5)
  np.testing.assert_allclose(np.exp(sop["sop_log_probs"].numpy()).sum(-1), 1.0, atol=1e-5)


def test_long_text_is_truncated_and_empty_batch_is_empty(loaded):
  serve = loaded.signatures["serving_default"]
  long_out = serve(text=tf.constant(["word " * 1000]))
  kept = serve(text=tf.constant(["word " * (SERVING_SEQ_LENGTH - 2)]))  # [CLS] + 30 + [SEP]
  assert long_out["sequence_output"].shape == (1, SERVING_SEQ_LENGTH, 32)
  np.testing.assert_allclose(long_out["pooled_output"], kept["pooled_output"], atol=1e-6)
  empty = serve(text=tf.constant([], tf.string))
  assert empty["pooled_output"].shape == (0, 32)
  assert empty["sequence_output"].shape == (0, SERVING_SEQ_LENGTH, 32)


def test_warmup_requests_replay(serving_base, loaded):
  logs = warmup.read_warmup_requests(serving_base[1])
  assert [log.predict_log.request.model_spec.signature_name for log in logs] == list(
      signatures.SIGNATURES)
  for log in logs:
    request = log.predict_log.request
    inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
    outputs = loaded.signatures[request.model_spec.signature_name](**inputs)
    assert all(v.shape[0] == next(iter(inputs.values())).shape[0] for v in outputs.values())


def test_version_layout_and_no_overwrite(serving_base, tiny_checkpoint):
  base, path = serving_base
  assert os.path.basename(path) == "1" and sorted(os.listdir(base)) == ["1"]
  assert os.path.exists(os.path.join(path, "assets", "30k-clean.model"))
  assert os.path.exists(os.path.join(path, "assets.extra", "albert_config.json"))
  assert versioning.next_version(base) == 2
  with pytest.raises(errors.UserError, match="never overwritten"):
    servable.export_serving(base, pretrainer=tiny_checkpoint[0], version=1)


def test_versioning_is_atomic(tmp_path):
  base = str(tmp_path)
  def fail(directory):
    with open(os.path.join(directory, "saved_model.pb"), "wb") as f:
      f.write(b"half")
    raise RuntimeError("export failed half-way")
  with pytest.raises(RuntimeError):
    versioning.write_version(base, fail)
  assert os.listdir(base) == []  # no half-written version, no temp dir left
  write = lambda directory: None  # the temporary directory exists already
  assert versioning.write_version(base, write).endswith(os.sep + "1")
  assert versioning.write_version(base, write, version=7).endswith(os.sep + "7")
  assert versioning.next_version(base) == 8


def test_mismatched_checkpoint_lists_variables(tiny_checkpoint, tiny_dropout_config, tmp_path):
  wrong = tiny_dropout_config.replace(hidden_size=48, num_attention_heads=2, intermediate_size=96)
  with pytest.raises(ValueError, match=r"mis-shaped \[model/encoder/") as err:
    servable.export_serving(str(tmp_path), config=wrong, init_checkpoint=tiny_checkpoint[1])
  # A UserError for the CLI, the CheckpointMismatchError (with its lists) as the cause.
  mismatch = err.value if isinstance(err.value, CheckpointMismatchError) else err.value.__cause__
  assert len(mismatch.mis_shaped) > 5
  assert os.listdir(str(tmp_path)) == []


def test_missing_checkpoint(tiny_dropout_config, tmp_path):
  with pytest.raises(ValueError, match="no TensorFlow checkpoint"):
    servable.export_serving(str(tmp_path / "m"), config=tiny_dropout_config,
                            init_checkpoint=str(tmp_path / "nope" / "ckpt-1"))


class _PooledClassifier(tf_keras.layers.Layer):
  """A stand-in fine-tuned head: encoder outputs dict → {"logits": [B,3]}."""

  def __init__(self):
    super().__init__()
    self.dense = tf_keras.layers.Dense(3)

  def call(self, outputs, training=False):
    return {"logits": self.dense(outputs["pooled_output"])}


def test_extra_head_hook(tiny_checkpoint):
  """A fine-tuned classifier adds its outputs to the text and token-id signatures."""
  head = _PooledClassifier()
  head({"pooled_output": tf.zeros([1, 32])})
  module = serving_module.ServingModule(
      tiny_checkpoint[0], AlbertPreprocessor(resources.DEFAULT_SPM_MODEL), 16, extra_head=head)
  assert all(any(v is w for w in module.model_variables) for v in head.variables)
  signatures = module.signatures()
  for name in ("serving_default", "text_pair", "token_ids"):
    assert signatures[name].structured_outputs["logits"].shape.as_list() == [None, 3]
  assert "logits" not in signatures["sop"].structured_outputs
  out = signatures["serving_default"](text=tf.constant(["a", "b"]))
  assert out["logits"].shape == (2, 3)


def test_cli_missing_checkpoint_fails_with_message(tmp_path):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
  result = subprocess.run(
      [sys.executable, "-m", "export.export_serving", "--preset=albert_tiny",
       f"--init_checkpoint={tmp_path}/missing", f"--model_base_path={tmp_path}/models"],
      capture_output=True, text=True, timeout=300, env=env,
      cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
  assert result.returncode != 0
  assert "no TensorFlow checkpoint" in result.stderr
  assert not os.path.exists(tmp_path / "models" / "1")
