"""TEST DOUBLE of TensorFlow Serving's REST API — not the model server.

tensorflow_model_server cannot be installed on the test machines, so this small
http.server on 127.0.0.1 implements the documented REST contract
(docs/serving_reference.md C1–C5; tensorflow/serving g3doc/api_rest.md, http_server.cc,
json_tensor.cc) on top of a real exported SavedModel, to test that our signatures
answer the requests clients will send. Only what the tests need is implemented:

  GET  /v1/models/{name}[/versions/{v}]            model status (GetModelStatusResponse)
  GET  /v1/models/{name}[/versions/{v}]/metadata   signature map (GetModelMetadataResponse)
  POST /v1/models/{name}[/versions/{v}]:predict    row ("instances") or columnar ("inputs")
  POST /v1/models/{name}[/versions/{v}]:classify   {"signature_name", "context", "examples"}
  POST /v1/models/{name}[/versions/{v}]:regress    (the same request) → {"result": ...}

Semantics followed:
  - version policy "latest" (the server default): only the highest version is loaded;
  - predict without signature_name uses serving_default; responses are
    {"predictions": ...} for row requests (with one output the name is dropped) and
    {"outputs": ...} for columnar ones (one output: the bare value);
  - strings may be sent as {"b64": "<standard base64>"}; outputs named *_bytes come back
    base64-wrapped;
  - a malformed HTTP request (missing, non-numeric or negative Content-Length on a POST, a
    body shorter than its Content-Length: the read times out after read_timeout_s or ends
    at the client's half-close) is answered 400 with the reason, never a dropped
    connection; TensorFlow's InvalidArgumentError while running a signature (shapes that do
    not fit together, a tf.Example missing a feature) is 400 with its reason line, not the
    bare "Graph execution error:" preamble;
  - errors are {"error": "<message>"} with the server's status → HTTP mapping:
    InvalidArgument → 400 (malformed JSON, both or neither of instances/inputs, an empty
    instances list, missing or mistyped inputs, and an unknown signature_name: the
    server's REST handler raises InvalidArgument 'Serving signature name: "x" not found
    in signature def', so it is 400, not 404), NotFound → 404 (unknown model, version not
    loaded), unsupported routes → 404, anything else → 500;
  - classify/regress: each of "examples" (non-empty) merged with "context" (whose features
    must not be in the example, else 400) becomes one tf.Example (JSON strings and
    {"b64": ...} → bytes_list, integers → int64_list, other numbers → float_list, a list →
    that many values), sent serialized as the signature's "inputs"; the signature (default serving_default) must have method_name
    tensorflow/serving/classify or /regress, else 400 "Expected classification signature
    method_name to be ..." as the server says; classify answers
    {"result": [[[class, score], ...] per example]} from outputs classes [B,C] and scores
    [B,C]; regress {"result": [value per example]} from outputs [B] or [B,1] (api_rest.md's
    format block says "result", its curl example shows "results"; "result" here).
Not implemented: labels, gRPC, batching, warm-up replay.
"""
import base64
import http.server
import json
import os
import re
import threading

import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow.core.protobuf import saved_model_pb2

from albert_tf import cli_io

_ROUTE = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?"
                    r"(?:(?P<metadata>/metadata)|:(?P<verb>predict|classify|regress))?$")


class ServingError(Exception):
  def __init__(self, code, message):
    super().__init__(message)
    self.code = code


def _signature_defs(export_dir):
  proto = saved_model_pb2.SavedModel()
  with open(os.path.join(export_dir, "saved_model.pb"), "rb") as f:
    proto.ParseFromString(f.read())
  defs = proto.meta_graphs[0].signature_def
  return {k: v for k, v in defs.items() if not k.startswith("__")}


class _Servable:
  def __init__(self, name, version, export_dir):
    self.name, self.version = name, version
    self.model = tf.saved_model.load(export_dir)
    self.signature_defs = _signature_defs(export_dir)

  def signature(self, name):
    if not isinstance(name, str):
      raise ServingError(400, f"'signature_name' must be a string, got {json.dumps(name)}")
    if name not in self.model.signatures:
      raise ServingError(400, f'Serving signature name: "{name}" not found in signature def')
    return self.model.signatures[name]


def _decode_value(value, dtype, where):
  """JSON value (nested lists) → numpy array of `dtype`."""
  if dtype == tf.string:
    def conv(v):
      if isinstance(v, list):
        return [conv(x) for x in v]
      if isinstance(v, dict) and set(v) == {"b64"}:
        try:
          return base64.b64decode(v["b64"], validate=True)
        except ValueError:
          raise ServingError(400, f"{where}: Unable to base64 decode") from None
      if isinstance(v, str):
        return v.encode("utf-8")
      raise ServingError(400, f"{where}: expected a string, got {json.dumps(v)}")
    return np.array(conv(value), dtype=object)
  flat = np.array(value, dtype=object).ravel()
  if any(isinstance(v, list) for v in flat):
    raise ServingError(400, f"{where}: ragged or malformed array (rows of different lengths)")
  if dtype.is_integer and not all(isinstance(v, int) and not isinstance(v, bool) for v in flat):
    raise ServingError(400, f"{where}: expected integers for a {dtype.name} input")
  if dtype.is_floating and not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                   for v in flat):
    raise ServingError(400, f"{where}: expected numbers for a {dtype.name} input")
  try:
    return np.array(value, dtype=dtype.as_numpy_dtype)
  except OverflowError as e:
    raise ServingError(400, f"{where}: value out of range for {dtype.name} ({e})") from None
  except ValueError as e:
    raise ServingError(400, f"{where}: ragged or malformed array ({e})") from None


def _run(function, **kwargs):
  """Calls a signature; a request the graph rejects is 400 with TF's reason (InvalidArgument)."""
  try:
    return function(**kwargs)
  except (tf.errors.InvalidArgumentError, ValueError, TypeError) as e:
    raise ServingError(400, cli_io.op_error_text(e)) from None


def _encode_value(name, array):
  if array.dtype == object:
    if name.endswith("_bytes"):
      return np.vectorize(lambda b: {"b64": base64.b64encode(b).decode()},
                          otypes=[object])(array).tolist()
    return np.vectorize(lambda b: b.decode("utf-8", "replace"), otypes=[object])(array).tolist()
  return array.tolist()


def _row_inputs(instances, specs):
  if not isinstance(instances, list) or not instances:
    raise ServingError(400, "'instances' must be a non-empty JSON array")
  names = list(specs)
  named = all(isinstance(x, dict) and set(x) != {"b64"} for x in instances)
  if len(names) > 1 and not named:
    raise ServingError(400, "with several inputs, each element of 'instances' must be a "
                            f"JSON object with the named inputs {names}")
  columns = {n: [] for n in names}
  for i, instance in enumerate(instances):
    if named:
      missing = [n for n in names if n not in instance]
      extra = [k for k in instance if k not in specs]
      if missing or extra:
        raise ServingError(400, f"Failed to process element: {i} of 'instances' list. JSON "
                                f"object: missing named inputs {missing}, unknown {extra}")
      for n in names:
        columns[n].append(instance[n])
    else:
      columns[names[0]].append(instance)
  return {n: _decode_value(columns[n], specs[n].dtype, f"instances[*].{n}") for n in names}


def _columnar_inputs(inputs, specs):
  names = list(specs)
  if isinstance(inputs, dict) and set(inputs) != {"b64"}:
    missing = [n for n in names if n not in inputs]
    extra = [k for k in inputs if k not in specs]
    if missing or extra:
      raise ServingError(400, f"'inputs': missing named inputs {missing}, unknown {extra}")
    values = inputs
  elif len(names) == 1:
    values = {names[0]: inputs}
  else:
    raise ServingError(400, f"'inputs' must be a JSON object keyed by the inputs {names}")
  return {n: _decode_value(values[n], specs[n].dtype, f"inputs.{n}") for n in names}


def _check_shapes(arrays, specs):
  for name, array in arrays.items():
    shape = specs[name].shape
    if shape.rank is not None and array.ndim != shape.rank:
      raise ServingError(400, f"input {name}: expected rank {shape.rank}, got shape "
                              f"{list(array.shape)}")


def predict(servable, body):
  if not isinstance(body, dict):
    raise ServingError(400, "request body must be a JSON object")
  if "instances" in body and "inputs" in body:
    raise ServingError(400, "Not allowed to have both 'instances' and 'inputs' keys")
  if "instances" not in body and "inputs" not in body:
    raise ServingError(400, "Missing 'inputs' or 'instances' key")
  function = servable.signature(body.get("signature_name", "serving_default"))
  specs = function.structured_input_signature[1]
  row = "instances" in body
  arrays = _row_inputs(body["instances"], specs) if row else _columnar_inputs(body["inputs"], specs)
  _check_shapes(arrays, specs)
  outputs = _run(function, **{n: tf.constant(a, specs[n].dtype) for n, a in arrays.items()})
  outputs = {k: v.numpy() for k, v in outputs.items()}
  if not row:
    encoded = {k: _encode_value(k, v) for k, v in outputs.items()}
    return {"outputs": next(iter(encoded.values())) if len(encoded) == 1 else encoded}
  batch = {v.shape[0] if v.ndim else None for v in outputs.values()}
  if len(batch) != 1 or None in batch:
    raise ServingError(400, "row format needs outputs with one shared batch dimension; "
                            "use the columnar 'inputs' format")
  if len(outputs) == 1:
    name, value = next(iter(outputs.items()))
    return {"predictions": _encode_value(name, value)}
  per_name = {k: _encode_value(k, v) for k, v in outputs.items()}
  size = batch.pop()
  return {"predictions": [{k: per_name[k][i] for k in per_name} for i in range(size)]}


def _feature(value, where):
  values = value if isinstance(value, list) else [value]
  if all(isinstance(v, str) or (isinstance(v, dict) and set(v) == {"b64"}) for v in values):
    data = [_decode_value(v, tf.string, where).item() for v in values]
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=data))
  if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))
  if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))
  raise ServingError(400, f"{where}: feature values must be strings, {{\"b64\": ...}}, "
                          f"integers or numbers, got {json.dumps(value)}")


def _serialized_examples(body):
  examples, context = body.get("examples"), body.get("context", {})
  if not isinstance(examples, list) or not examples:
    raise ServingError(400, "'examples' must be a non-empty JSON array")
  if not isinstance(context, dict) or not all(isinstance(e, dict) for e in examples):
    raise ServingError(400, "'context' and each element of 'examples' must be JSON objects")
  serialized = []
  for i, example in enumerate(examples):
    shared = sorted(set(context) & set(example))
    if shared:
      raise ServingError(400, f"examples[{i}]: features {shared} are also in 'context'")
    features = {k: _feature(v, f"examples[{i}].{k}") for k, v in {**context, **example}.items()}
    serialized.append(tf.train.Example(
        features=tf.train.Features(feature=features)).SerializeToString())
  return np.array(serialized, dtype=object)


_API_KIND = {"classify": "classification", "regress": "regression"}


def classify_or_regress(servable, body, verb):
  if not isinstance(body, dict):
    raise ServingError(400, "request body must be a JSON object")
  name = body.get("signature_name", "serving_default")
  function = servable.signature(name)
  expected, method = f"tensorflow/serving/{verb}", servable.signature_defs[name].method_name
  if method != expected:
    raise ServingError(400, f"Expected {_API_KIND[verb]} signature method_name to be "
                            f"{expected}. Was: {method}")
  outputs = _run(function, inputs=tf.constant(_serialized_examples(body)))
  if verb == "regress":
    return {"result": outputs["outputs"].numpy().reshape([-1]).tolist()}
  classes = _encode_value("classes", outputs["classes"].numpy())
  scores = outputs["scores"].numpy().tolist()
  return {"result": [[[c, s] for c, s in zip(cs, ss)] for cs, ss in zip(classes, scores)]}


class ModelServerDouble:
  """Serves model_base_path's latest version as `model_name` on 127.0.0.1:<free port>.

  Use as a context manager: `with ModelServerDouble("albert", base) as url: ...`.
  read_timeout_s: how long a request may take to send its body (then 400, as a body
  shorter than its Content-Length).
  """

  def __init__(self, model_name, model_base_path, read_timeout_s=10.0):
    self.read_timeout_s = read_timeout_s
    versions = sorted(int(n) for n in os.listdir(model_base_path) if n.isdigit())
    if not versions:
      raise ValueError(f"no integer version directory in {model_base_path}")
    latest = versions[-1]
    self.model_name = model_name
    self.servable = _Servable(model_name, latest, os.path.join(model_base_path, str(latest)))
    self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
    self._server.daemon_threads = True
    self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

  @property
  def url(self):
    host, port = self._server.server_address[:2]
    return f"http://{host}:{port}"

  def __enter__(self):
    self._thread.start()
    return self.url

  def __exit__(self, *exc):
    self._server.shutdown()
    self._server.server_close()
    self._thread.join(timeout=10)

  # --- routing -------------------------------------------------------------------------
  def _servable_for(self, match):
    name, version = match.group("name"), match.group("version")
    s = self.servable
    if name != self.model_name:
      raise ServingError(404, f"Servable not found for request: Latest({name})")
    if version is not None and int(version) != s.version:
      raise ServingError(404, f"Servable not found for request: Specific({name}, {version})")
    return s

  def handle(self, method, path, body):
    match = _ROUTE.match(path)
    if not match:
      raise ServingError(404, f"Malformed request: {method} {path}")
    if method == "GET":
      if match.group("verb"):
        raise ServingError(404, f"Malformed request: GET {path}")
      s = self._servable_for(match)
      if match.group("metadata"):
        defs = {k: json_format.MessageToDict(v, preserving_proto_field_name=True)
                for k, v in s.signature_defs.items()}
        return {"model_spec": {"name": s.name, "signature_name": "", "version": str(s.version)},
                "metadata": {"signature_def": {"signature_def": defs}}}
      return {"model_version_status": [{"version": str(s.version), "state": "AVAILABLE",
                                        "status": {"error_code": "OK", "error_message": ""}}]}
    verb = match.group("verb")
    if verb is None:
      raise ServingError(404, f"Malformed request: POST {path}")
    s = self._servable_for(match)
    try:
      request = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
      raise ServingError(400, f"JSON Parse error: {e}") from None
    return predict(s, request) if verb == "predict" else classify_or_regress(s, request, verb)

  def _handler_class(self):
    server = self

    class Handler(http.server.BaseHTTPRequestHandler):
      timeout = server.read_timeout_s  # socket timeout: a body that never comes ends the read

      def _respond(self, method, body=b""):
        try:
          code, payload = 200, server.handle(method, self.path, body)
        except ServingError as e:
          code, payload = e.code, {"error": str(e)}
        except Exception as e:  # pylint: disable=broad-except
          code, payload = 500, {"error": f"{type(e).__name__}: {e}"}
        self._send(code, payload)

      def _send(self, code, payload):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

      def do_GET(self):  # noqa: N802
        self._respond("GET")

      def _read_body(self):
        """The request body; ServingError(400) when Content-Length and body disagree."""
        header = self.headers.get("Content-Length")
        if header is None:
          raise ServingError(400, "Missing Content-Length header: a POST needs the body's "
                                  "length in bytes")
        if not header.strip().isdigit():
          raise ServingError(400, f"Invalid Content-Length header {header!r}: expected a "
                                  "non-negative integer")
        length, chunks, got = int(header), [], 0
        try:
          while got < length:
            chunk = self.rfile.read1(length - got)
            if not chunk:
              break
            chunks.append(chunk)
            got += len(chunk)
        except TimeoutError:
          pass
        if got < length:
          raise ServingError(400, f"Request body shorter than its Content-Length: got {got} of "
                                  f"{length} bytes")
        return b"".join(chunks)

      def do_POST(self):  # noqa: N802
        try:
          body = self._read_body()
        except ServingError as e:
          self.close_connection = True  # the stream cannot be trusted past a bad body
          self._send(e.code, {"error": str(e)})
          return
        self._respond("POST", body)

      def log_message(self, *args):
        pass

    return Handler
