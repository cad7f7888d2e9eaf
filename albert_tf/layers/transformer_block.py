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

from albert_tf.layers.feed_forward import FeedForward
from albert_tf.layers.self_attention import SelfAttention


class TransformerBlock(tf_keras.layers.Layer):
  """x → FeedForward(SelfAttention(x, mask)); sublayers may be shared between blocks.

  Output [B,T,H] in the compute dtype (bfloat16 under mixed_bfloat16), as its sublayers'.
  """

  def __init__(self, attention, feed_forward, **kwargs):
    super().__init__(**kwargs)
    self.attention = attention
    self.feed_forward = feed_forward

  def call(self, x, attention_mask, training=None):
    return self.feed_forward(self.attention(x, attention_mask, training=training),
                             training=training)

  def get_config(self):
    # The sublayers go in by value: a block from from_config owns fresh copies (the stack
    # rebuilds sharing from its own config). Legacy format: no build_config to replay.
    return {**super().get_config(),
            "attention": tf_keras.layers.serialize(self.attention, use_legacy_format=True),
            "feed_forward": tf_keras.layers.serialize(self.feed_forward, use_legacy_format=True)}

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    sublayers = [tf_keras.layers.deserialize(
        config.pop(key), use_legacy_format=True,
        custom_objects={"SelfAttention": SelfAttention, "FeedForward": FeedForward})
        for key in ("attention", "feed_forward")]
    return cls(*sublayers, **config)
