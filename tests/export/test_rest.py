"""The serving export answers TF Serving REST requests (via the test double, real HTTP)."""
import base64
import json
import urllib.error
import urllib.request

import numpy as np
import pytest
import tensorflow as tf

from export import signatures
from tests.export.conftest import SERVING_SEQ_LENGTH
from tests.export.rest_double import ModelServerDouble

H = 32


@pytest.fixture(scope="module")
def server(serving_base):
  with ModelServerDouble("albert", serving_base[0]) as url:
    yield url


@pytest.fixture(scope="module")
def loaded(serving_base):
  return tf.saved_model.load(serving_base[1])


def _call(url, path, body=None):
  data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
  request = urllib.request.Request(url + path, data=data, method="GET" if data is None else "POST")
  try:
    with urllib.request.urlopen(request, timeout=60) as response:
      return response.status, json.loads(response.read())
  except urllib.error.HTTPError as e:
    return e.code, json.loads(e.read())


def test_status_and_metadata(server):
  code, body = _call(server, "/v1/models/albert")
  assert code == 200 and body["model_version_status"] == [
      {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]
  code, body = _call(server, "/v1/models/albert/versions/1/metadata")
  defs = body["metadata"]["signature_def"]["signature_def"]
  assert code == 200 and set(defs) == set(signatures.SIGNATURES)
  assert defs["serving_default"]["inputs"]["text"]["dtype"] == "DT_STRING"
  assert defs["sop"]["method_name"] == "tensorflow/serving/predict"


def test_row_format_text(server, serving_base):
  texts = ["a fine film", "dull , lifeless"]
  code, body = _call(server, "/v1/models/albert:predict", {"instances": texts})
  assert code == 200 and len(body["predictions"]) == 2
  first = body["predictions"][0]
  assert set(first) == {"pooled_output", "sequence_output"}
  assert np.array(first["sequence_output"]).shape == (SERVING_SEQ_LENGTH, H)
  direct = tf.saved_model.load(serving_base[1]).signatures["serving_default"](text=tf.constant(texts))
  np.testing.assert_allclose([p["pooled_output"] for p in body["predictions"]],
                             direct["pooled_output"].numpy(), atol=1e-5)
  b64 = {"b64": base64.b64encode("a fine film".encode()).decode()}
  code, again = _call(server, "/v1/models/albert/versions/1:predict", {"instances": [b64]})
  assert code == 200
  np.testing.assert_allclose(again["predictions"][0]["pooled_output"], first["pooled_output"],
                             atol=1e-6)


def test_text_pair_sop_and_token_ids(server):
  pair = {"text_a": "it was cold .", "text_b": "we stayed in ."}
  code, rows = _call(server, "/v1/models/albert:predict",
                     {"signature_name": "text_pair", "instances": [pair, pair]})
  assert code == 200 and len(rows["predictions"]) == 2
  code, cols = _call(server, "/v1/models/albert:predict",
                     {"signature_name": "sop", "inputs": {k: [v] for k, v in pair.items()}})
  assert code == 200 and np.array(cols["outputs"]["sop_logits"]).shape == (1, 2)
  ids = [2, 10975, 126, 3, 0, 0]
  inputs = {"input_word_ids": [ids], "input_mask": [[1, 1, 1, 1, 0, 0]],
            "input_type_ids": [[0] * 6]}
  code, body = _call(server, "/v1/models/albert:predict",
                     {"signature_name": "token_ids", "inputs": inputs})
  assert code == 200 and np.array(body["outputs"]["sequence_output"]).shape == (1, 6, H)
  code, empty = _call(server, "/v1/models/albert:predict", {"inputs": {"text": []}})
  assert code == 200 and empty["outputs"]["pooled_output"] == []


@pytest.mark.parametrize("name", list(signatures.SIGNATURES))
def test_every_registered_signature_answers(server, loaded, name):
  """Each signature's warm-up request, sent as a columnar REST request, gets its outputs."""
  request = signatures.SIGNATURES[name].warmup
  body = {"signature_name": name,
          "inputs": {k: (np.char.decode(v.astype(bytes)) if v.dtype == object else v).tolist()
                     for k, v in request.items()}}
  code, got = _call(server, "/v1/models/albert:predict", body)
  assert code == 200, got
  direct = loaded.signatures[name](**request)
  assert set(got["outputs"]) == set(direct)
  for k, v in direct.items():
    np.testing.assert_allclose(got["outputs"][k], v.numpy(), atol=1e-5)


@pytest.mark.parametrize("path,body,code,message", [
    ("/v1/models/albert:predict", {"instances": ["x"], "inputs": ["x"]}, 400, "both"),
    ("/v1/models/albert:predict", {"signature_name": "serving_default"}, 400, "Missing"),
    ("/v1/models/albert:predict", b"{not json", 400, "JSON Parse error"),
    ("/v1/models/albert:predict", {"instances": []}, 400, "non-empty"),
    ("/v1/models/albert:predict", {"signature_name": "nope", "instances": ["x"]}, 400,
     'Serving signature name: "nope" not found'),
    ("/v1/models/albert:predict", {"signature_name": "text_pair", "instances": [{"text_a": "x"}]},
     400, "text_b"),
    ("/v1/models/albert:predict", {"signature_name": "token_ids",
                                   "inputs": {"input_word_ids": [["a"]], "input_mask": [[1]],
                                              "input_type_ids": [[0]]}}, 400, "integers"),
    ("/v1/models/albert:predict", {"instances": [{"b64": "not*base64"}]}, 400, "base64"),
    ("/v1/models/bert:predict", {"instances": ["x"]}, 404, "Servable not found"),
    ("/v1/models/albert/versions/9:predict", {"instances": ["x"]}, 404, "Specific(albert, 9)"),
    ("/v1/models/albert:classify", {"examples": [{"text": "x"}]}, 400,
     "Expected classification signature method_name to be tensorflow/serving/classify"),
])
def test_errors(server, path, body, code, message):
  got_code, got = _call(server, path, body)
  assert got_code == code and message in got["error"], got


def test_single_output_drops_the_name(tmp_path):
  """Single-output rule and *_bytes outputs, on a one-output SavedModel of the same form."""
  module = tf.Module()
  module.f = tf.function(lambda x: {"doubled": 2 * x}, input_signature=[tf.TensorSpec([None], tf.float32)])
  module.g = tf.function(lambda s: {"echo_bytes": s}, input_signature=[tf.TensorSpec([None], tf.string)])
  tf.saved_model.save(module, str(tmp_path / "1"), signatures={
      "serving_default": module.f.get_concrete_function(), "echo": module.g.get_concrete_function()})
  with ModelServerDouble("tiny", str(tmp_path)) as url:
    assert _call(url, "/v1/models/tiny:predict", {"instances": [1.5, 2]}) == (
        200, {"predictions": [3.0, 4.0]})
    assert _call(url, "/v1/models/tiny:predict", {"inputs": [1.0]}) == (200, {"outputs": [2.0]})
    code, body = _call(url, "/v1/models/tiny:predict",
                       {"signature_name": "echo", "instances": ["hi"]})
    assert body == {"predictions": [{"b64": base64.b64encode(b"hi").decode()}]}
