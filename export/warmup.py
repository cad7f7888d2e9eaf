"""TF Serving warm-up records: `assets.extra/tf_serving_warmup_requests`.

A TFRecord file of `tensorflow_serving.apis.PredictionLog` protos (≤ 1000 records) that
the server replays at load time with `--enable_model_warmup` (docs/serving_reference.md C6), so
the first user request does not pay for graph initialization. One small request per
signature is written: each export.signatures entry's `warmup`, in table order.
"""
import os

import tensorflow as tf
from tensorflow_serving.apis import model_pb2
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_log_pb2

from export import signatures

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")


def default_requests():
  """{signature name: {input name: numpy array}}: the warm-up request of every signature."""
  return {name: dict(entry.warmup) for name, entry in signatures.SIGNATURES.items()}


def write_warmup_requests(export_dir, requests, model_name):
  """Writes one PredictionLog per (signature, inputs) of `requests`; returns the path."""
  path = os.path.join(export_dir, WARMUP_FILE)
  tf.io.gfile.makedirs(os.path.dirname(path))
  with tf.io.TFRecordWriter(path) as writer:
    for signature_name, inputs in requests.items():
      request = predict_pb2.PredictRequest(
          model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature_name))
      for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(value))
      log = prediction_log_pb2.PredictionLog(
          predict_log=prediction_log_pb2.PredictLog(request=request))
      writer.write(log.SerializeToString())
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
