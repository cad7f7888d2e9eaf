"""Post-LN feed-forward sublayer (official `attention_ffn_block`, second half).

  out = LayerNorm(dropout(Dense F→H(act(Dense H→F(x)))) + x)          [B,T,H]

With the official "gelu" (tanh approximation) as `hidden_act`. F = intermediate_size.

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> FeedForward(AlbertConfig.from_preset("albert_tiny"))(tf.zeros([2, 5, 32])).shape
    TensorShape([2, 5, 32])
"""
import tensorflow as tf
import tf_keras

from albert_tf import configs
from albert_tf.layers import initializers
from albert_tf.layers import activations


class FeedForward(tf_keras.layers.Layer):
  """Dense H→F with activation, Dense F→H, dropout, residual, LayerNorm.

  Output [B,T,H] in the compute dtype (bfloat16 under mixed_bfloat16); LayerNorm runs in float32.
  """

  def __init__(self, config, **kwargs):
    super().__init__(name=kwargs.pop("name", "ffn"), **kwargs)
    self.config = config = configs.as_config(config)
    self.intermediate = tf_keras.layers.Dense(
        config.intermediate_size, activation=activations.get_activation(config.hidden_act),
        kernel_initializer=initializers.truncated_normal(config), name="intermediate")
    self.output_dense = tf_keras.layers.Dense(
        config.hidden_size, kernel_initializer=initializers.truncated_normal(config), name="output_dense")
    self.dropout = tf_keras.layers.Dropout(config.hidden_dropout_prob)
    self.layer_norm = tf_keras.layers.LayerNormalization(
        axis=-1, epsilon=config.layer_norm_eps, dtype="float32", name="LayerNorm_1")

  def call(self, x, training=None):
    x2d = tf.reshape(x, [-1, self.config.hidden_size])  # [B·T,H]: see SelfAttention.call
    out = self.dropout(self.output_dense(self.intermediate(x2d)), training=training)
    out = self.layer_norm(tf.cast(out, tf.float32) + tf.cast(x2d, tf.float32))
    return tf.reshape(tf.cast(out, self.compute_dtype), tf.shape(x))

  def get_config(self):
    return {**super().get_config(), "config": self.config.to_dict()}
