"""The TF Serving SavedModel: raw-text signatures with the tokenizer in the graph.

Signatures: the table in export/signatures.py (serving_default, text_pair, token_ids, sop);
each is one method below, traced with that table's input spec.

Texts are normalized and tokenized exactly as data_prep does (export.preprocessor) and
truncated to T = seq_length (pairs round robin); an empty batch returns empty outputs.

Extra head hook (any head on the encoder outputs; fine-tuned checkpoints of albert_tf.finetune
have their own text-to-label export, export/finetuned_servable.py): `extra_head` is a built
tf_keras layer or model (anything with `.variables`) called as
`extra_head(encoder_outputs_dict, training=False) → {name: tensor [B,...]}`, e.g. a
dense classifier on `pooled_output`. Its outputs are added to serving_default,
text_pair and token_ids (names must not clash with the encoder's), and its variables
are saved with the model.
"""
import tensorflow as tf

from export import signatures as signature_table

AutoTrackable = tf.__internal__.tracking.AutoTrackable
ENCODER_OUTPUTS = ("pooled_output", "sequence_output")


class _Untracked:
  def __init__(self, **kwargs):
    self.__dict__.update(kwargs)


class ServingModule(AutoTrackable):
  """Restored AlbertPretrainer + AlbertPreprocessor → the signatures of export/signatures.py.

  Args:
    pretrainer: a built, restored AlbertPretrainer.
    preprocessor: an export.preprocessor.AlbertPreprocessor (same vocab as the model).
    seq_length: T of the text signatures.
    extra_head: optional callable, see the module docstring.
  """

  def __init__(self, pretrainer, preprocessor, seq_length=128, extra_head=None):
    if seq_length > pretrainer.config.max_position_embeddings:
      raise ValueError(f"seq_length={seq_length} exceeds max_position_embeddings="
                       f"{pretrainer.config.max_position_embeddings}")
    self.seq_length = seq_length
    self.preprocessor = preprocessor
    # Kept out of the object graph (a plain holder is not tracked): saving the Keras
    # models as Keras objects would trace every layer. The functions close over them
    # and their variables are tracked through `model_variables`.
    self._models = _Untracked(pretrainer=pretrainer, extra_head=extra_head)
    variables = list(pretrainer.variables)
    if extra_head is not None:
      variables += list(getattr(extra_head, "variables", []))
    self.model_variables = variables

  # --- computation ---------------------------------------------------------------------
  def encode(self, inputs):
    outputs = self._models.pretrainer.encoder(inputs, training=False)
    result = {k: outputs[k] for k in ENCODER_OUTPUTS}
    if self._models.extra_head is not None:
      extra = self._models.extra_head(outputs, training=False)
      clash = set(extra) & set(result)
      if clash:
        raise ValueError(f"extra_head outputs clash with encoder outputs: {sorted(clash)}")
      result.update(extra)
    return result

  def pack(self, texts):
    return self.preprocessor.pack_text(texts, self.seq_length)

  # --- signatures (export/signatures.py; parameters are the signature's input names) ---
  def serve_text(self, text):
    return self.encode(self.pack([text]))

  def serve_text_pair(self, text_a, text_b):
    return self.encode(self.pack([text_a, text_b]))

  def serve_token_ids(self, input_word_ids, input_mask, input_type_ids):
    return self.encode({"input_word_ids": input_word_ids, "input_mask": input_mask,
                        "input_type_ids": input_type_ids})

  def sop(self, text_a, text_b):
    outputs = self._models.pretrainer.encoder(self.pack([text_a, text_b]), training=False)
    logits = self._models.pretrainer.sentence_order(outputs["pooled_output"])
    return {"sop_logits": logits, "sop_log_probs": tf.nn.log_softmax(logits, axis=-1)}

  def signatures(self):
    """{signature name: concrete function} for tf.saved_model.save, in table order."""
    return signature_table.concrete_functions(self, signature_table.SIGNATURES)
