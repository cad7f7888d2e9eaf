"""BERT/ALBERT pooler: tanh(Dense H→H) of the first token's hidden state.

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> Pooler(AlbertConfig.from_preset("albert_tiny"))(tf.zeros([2, 5, 32])).shape
    TensorShape([2, 32])
"""
import tf_keras

from albert_tf import configs
from albert_tf.layers import initializers


class Pooler(tf_keras.layers.Layer):
  """sequence_output [B,T,H] → pooled_output [B,H] = tanh(W·h_0 + b), in the compute dtype."""

  def __init__(self, config, **kwargs):
    super().__init__(name=kwargs.pop("name", "pooler"), **kwargs)
    self.config = config = configs.as_config(config)
    self.dense = tf_keras.layers.Dense(
        config.hidden_size, activation="tanh", name="dense",
        kernel_initializer=initializers.truncated_normal(config))

  def call(self, sequence_output):
    return self.dense(sequence_output[:, 0, :])

  def get_config(self):
    return {**super().get_config(), "config": self.config.to_dict()}
