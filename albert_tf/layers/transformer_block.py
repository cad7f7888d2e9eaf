"""One post-LN Transformer block: SelfAttention then FeedForward (BERT/ALBERT layout).

The two sublayers are passed in, so one block object can share either or both with
other blocks; that is how `SharedEncoderStack` implements the paper's sharing modes.

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> from albert_tf.layers.feed_forward import FeedForward
    >>> from albert_tf.layers.self_attention import SelfAttention
    >>> cfg = AlbertConfig.from_preset("albert_tiny")
    >>> block = TransformerBlock(SelfAttention(cfg), FeedForward(cfg))
    >>> block(tf.zeros([2, 5, 32]), tf.ones([2, 5], tf.int32)).shape
    TensorShape([2, 5, 32])
"""
import tf_keras


class TransformerBlock(tf_keras.layers.Layer):
  """x → FeedForward(SelfAttention(x, mask)); sublayers may be shared between blocks."""

  def __init__(self, attention, feed_forward, **kwargs):
    super().__init__(**kwargs)
    self.attention = attention
    self.feed_forward = feed_forward

  def call(self, x, attention_mask, training=None):
    return self.feed_forward(self.attention(x, attention_mask, training=training),
                             training=training)
