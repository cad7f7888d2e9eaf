"""Loading in a fresh process that imports only tensorflow and tensorflow_text.

Two paths: TF2 `tf.saved_model.load` (signatures and the Hub objects) and the TF1
loader `tf.compat.v1.saved_model.loader.load` in a Session, running signatures by
their tensor names (what tensorflow_model_server's C++ loader does).
"""
import json
import os
import subprocess
import sys

import numpy as np

from tests.export.conftest import in_memory_encode

TEXTS = ["The model server runs this graph.", "Accents: café, 3,5 units,", ""]
PAIR_B = ["Second segment.", "", "x"]

_SCRIPT = r"""
import json, sys
import numpy as np
import tensorflow as tf
import tensorflow_text  # registers NormalizeUTF8 / Sentencepiece ops

serving_dir, encoder_dir, preprocessor_dir, out_path = sys.argv[1:5]
texts, pair_b = json.loads(sys.argv[5]), json.loads(sys.argv[6])
out = {}
model = tf.saved_model.load(serving_dir)
r = model.signatures["serving_default"](text=tf.constant(texts))
out["tf2_pooled"], out["tf2_sequence"] = r["pooled_output"].numpy(), r["sequence_output"].numpy()
r = model.signatures["sop"](text_a=tf.constant(texts), text_b=tf.constant(pair_b))
out["tf2_sop"] = r["sop_logits"].numpy()
pre = tf.saved_model.load(preprocessor_dir)
enc = tf.saved_model.load(encoder_dir)
out["hub_pooled"] = enc(pre(tf.constant(texts)), training=False)["pooled_output"].numpy()

with tf.Graph().as_default() as graph, tf.compat.v1.Session(graph=graph) as sess:
  meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], serving_dir)
  for name, feeds in (("serving_default", {"text": texts}),
                      ("sop", {"text_a": texts, "text_b": pair_b})):
    sig = meta.signature_def[name]
    fetches = {k: v.name for k, v in sig.outputs.items()}
    result = sess.run(fetches, {sig.inputs[k].name: v for k, v in feeds.items()})
    for k, v in result.items():
      out[f"tf1_{name}_{k}"] = v
np.savez(out_path, **out)
# (`import tensorflow` itself imports keras/tf_keras; none of our code may be loaded.)
forbidden = [m for m in ("albert_tf", "export", "data_prep", "tests", "tensorflow_hub")
             if m in sys.modules]
print(json.dumps({"forbidden_modules": forbidden}))
"""


def test_fresh_process_tf2_and_tf1_loaders(serving_base, encoder_dir, preprocessor_dir,
                                           tiny_checkpoint, tmp_path):
  out_path = str(tmp_path / "out.npz")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
  for name in ("PYTHONPATH", "TF_USE_LEGACY_KERAS"):
    env.pop(name, None)
  result = subprocess.run(
      [sys.executable, "-c", _SCRIPT, serving_base[1], encoder_dir[0], preprocessor_dir[0],
       out_path, json.dumps(TEXTS), json.dumps(PAIR_B)],
      capture_output=True, text=True, timeout=300, env=env, cwd=str(tmp_path))
  assert result.returncode == 0, result.stderr[-3000:]
  assert json.loads(result.stdout.strip().splitlines()[-1]) == {"forbidden_modules": []}
  got = np.load(out_path)

  model = tiny_checkpoint[0]
  pair_inputs, want = in_memory_encode(model, TEXTS)
  np.testing.assert_allclose(got["tf2_pooled"], want["pooled_output"], atol=1e-5)
  np.testing.assert_allclose(got["tf2_sequence"], want["sequence_output"], atol=1e-5)
  np.testing.assert_allclose(got["tf1_serving_default_pooled_output"], want["pooled_output"],
                             atol=1e-5)
  np.testing.assert_allclose(got["tf1_serving_default_sequence_output"],
                             want["sequence_output"], atol=1e-5)
  pair_inputs, _ = in_memory_encode(model, TEXTS, PAIR_B)
  want_sop = model.sentence_order(model.encoder(pair_inputs)["pooled_output"]).numpy()
  np.testing.assert_allclose(got["tf2_sop"], want_sop, atol=1e-5)
  np.testing.assert_allclose(got["tf1_sop_sop_logits"], want_sop, atol=1e-5)
  # Hub pair at the preprocessor's default length 128 (padding does not change pooled).
  _, want128 = in_memory_encode(model, TEXTS, seq_length=128)
  np.testing.assert_allclose(got["hub_pooled"], want128["pooled_output"], atol=1e-5)
