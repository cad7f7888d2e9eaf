"""The serving signatures, in one table: name → ServingModule method, input spec, warm-up request.

All are predict signatures (method tensorflow/serving/predict); B batch, T seq_length,
H hidden:
  serving_default  text string [B]                  → pooled_output float32 [B,H],
                                                      sequence_output float32 [B,T,H]
  text_pair        text_a, text_b string [B]        → pooled_output, sequence_output
  token_ids        input_word_ids, input_mask, input_type_ids int32 [B,T'] (any
                   T' ≤ max_position_embeddings)    → pooled_output, sequence_output [B,T',H]
  sop              text_a, text_b string [B]        → sop_logits float32 [B,2],
                                                      sop_log_probs float32 [B,2]
                                                      (class 0: b follows a; 1: swapped)

Readers of SIGNATURES, in table order: export.serving_module.ServingModule.signatures()
traces each entry's method with its inputs; export.warmup writes each entry's warm-up
request as one PredictionLog (docs/serving_reference.md C6); the tests export, op-check and send
(through tests/export/rest_double.py) every entry; docs/serving.md §2 lists the same names
(a test checks it). Adding a signature: a ServingModule method whose parameters are the
input names, one entry here, one row in the tests' expected-signatures table.

Example:
    >>> list(SIGNATURES)
    ['serving_default', 'text_pair', 'token_ids', 'sop']
    >>> SIGNATURES["token_ids"].method, list(SIGNATURES["token_ids"].inputs)
    ('serve_token_ids', ['input_word_ids', 'input_mask', 'input_type_ids'])
"""
import dataclasses
from typing import Mapping

import numpy as np
import tensorflow as tf

_TEXT = tf.TensorSpec([None], tf.string)
_IDS = tf.TensorSpec([None, None], tf.int32)


@dataclasses.dataclass(frozen=True)
class Signature:
  """One serving signature.

  method: name of the ServingModule method; it is called with the inputs as keywords.
  inputs: {input name: tf.TensorSpec}, in the method's parameter order.
  warmup: {input name: numpy array}, the small request replayed at server start-up.
  api: the TF Serving API that answers it (METHOD_NAMES key; classify/regress take one
    input "inputs", serialized tf.Example string [B]).
  """
  method: str
  inputs: Mapping[str, tf.TensorSpec]
  warmup: Mapping[str, np.ndarray]
  api: str = "predict"


# SignatureDef.method_name of each API (tensorflow/serving signature_constants).
METHOD_NAMES = {"predict": "tensorflow/serving/predict", "classify": "tensorflow/serving/classify",
                "regress": "tensorflow/serving/regress"}


def concrete_functions(module, table):
  """{signature name: concrete function of module.<entry.method>} for tf.saved_model.save."""
  return {name: tf.function(getattr(module, entry.method),
                            input_signature=list(entry.inputs.values())).get_concrete_function()
          for name, entry in table.items()}


def _texts(*texts):
  return np.array(texts, object)


def _token_ids_request():
  """2 rows of [CLS] ▁hello ▁world ! [SEP] + 11 pads (30k-clean ids; any T' works, 16 here)."""
  ids = np.zeros([2, 16], np.int32)
  ids[:, 0], ids[:, 1:4], ids[:, 4] = 2, [[10975, 126, 187]], 3
  return {"input_word_ids": ids, "input_mask": (ids != 0).astype(np.int32),
          "input_type_ids": np.zeros_like(ids)}


_PAIR = {"text_a": _texts(b"The weather was cold."), "text_b": _texts(b"So we stayed inside.")}

SIGNATURES = {
    "serving_default": Signature(
        "serve_text", {"text": _TEXT},
        {"text": _texts(b"ALBERT shares parameters across layers.",
                        b"It costs 3,000 dollars, or 2,5.")}),
    "text_pair": Signature("serve_text_pair", {"text_a": _TEXT, "text_b": _TEXT}, _PAIR),
    "token_ids": Signature(
        "serve_token_ids", {"input_word_ids": _IDS, "input_mask": _IDS, "input_type_ids": _IDS},
        _token_ids_request()),
    "sop": Signature("sop", {"text_a": _TEXT, "text_b": _TEXT}, _PAIR),
}
