"""Factorized embedding (paper §3.1): V×E word table, then an E→H projection.

Shape legend: B batch, T sequence length, V vocab, E embedding size, H hidden size.

  word (V×E)[ids] + type (types×E)[type_ids] + position (max_pos×E)[:T]
    → LayerNorm(eps) → dropout → Dense E→H (only when E ≠ H)          [B,T,H]

Parameters: V·E + types·E + max_pos·E + 2E (+ E·H + H when E ≠ H). For albert_base
(V=30000, E=128, H=768): 3,906,048 + 99,072. Variable names follow the official TF1
scopes (`bert/embeddings/...`, `bert/encoder/embedding_hidden_mapping_in`).

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> layer = FactorizedEmbedding(AlbertConfig.from_preset("albert_tiny"))
    >>> layer(tf.ones([2, 5], tf.int32), tf.zeros([2, 5], tf.int32)).shape
    TensorShape([2, 5, 32])
"""
import tensorflow as tf
import tf_keras

from albert_tf import configs
from albert_tf.layers import initializers


class FactorizedEmbedding(tf_keras.layers.Layer):
  """Word + type + position embeddings of width E, LayerNorm, dropout, E→H projection.

  Output [B,T,H] in the compute dtype (bfloat16 under mixed_bfloat16); LayerNorm runs in float32.
  """

  def __init__(self, config, **kwargs):
    super().__init__(name=kwargs.pop("name", "embeddings"), **kwargs)
    self.config = config = configs.as_config(config)
    self.layer_norm = tf_keras.layers.LayerNormalization(
        axis=-1, epsilon=config.layer_norm_eps, dtype="float32", name="LayerNorm")
    self.dropout = tf_keras.layers.Dropout(config.hidden_dropout_prob)
    self.projection = None
    if config.embedding_size != config.hidden_size:
      self.projection = tf_keras.layers.Dense(
          config.hidden_size, kernel_initializer=initializers.truncated_normal(config),
          name="embedding_hidden_mapping_in")

  def build(self, input_shape):
    c = self.config
    self.word_embeddings = self.add_weight(
        "word_embeddings", [c.vocab_size, c.embedding_size], initializer=initializers.truncated_normal(c))
    self.token_type_embeddings = self.add_weight(
        "token_type_embeddings", [c.type_vocab_size, c.embedding_size], initializer=initializers.truncated_normal(c))
    self.position_embeddings = self.add_weight(
        "position_embeddings", [c.max_position_embeddings, c.embedding_size],
        initializer=initializers.truncated_normal(c))
    super().build(input_shape)

  def call(self, input_word_ids, input_type_ids, training=None):
    seq_len = tf.shape(input_word_ids)[1]
    x = tf.gather(self.word_embeddings, input_word_ids)
    x += tf.gather(self.token_type_embeddings, input_type_ids)
    x += self.position_embeddings[tf.newaxis, :seq_len, :]
    x = self.layer_norm(x)
    x = self.dropout(x, training=training)
    x = tf.cast(x, self.compute_dtype)
    if self.projection is not None:
      x = self.projection(x)
    return x

  def get_config(self):
    return {**super().get_config(), "config": self.config.to_dict()}
