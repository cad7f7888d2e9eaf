"""The fine-tuned models' serving signatures: a second table, same pattern as export/signatures.py.

B batch, C num_labels. Classifier (GLUE-style, labels from task.json):
  serving_default  text string [B]             → label_ids int32 [B], labels string [B],
                                                 probabilities float32 [B,C]
  text_pair        text_a, text_b string [B]   → the same
  classify         (tensorflow/serving/classify) inputs: serialized tf.Example string [B]
                   with bytes feature "text" (and "text_b" for a pair task)
                                               → classes string [B,C] (the label names),
                                                 scores float32 [B,C] (probabilities)
Regressor (STS-B-style, labels []): serving_default / text_pair → score float32 [B];
  regress          (tensorflow/serving/regress) the same tf.Examples → outputs float32 [B]
SQuAD 1.1 span model:
  serving_default  question, context string [B] → answer string [B], score float32 [B]
                   (start + end logit of the best span; export.finetuned_module.SquadModule)

Readers: export.finetuned_module (methods), export.finetuned_servable (save, method names,
warm-up), tests/export/test_finetuned_export.py, docs/serving.md §7.

Example:
    >>> list(CLASSIFIER), REGRESSOR["regress"].api
    (['serving_default', 'text_pair', 'classify'], 'regress')
"""
import numpy as np
import tensorflow as tf

from export.signatures import Signature

_TEXT = tf.TensorSpec([None], tf.string)
_SERIALIZED = {"inputs": tf.TensorSpec([None], tf.string, name="inputs")}


def _texts(*texts):
  return np.array(texts, object)


def example(text, text_b=None):
  """A serialized tf.Example with bytes features "text" (and "text_b")."""
  feature = {"text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[text.encode()]))}
  if text_b is not None:
    feature["text_b"] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[text_b.encode()]))
  return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


_SINGLE = {"text": _texts(b"A gripping, beautifully acted film.")}
_PAIR = {"text_a": _texts(b"The cat sat on the mat."), "text_b": _texts(b"A cat was sitting.")}
# Both features: a single-text task's parser ignores text_b.
_EXAMPLES = {"inputs": _texts(example("The cat sat on the mat.", "A cat was sitting."))}

_TEXT_SIGNATURES = {
    "serving_default": Signature("serve_text", {"text": _TEXT}, _SINGLE),
    "text_pair": Signature("serve_text_pair", {"text_a": _TEXT, "text_b": _TEXT}, _PAIR),
}
CLASSIFIER = {**_TEXT_SIGNATURES,
              "classify": Signature("classify", _SERIALIZED, _EXAMPLES, api="classify")}
REGRESSOR = {**_TEXT_SIGNATURES,
             "regress": Signature("regress", _SERIALIZED, _EXAMPLES, api="regress")}
SQUAD = {
    "serving_default": Signature(
        "answer", {"question": _TEXT, "context": _TEXT},
        {"question": _texts(b"What does ALBERT share?"),
         "context": _texts(b"ALBERT shares parameters across its layers.")}),
}
