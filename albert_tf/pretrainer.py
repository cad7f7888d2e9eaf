"""AlbertPretrainer: encoder + masked-LM head + sentence-order head (official model_fn).

Inputs: the encoder inputs plus "masked_lm_positions" int32 [B,P].
Outputs: {"mlm_logits": float32 [B,P,V], "sop_logits": float32 [B,2],
          "sequence_output": [B,T,H], "pooled_output": [B,H]}.

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> model = AlbertPretrainer(AlbertConfig.from_preset("albert_tiny"))
    >>> out = model({"input_word_ids": tf.ones([2, 8], tf.int32),
    ...              "masked_lm_positions": tf.constant([[1, 2], [3, 0]])})
    >>> out["mlm_logits"].shape, out["sop_logits"].shape
    (TensorShape([2, 2, 30000]), TensorShape([2, 2]))
"""
import tensorflow as tf
import tf_keras

from albert_tf import configs
from albert_tf.encoder import AlbertEncoder
from albert_tf.layers.masked_lm_head import MaskedLMHead
from albert_tf.layers.sentence_order_head import SentenceOrderHead


class AlbertPretrainer(tf_keras.Model):
  """ALBERT with its two pretraining heads (MLM tied to the word table, SOP)."""

  def __init__(self, config, recompute=False, **kwargs):
    super().__init__(name=kwargs.pop("name", "albert_pretrainer"), **kwargs)
    self.config = config = configs.as_config(config)
    # === Layers ===
    self.encoder = AlbertEncoder(config, recompute=recompute)
    self.masked_lm = MaskedLMHead(config, embedding_table=self.encoder.get_embedding_table)
    self.sentence_order = SentenceOrderHead(config)

  def call(self, inputs, training=None):
    outputs = self.encoder(inputs, training=training)
    positions = inputs["masked_lm_positions"]
    return {
        "mlm_logits": self.masked_lm(outputs["sequence_output"], positions),
        "sop_logits": self.sentence_order(outputs["pooled_output"]),
        "sequence_output": outputs["sequence_output"],
        "pooled_output": outputs["pooled_output"],
    }

  def ensure_built(self):
    """Creates all variables (a call on a dummy batch); returns self."""
    if not self.built:
      self({"input_word_ids": tf.zeros([1, 2], tf.int32),
            "masked_lm_positions": tf.zeros([1, 1], tf.int32)})
    return self

  def get_config(self):
    return {"config": self.config.to_dict(), "name": self.name,
            "recompute": self.encoder.transformer.recompute}

  @classmethod
  def from_config(cls, config, custom_objects=None):
    return cls(**config)
