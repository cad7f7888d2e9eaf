"""ALBERT masked-LM head (official `get_masked_lm_output`, scope `cls/predictions`).

Shape legend: B batch, P masked positions per sequence, H hidden, E embedding, V vocab.

  h      = gather(sequence_output, masked_lm_positions)                 [B,P,H]
  h      = LayerNorm(act(Dense H→E(h)))                                 [B,P,E]
  logits = h · word_embeddingsᵀ + output_bias                           [B,P,V]

The decoder is tied to the V×E word table (that is why the transform projects H→E);
only the P masked positions are computed, never all T.

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> cfg = AlbertConfig.from_preset("albert_tiny")
    >>> table = tf.Variable(tf.zeros([cfg.vocab_size, cfg.embedding_size]))
    >>> head = MaskedLMHead(cfg, embedding_table=table)
    >>> head(tf.zeros([2, 5, 32]), tf.constant([[1, 2], [0, 0]])).shape
    TensorShape([2, 2, 30000])
"""
import tensorflow as tf
import tf_keras

from albert_tf import configs
from albert_tf.layers import initializers
from albert_tf.layers import activations


class MaskedLMHead(tf_keras.layers.Layer):
  """Gather → Dense H→E + act → LayerNorm → logits against the tied word table.

  Logits [B,P,V] are float32 under every dtype policy (the matmul runs in the compute dtype).
  """

  def __init__(self, config, embedding_table, **kwargs):
    super().__init__(name=kwargs.pop("name", "predictions"), **kwargs)
    self.config = config = configs.as_config(config)
    self.embedding_table = embedding_table  # a tf.Variable [V,E], or a callable returning it
    self.dense = tf_keras.layers.Dense(
        config.embedding_size, activation=activations.get_activation(config.hidden_act),
        kernel_initializer=initializers.truncated_normal(config),
        name="transform_dense")
    self.layer_norm = tf_keras.layers.LayerNormalization(
        axis=-1, epsilon=config.layer_norm_eps, dtype="float32", name="transform_LayerNorm")

  def build(self, input_shape):
    self.output_bias = self.add_weight("output_bias", [self.config.vocab_size],
                                       initializer="zeros", experimental_autocast=False)
    super().build(input_shape)

  def call(self, sequence_output, masked_lm_positions):
    h = tf.gather(sequence_output, tf.cast(masked_lm_positions, tf.int32), batch_dims=1)
    h = self.layer_norm(tf.cast(self.dense(h), tf.float32))
    table = self.embedding_table() if callable(self.embedding_table) else self.embedding_table
    h = tf.cast(h, self.compute_dtype)
    logits = tf.einsum("bpe,ve->bpv", h, tf.cast(table, self.compute_dtype))
    return tf.cast(logits, tf.float32) + self.output_bias

  def get_config(self):
    # The tied table is the embedding layer's variable, not configuration: from_config needs
    # it given back, e.g. MaskedLMHead.from_config({**head.get_config(), "embedding_table": t}).
    return {**super().get_config(), "config": self.config.to_dict()}
