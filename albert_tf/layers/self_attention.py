"""Post-LN multi-head self-attention sublayer (official `attention_ffn_block`, first half).

Shape legend: B batch, T query length, S key length (= T), N heads, D head size, H = N·D.

  q, k, v = Dense H→H (kernels stored [H, N·D] as in TF1, viewed [B,T,N,D])
  scores  = q·kᵀ / sqrt(D) + (1 − mask)·(−10000)                      [B,N,T,S]
  context = dropout(softmax(scores))·v                                  [B,T,N,D]
  out     = LayerNorm(Dense(context) → dropout + x)                     [B,T,H]

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> layer = SelfAttention(AlbertConfig.from_preset("albert_tiny"))
    >>> x = tf.zeros([2, 5, 32])
    >>> layer(x, tf.ones([2, 5], tf.int32)).shape
    TensorShape([2, 5, 32])
"""
import math

import tensorflow as tf
import tf_keras

from albert_tf import configs
from albert_tf.layers import initializers


class SelfAttention(tf_keras.layers.Layer):
  """Self-attention with output projection, residual and LayerNorm (post-LN).

  Output [B,T,H] in the compute dtype (bfloat16 under mixed_bfloat16); softmax and LayerNorm
  run in float32.
  """

  def __init__(self, config, **kwargs):
    super().__init__(name=kwargs.pop("name", "attention"), **kwargs)
    self.config = config = configs.as_config(config)
    dense = lambda name: tf_keras.layers.Dense(  # noqa: E731
        config.hidden_size, kernel_initializer=initializers.truncated_normal(config), name=name)
    self.query, self.key, self.value = dense("query"), dense("key"), dense("value")
    self.output_dense = dense("output_dense")
    self.attention_dropout = tf_keras.layers.Dropout(config.attention_probs_dropout_prob)
    self.output_dropout = tf_keras.layers.Dropout(config.hidden_dropout_prob)
    self.layer_norm = tf_keras.layers.LayerNormalization(
        axis=-1, epsilon=config.layer_norm_eps, dtype="float32", name="LayerNorm")

  def call(self, x, attention_mask, training=None):
    """x: [B,T,H]; attention_mask: [B,T] (1 = real token, 0 = padding)."""
    c = self.config
    batch, seq_len = tf.shape(x)[0], tf.shape(x)[1]
    # Dense layers see [B·T,H] (the official reshape_to_matrix): Keras then emits one
    # MatMul + BiasAdd, which oneDNN fuses, instead of Tensordot's reshapes around them.
    x2d = tf.reshape(x, [-1, c.hidden_size])
    split = lambda t: tf.reshape(  # noqa: E731
        t, [batch, seq_len, c.num_attention_heads, c.head_size])
    q, k, v = split(self.query(x2d)), split(self.key(x2d)), split(self.value(x2d))
    # Scaling q [B,T,N,D] instead of the scores [B,N,T,S] gives the same product without an
    # extra [B,N,T,S] tensor held for the backward pass (T=512, B=16, N=12: 200 MB in fp32
    # per layer application). For D=64 the scale is 1/8, a power of two: bit-identical.
    q = q * tf.cast(1.0 / math.sqrt(c.head_size), q.dtype)
    scores = tf.einsum("btnd,bsnd->bnts", q, k)
    # Padded keys get -10000 (the official constant), broadcast over heads and queries.
    adder = (1.0 - tf.cast(attention_mask[:, tf.newaxis, tf.newaxis, :], tf.float32)) * -10000.0
    probs = tf.nn.softmax(tf.cast(scores, tf.float32) + adder, axis=-1)
    probs = self.attention_dropout(tf.cast(probs, v.dtype), training=training)
    context = tf.reshape(tf.einsum("bnts,bsnd->btnd", probs, v), [-1, c.hidden_size])
    out = self.output_dropout(self.output_dense(context), training=training)
    out = self.layer_norm(tf.cast(out, tf.float32) + tf.cast(x2d, tf.float32))
    return tf.reshape(tf.cast(out, self.compute_dtype), tf.shape(x))

  def get_config(self):
    return {**super().get_config(), "config": self.config.to_dict()}
