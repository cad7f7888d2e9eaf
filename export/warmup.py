"""TF Serving warm-up records: `assets.extra/tf_serving_warmup_requests`.

A TFRecord file of `tensorflow_serving.apis.PredictionLog` protos (≤ 1000 records) that
the server replays at load time with `--enable_model_warmup` (serving_and_hub.md C6), so
the first user request does not pay for graph initialization. One small request per
signature is written.
"""
import os

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import model_pb2
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_log_pb2

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
_TEXTS = [b"ALBERT shares parameters across layers.", b"It costs 3,000 dollars, or 2,5."]
_PAIRS = [b"The weather was cold.", b"So we stayed inside."]


def default_requests(seq_length=16):
  """{signature name: {input name: numpy array}} matching ServingModule's signatures."""
  ids = np.zeros([2, seq_length], np.int32)
  ids[:, 0], ids[:, 1:4], ids[:, 4] = 2, [[10975, 126, 187]], 3
  mask = (ids != 0).astype(np.int32)
  return {
      "serving_default": {"text": np.array(_TEXTS, object)},
      "text_pair": {"text_a": np.array(_PAIRS[:1], object), "text_b": np.array(_PAIRS[1:], object)},
      "token_ids": {"input_word_ids": ids, "input_mask": mask,
                    "input_type_ids": np.zeros_like(ids)},
      "sop": {"text_a": np.array(_PAIRS[:1], object), "text_b": np.array(_PAIRS[1:], object)},
  }


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
