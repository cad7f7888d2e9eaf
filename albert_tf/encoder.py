"""AlbertEncoder: factorized embeddings → shared Transformer stack → pooler.

Inputs and outputs use the TF Hub BERT-family names (docs/serving_reference.md C8):
  inputs  {"input_word_ids": int32 [B,T], "input_mask": int32 [B,T],
           "input_type_ids": int32 [B,T]}  (mask defaults to ones, type ids to zeros)
  outputs {"sequence_output": [B,T,H], "pooled_output": [B,H],
           "encoder_outputs": list of L × inner_group_num tensors [B,T,H],
           "default": pooled_output}

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> enc = AlbertEncoder(AlbertConfig.from_preset("albert_tiny"))
    >>> out = enc({"input_word_ids": tf.ones([2, 7], tf.int32)})
    >>> out["sequence_output"].shape, out["pooled_output"].shape, len(out["encoder_outputs"])
    (TensorShape([2, 7, 32]), TensorShape([2, 32]), 2)
"""
import tensorflow as tf
import tf_keras

from albert_tf import configs
from albert_tf.layers.factorized_embedding import FactorizedEmbedding
from albert_tf.layers.pooler import Pooler
from albert_tf.layers.shared_encoder_stack import SharedEncoderStack


class AlbertEncoder(tf_keras.Model):
  """The ALBERT encoder (no pretraining heads). See the module docstring for shapes.

  Args:
    config: an AlbertConfig (or its dict).
    recompute: recompute each block's activations in the backward pass (less memory for
      long sequences / big models, ~1 extra forward of compute); training only. Refused
      (errors.UserError) with dropout > 0: the recomputation would draw new dropout masks.
  """

  def __init__(self, config, recompute=False, **kwargs):
    super().__init__(name=kwargs.pop("name", "albert_encoder"), **kwargs)
    self.config = config = configs.as_config(config)
    # === Layers ===
    self.embeddings = FactorizedEmbedding(config)
    self.transformer = SharedEncoderStack(config, recompute=recompute)
    self.pooler = Pooler(config)

  def call(self, inputs, training=None):
    word_ids = tf.cast(inputs["input_word_ids"], tf.int32)
    mask = inputs.get("input_mask")
    mask = tf.ones_like(word_ids) if mask is None else tf.cast(mask, tf.int32)
    type_ids = inputs.get("input_type_ids")
    type_ids = tf.zeros_like(word_ids) if type_ids is None else tf.cast(type_ids, tf.int32)
    x = self.embeddings(word_ids, type_ids, training=training)
    encoder_outputs = self.transformer(x, mask, training=training)
    sequence_output = encoder_outputs[-1]
    pooled_output = self.pooler(sequence_output)
    return {"sequence_output": sequence_output, "pooled_output": pooled_output,
            "encoder_outputs": encoder_outputs, "default": pooled_output}

  def ensure_built(self):
    """Creates all variables (a call on a [1,2] dummy batch); returns self."""
    if not self.built:
      self({"input_word_ids": tf.zeros([1, 2], tf.int32)})
    return self

  def get_embedding_table(self):
    return self.embeddings.word_embeddings

  def get_config(self):
    return {"config": self.config.to_dict(), "name": self.name,
            "recompute": self.transformer.recompute}

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)
