"""TF Serving warm-up records: `assets.extra/tf_serving_warmup_requests`.

A TFRecord file of `tensorflow_serving.apis.PredictionLog` protos (≤ 1000 records) that
the server replays at load time with `--enable_model_warmup` (docs/serving_reference.md C6), so
the first user request does not pay for graph initialization. One small request per
signature is written: each export.signatures entry's `warmup`, in table order. A
classify or regress signature (`apis`) gets a ClassifyLog / RegressLog whose request holds
the warm-up's serialized tf.Examples.
"""
import os

import tensorflow as tf
from tensorflow_serving.apis import classification_pb2
from tensorflow_serving.apis import input_pb2
from tensorflow_serving.apis import model_pb2
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_log_pb2
from tensorflow_serving.apis import regression_pb2

from export import signatures

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")


def default_requests():
  """{signature name: {input name: numpy array}}: the warm-up request of every signature."""
  return {name: dict(entry.warmup) for name, entry in signatures.SIGNATURES.items()}


def _log(model_spec, inputs, api):
  if api == "predict":
    request = predict_pb2.PredictRequest(model_spec=model_spec)
    for name, value in inputs.items():
      request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request))
  examples = input_pb2.Input(example_list=input_pb2.ExampleList(
      examples=[tf.train.Example.FromString(s) for s in inputs["inputs"]]))
  if api == "classify":
    request = classification_pb2.ClassificationRequest(model_spec=model_spec, input=examples)
    return prediction_log_pb2.PredictionLog(
        classify_log=prediction_log_pb2.ClassifyLog(request=request))
  request = regression_pb2.RegressionRequest(model_spec=model_spec, input=examples)
  return prediction_log_pb2.PredictionLog(
      regress_log=prediction_log_pb2.RegressLog(request=request))


def write_warmup_requests(export_dir, requests, model_name, apis=None):
  """Writes one PredictionLog per (signature, inputs) of `requests`; returns the path.

  apis: {signature name: "classify" | "regress"} for non-predict signatures (their inputs:
  {"inputs": serialized tf.Examples}); the others are predict.
  """
  apis = apis or {}
  path = os.path.join(export_dir, WARMUP_FILE)
  tf.io.gfile.makedirs(os.path.dirname(path))
  with tf.io.TFRecordWriter(path) as writer:
    for signature_name, inputs in requests.items():
      spec = model_pb2.ModelSpec(name=model_name, signature_name=signature_name)
      writer.write(_log(spec, inputs, apis.get(signature_name, "predict")).SerializeToString())
  return path


def read_warmup_requests(export_dir):
  """The PredictionLog protos of an export (for tests and inspection)."""
  path = os.path.join(export_dir, WARMUP_FILE)
  logs = []
  for record in tf.data.TFRecordDataset(path):
    log = prediction_log_pb2.PredictionLog()
    log.ParseFromString(record.numpy())
    logs.append(log)
  return logs
