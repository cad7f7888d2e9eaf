"""Sentence-order prediction head (official `get_sentence_order_output`, `cls/seq_relationship`).

  sop_logits = pooled_output · output_weightsᵀ + output_bias              [B,2]

A single [2,H] matrix on the pooled output, no dropout and no extra dense (HF adds
dropout 0.1, tf-models' default head an extra tanh dense; the official code has neither).
Label 1 = segments swapped, 0 = original order.

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> SentenceOrderHead(AlbertConfig.from_preset("albert_tiny"))(tf.zeros([3, 32])).shape
    TensorShape([3, 2])
"""
import tensorflow as tf
import tf_keras

from albert_tf import configs
from albert_tf.layers import initializers


class SentenceOrderHead(tf_keras.layers.Layer):
  """pooled_output [B,H] → sop_logits [B,2], float32 under every dtype policy."""

  def __init__(self, config, **kwargs):
    super().__init__(name=kwargs.pop("name", "seq_relationship"), **kwargs)
    self.config = config = configs.as_config(config)

  def build(self, input_shape):
    self.output_weights = self.add_weight(
        "output_weights", [2, self.config.hidden_size],
        initializer=initializers.truncated_normal(self.config))
    self.output_bias = self.add_weight("output_bias", [2], initializer="zeros",
                                       experimental_autocast=False)
    super().build(input_shape)

  def call(self, pooled_output):
    logits = tf.matmul(pooled_output, tf.cast(self.output_weights, pooled_output.dtype),
                       transpose_b=True)
    return tf.cast(logits, tf.float32) + self.output_bias

  def get_config(self):
    return {**super().get_config(), "config": self.config.to_dict()}
