"""Serving modules of fine-tuned models: raw text in, labels / scores / answers out (in-graph).

Signatures: export/finetuned_signatures.py. Texts are tokenized in the graph by
export.preprocessor (as data_prep and fine-tuning featurization do) and truncated to
T = seq_length; pairs are truncated round robin (export.packing), where fine-tuning's
featurization pops from the longer text: the two agree whenever nothing is truncated.

ClassifierModule  classifier/regressor (heads.ClassifierModel); also the TF Hub object:
                  `__call__(texts, training=False)`, texts string [B] or [text_a, text_b],
                  → {"logits" [B,C], "probabilities" [B,C]} or {"score" [B]}
SquadModule       SQuAD 1.1 span model (heads.SquadV1Model): `[CLS] question [SEP] context
                  [SEP]`, the question cut to its first max_query_length pieces, ONE window
                  of the context (no doc stride: context beyond T is not searched). Best span:
                  argmax of start_logit[i] + end_logit[j] over context pieces with
                  i ≤ j < i + max_answer_length. Answer text: the span's pieces joined, "▁" →
                  space, stripped; so it is the normalized (lowercased, NFKC) text, not the
                  original characters the official char-offset mapping returns.

Example (random-init albert_tiny SST-2 head):
    >>> from albert_tf import resources
    >>> from albert_tf.configs import AlbertConfig
    >>> from export import finetuned, preprocessor
    >>> model = finetuned.build_head_model(AlbertConfig.from_preset("albert_tiny"), "glue",
    ...                                    "SST-2", ["0", "1"])
    >>> module = ClassifierModule(model, preprocessor.AlbertPreprocessor(
    ...     resources.DEFAULT_SPM_MODEL), ["0", "1"], seq_length=16)
    >>> out = module.serve_text(tf.constant(["a fine film", "dull"]))
    >>> out["labels"].shape, out["probabilities"].shape
    (TensorShape([2]), TensorShape([2, 2]))
"""
import tensorflow as tf
import tensorflow_text as tf_text

from export import packing
from export.serving_module import _Untracked

AutoTrackable = tf.__internal__.tracking.AutoTrackable
_NEG = -1e30


class _Base(AutoTrackable):
  def __init__(self, model, preprocessor, seq_length):
    if seq_length > model.encoder.config.max_position_embeddings:
      raise ValueError(f"seq_length={seq_length} exceeds max_position_embeddings="
                       f"{model.encoder.config.max_position_embeddings}")
    self.seq_length = seq_length
    self.preprocessor = preprocessor
    # Not tracked as a Keras object (see export.serving_module): variables as a list.
    self._models = _Untracked(model=model)
    self.model_variables = list(model.variables)


class ClassifierModule(_Base):
  """Restored ClassifierModel + preprocessor → CLASSIFIER or REGRESSOR signatures.

  Args:
    model: a restored heads.ClassifierModel.
    preprocessor: export.preprocessor.AlbertPreprocessor (the model's vocabulary).
    labels: label names (task.json), () for a regressor.
    seq_length: T.
    pair: whether classify/regress read "text_b" too (a sentence-pair task).
  """

  def __init__(self, model, preprocessor, labels, seq_length=128, pair=False):
    super().__init__(model, preprocessor, seq_length)
    self.is_regression = not labels
    self.pair = pair
    self._label_names = tf.constant(list(labels) or [""])

  def logits(self, texts, training=False):
    inputs = self.preprocessor.pack_text(texts, self.seq_length)
    return self._models.model(inputs, training=training)                  # [B,C]

  def _predictions(self, logits):
    if self.is_regression:
      return {"score": logits[:, 0]}
    probabilities = tf.nn.softmax(logits, axis=-1)
    label_ids = tf.argmax(logits, axis=-1, output_type=tf.int32)
    return {"label_ids": label_ids, "labels": tf.gather(self._label_names, label_ids),
            "probabilities": probabilities}

  def _parse(self, serialized):
    names = ("text", "text_b") if self.pair else ("text",)
    features = tf.io.parse_example(
        serialized, {n: tf.io.FixedLenFeature([], tf.string) for n in names})
    return [features[n] for n in names]

  # --- signatures (parameters are the input names) ---
  def serve_text(self, text):
    return self._predictions(self.logits([text]))

  def serve_text_pair(self, text_a, text_b):
    return self._predictions(self.logits([text_a, text_b]))

  def classify(self, inputs):
    probabilities = tf.nn.softmax(self.logits(self._parse(inputs)), axis=-1)   # [B,C]
    classes = tf.tile(self._label_names[None], [tf.shape(probabilities)[0], 1])
    return {"classes": classes, "scores": probabilities}

  def regress(self, inputs):
    return {"outputs": self.logits(self._parse(inputs))[:, 0]}

  # --- TF Hub reusable SavedModel ---
  def make_reusable(self):
    """Sets __call__ (traced for 1 and 2 texts, training False/True) and variable lists."""
    def call(texts, training=False):
      texts = list(texts) if isinstance(texts, (list, tuple)) else [texts]
      logits = self.logits(texts, training=training)
      if self.is_regression:
        return {"score": logits[:, 0]}
      return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1)}

    spec = tf.TensorSpec([None], tf.string)
    self.__call__ = tf.function(call)
    for texts in (spec, [spec, spec]):
      for training in (False, True):
        self.__call__.get_concrete_function(texts, training=training)
    model = self._models.model
    self.variables = list(model.variables)
    self.trainable_variables = list(model.trainable_variables)
    self.regularization_losses = []


class SquadModule(_Base):
  """Restored SquadV1Model + preprocessor → the SQUAD signature (see the module docstring)."""

  def __init__(self, model, preprocessor, seq_length=384, max_query_length=64,
               max_answer_length=30):
    super().__init__(model, preprocessor, seq_length)
    self.max_query_length, self.max_answer_length = max_query_length, max_answer_length
    self._tokenizer = preprocessor.tokenize.tokenizer
    # The vocabulary's pieces as a graph constant [V] (~30k strings): detokenizing is a gather.
    with tf.io.gfile.GFile(preprocessor.sp_model_file.asset_path.numpy(), "rb") as f:
      sp = tf_text.SentencepieceTokenizer(model=f.read())
    self._pieces = tf.constant(sp.id_to_string(tf.range(self._tokenizer.vocab_size)).numpy())

  def best_spans(self, inputs, start_logits, end_logits):
    """→ start, end int32 [B] (inclusive) and score float32 [B] (−1e30: no context)."""
    sep = self.preprocessor.special_tokens["end_of_segment_id"]
    context = ((inputs["input_type_ids"] == 1) & (inputs["input_word_ids"] != sep)
               & (inputs["input_mask"] == 1))                                       # [B,T]
    t = tf.shape(start_logits)[1]
    position = tf.range(t)
    length = position[None, :] - position[:, None]                                   # j − i
    allowed = (length >= 0) & (length < self.max_answer_length)                        # [T,T]
    valid = context[:, :, None] & context[:, None, :] & allowed[None]                  # [B,T,T]
    scores = tf.where(valid, start_logits[:, :, None] + end_logits[:, None, :], _NEG)
    flat = tf.reshape(scores, [tf.shape(scores)[0], -1])                              # [B,T·T]
    best = tf.argmax(flat, axis=-1, output_type=tf.int32)
    return best // t, best % t, tf.reduce_max(flat, axis=-1)

  def answer(self, question, context):
    tokenize = self._tokenizer.tokenize
    q = tokenize(question)[:, :self.max_query_length]
    special = self.preprocessor.special_tokens
    inputs = packing.bert_pack_inputs(
        [q, tokenize(context)], self.seq_length, cls_id=special["start_of_sequence_id"],
        sep_id=special["end_of_segment_id"], pad_id=special["padding_id"])
    outputs = self._models.model(inputs, training=False)
    start, end, score = self.best_spans(inputs, outputs["start_logits"], outputs["end_logits"])
    position = tf.range(tf.shape(inputs["input_word_ids"])[1])[None, :]
    in_span = (position >= start[:, None]) & (position <= end[:, None]) & (score > _NEG)[:, None]
    ids = tf.ragged.boolean_mask(inputs["input_word_ids"], in_span)                  # [B,(n)]
    text = tf.strings.reduce_join(tf.gather(self._pieces, ids), axis=1)
    answer = tf.strings.strip(tf.strings.regex_replace(text, "\u2581", " "))
    return {"answer": answer, "score": score}
