"""The TF Hub encoder SavedModel (TF2 BERT-family interface).

Conventions: docs/serving_reference.md C8, docs/albert_reference.md §6.2.

Saved object, a "reusable SavedModel" as hub.KerasLayer expects:
  encoder(inputs, training=False)   inputs {"input_word_ids", "input_mask",
                                    "input_type_ids"}: int32 [B,T], any T ≤
                                    max_position_embeddings →
                                    {"sequence_output": float32 [B,T,H],
                                     "pooled_output": float32 [B,H], "default": = pooled,
                                     "encoder_outputs": list of L float32 [B,T,H]}
  encoder.mlm(inputs, training=False)   the same inputs + "masked_lm_positions" int32 [B,P]
                                    → the same outputs + "mlm_logits" float32 [B,P,V]
                                    (only with with_mlm=True)
  .variables, .trainable_variables, .regularization_losses (empty)
  signature serving_default         the three inputs → pooled_output, sequence_output,
                                    default (no list outputs in signatures)

Both `training` values are traced: training=True runs dropout (hub.KerasLayer forwards the
flag only when trainable=True). The Keras model itself is not saved as a Keras object (no
per-layer traces): the functions close over it and the variables are tracked as lists, so
the export is small and quick.
"""
import tensorflow as tf

AutoTrackable = tf.__internal__.tracking.AutoTrackable
_IDS = tf.TensorSpec([None, None], tf.int32)
ENCODER_INPUTS = {"input_word_ids": _IDS, "input_mask": _IDS, "input_type_ids": _IDS}
MLM_INPUTS = {**ENCODER_INPUTS, "masked_lm_positions": tf.TensorSpec([None, None], tf.int32)}


def _reusable(obj, fn, input_spec, variables, trainable_variables):
  """Sets __call__ (traced for training False/True) and the variable lists on `obj`."""
  obj.__call__ = tf.function(fn)
  for training in (False, True):
    obj.__call__.get_concrete_function(input_spec, training=training)
  obj.variables = list(variables)
  obj.trainable_variables = list(trainable_variables)
  obj.regularization_losses = []


class HubEncoder(AutoTrackable):
  """Wraps a built AlbertPretrainer's encoder (and MLM head) for `tf.saved_model.save`."""

  def __init__(self, pretrainer, with_mlm=False):
    encoder = pretrainer.encoder

    def call(inputs, training=False):
      return encoder(dict(inputs), training=training)

    _reusable(self, call, ENCODER_INPUTS, encoder.variables, encoder.trainable_variables)
    if with_mlm:
      head = pretrainer.masked_lm

      def call_mlm(inputs, training=False):
        outputs = dict(encoder(dict(inputs), training=training))
        outputs["mlm_logits"] = head(outputs["sequence_output"], inputs["masked_lm_positions"],
                                     training=training)
        return outputs

      mlm = AutoTrackable()
      variables = encoder.variables + head.variables
      _reusable(mlm, call_mlm, MLM_INPUTS, variables,
                encoder.trainable_variables + head.trainable_variables)
      self.mlm = mlm

  def serving_signature(self):
    @tf.function(input_signature=[_IDS, _IDS, _IDS])
    def serve(input_word_ids, input_mask, input_type_ids):
      out = self.__call__({"input_word_ids": input_word_ids, "input_mask": input_mask,
                           "input_type_ids": input_type_ids}, training=False)
      return {k: out[k] for k in ("pooled_output", "sequence_output", "default")}
    return serve.get_concrete_function()


def save_encoder(hub_encoder, export_dir):
  tf.saved_model.save(hub_encoder, export_dir,
                      signatures={"serving_default": hub_encoder.serving_signature()})
