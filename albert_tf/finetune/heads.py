"""Fine-tuning models: the encoder plus the official heads (docs/albert_reference.md §9).

Shapes: B batch, T sequence length, H hidden size, C choices (4), K start_n_top,
Ke end_n_top. Every model takes the encoder's input dict and returns float32 tensors.

  ClassifierModel   pooled [B,H] → dropout 0.1 → dense [H,num_labels] → logits [B,num_labels]
                    (STS-B: num_labels = 1, a regression output)
  SquadV1Model      sequence [B,T,H] → dense [H,2] → start_logits, end_logits [B,T]
  SquadV2Model      XLNet-style: start logits; end logits conditioned on the start token
                    (concat → dense H tanh → LayerNorm → dense 1); answerability logit from
                    [start-prob-weighted h ; CLS h] → dense H tanh → dropout → dense 1 (no bias);
                    training uses the gold start, inference a start_n_top × end_n_top beam
  MultipleChoiceModel  inputs [B,C,T] → encoder on [B·C,T] → pooled → dropout → dense 1 →
                    logits [B,C]

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> from albert_tf.encoder import AlbertEncoder
    >>> enc = AlbertEncoder(AlbertConfig.from_preset("albert_tiny").replace(vocab_size=100))
    >>> model = ClassifierModel(enc, num_labels=3)
    >>> model({"input_word_ids": tf.ones([2, 6], tf.int32)}).shape
    TensorShape([2, 3])
"""
import tensorflow as tf
import tf_keras

NEG_INF = -1e30


def _init(stddev=0.02):
  return tf_keras.initializers.TruncatedNormal(stddev=stddev)


def _encoder_inputs(inputs):
  return {k: inputs[k] for k in ("input_word_ids", "input_mask", "input_type_ids")
          if k in inputs}


class ClassifierModel(tf_keras.Model):
  """GLUE head (official classifier_utils.create_model). See the module docstring."""

  def __init__(self, encoder, num_labels, dropout_rate=0.1, **kwargs):
    super().__init__(name=kwargs.pop("name", "classifier"), **kwargs)
    self.encoder = encoder
    self.num_labels = num_labels
    self.dropout = tf_keras.layers.Dropout(dropout_rate)
    self.output_dense = tf_keras.layers.Dense(num_labels, kernel_initializer=_init(),
                                              name="output", dtype="float32")

  def call(self, inputs, training=None):
    pooled = self.encoder(_encoder_inputs(inputs), training=training)["pooled_output"]
    pooled = self.dropout(tf.cast(pooled, tf.float32), training=training)
    return self.output_dense(pooled)


class MultipleChoiceModel(tf_keras.Model):
  """RACE head (official race_utils): one score per [CLS] article [SEP] qa [SEP] choice."""

  def __init__(self, encoder, num_choices=4, dropout_rate=0.1, **kwargs):
    super().__init__(name=kwargs.pop("name", "multiple_choice"), **kwargs)
    self.encoder = encoder
    self.num_choices = num_choices
    self.dropout = tf_keras.layers.Dropout(dropout_rate)
    self.output_dense = tf_keras.layers.Dense(1, kernel_initializer=_init(), name="output",
                                              dtype="float32")

  def call(self, inputs, training=None):
    flat = {}
    for key, value in _encoder_inputs(inputs).items():
      flat[key] = tf.reshape(value, [-1, tf.shape(value)[-1]])        # [B·C, T]
    pooled = self.encoder(flat, training=training)["pooled_output"]
    pooled = self.dropout(tf.cast(pooled, tf.float32), training=training)
    return tf.reshape(self.output_dense(pooled), [-1, self.num_choices])   # [B, C]


class SquadV1Model(tf_keras.Model):
  """SQuAD v1.1 head (official create_v1_model): dense [H,2] on every token."""

  def __init__(self, encoder, **kwargs):
    super().__init__(name=kwargs.pop("name", "squad_v1"), **kwargs)
    self.encoder = encoder
    self.span_dense = tf_keras.layers.Dense(2, kernel_initializer=_init(), name="output",
                                            dtype="float32")

  def call(self, inputs, training=None):
    sequence = self.encoder(_encoder_inputs(inputs), training=training)["sequence_output"]
    logits = self.span_dense(tf.cast(sequence, tf.float32))              # [B,T,2]
    return {"start_logits": logits[..., 0], "end_logits": logits[..., 1]}


def _mask_logits(logits, p_mask):
  """logits·(1 − p) − 1e30·p: masked positions (query, [SEP], padding) get −1e30."""
  p_mask = tf.cast(p_mask, tf.float32)
  return logits * (1.0 - p_mask) + NEG_INF * p_mask


class SquadV2Model(tf_keras.Model):
  """SQuAD v2.0 head of the official ALBERT (create_v2_model, from XLNet).

  Inputs: encoder inputs + "p_mask" [B,T] (1 = may not be an answer token), and, in
  training, "start_positions" [B]. Outputs in training: start_logits, end_logits [B,T],
  cls_logits [B]; at inference: start_top_log_probs/start_top_index [B,K],
  end_top_log_probs/end_top_index [B,K,Ke], cls_logits [B].
  """

  def __init__(self, encoder, hidden_size, start_n_top=5, end_n_top=5, dropout_rate=0.1,
               layer_norm_eps=1e-12, **kwargs):
    super().__init__(name=kwargs.pop("name", "squad_v2"), **kwargs)
    self.encoder = encoder
    self.start_n_top, self.end_n_top = start_n_top, end_n_top
    # float32 like every head here (the sequence is cast first): under mixed_float16 a
    # float16 Dense would meet the float32 p_mask in _mask_logits.
    def dense(units, name, **kwargs):
      return tf_keras.layers.Dense(units, kernel_initializer=_init(), name=name,
                                   dtype="float32", **kwargs)

    self.start_dense = dense(1, "start_logits")
    self.end_dense_0 = dense(hidden_size, "end_dense_0", activation="tanh")
    self.end_norm = tf_keras.layers.LayerNormalization(epsilon=layer_norm_eps, name="end_norm",
                                                       dtype="float32")
    self.end_dense_1 = dense(1, "end_dense_1")
    self.answer_dense_0 = dense(hidden_size, "answer_class_dense_0", activation="tanh")
    self.answer_dropout = tf_keras.layers.Dropout(dropout_rate, dtype="float32")
    self.answer_dense_1 = dense(1, "answer_class_dense_1", use_bias=False)

  def _end_logits(self, sequence, start_features):
    """sequence, start_features [B,T,H] or [B,K,T,H] → end logits [B,T] or [B,K,T]."""
    x = tf.concat([sequence, start_features], axis=-1)
    shape = tf.shape(x)
    x = tf.reshape(x, [-1, shape[-2], x.shape[-1]])        # rank 3 for LayerNorm's axis
    logits = self.end_dense_1(self.end_norm(self.end_dense_0(x)))[..., 0]
    return tf.reshape(logits, shape[:-1])

  def call(self, inputs, training=None):
    sequence = self.encoder(_encoder_inputs(inputs), training=training)["sequence_output"]
    sequence = tf.cast(sequence, tf.float32)                               # [B,T,H]
    p_mask = tf.cast(inputs["p_mask"], tf.float32)                          # [B,T]
    seq_len = tf.shape(sequence)[1]
    start_logits = _mask_logits(self.start_dense(sequence)[..., 0], p_mask)  # [B,T]

    # Answerability: [Σ_t softmax(start)_t · h_t ; h_CLS] → cls_logits [B].
    start_probs = tf.nn.softmax(start_logits, axis=-1)
    start_summary = tf.einsum("bt,bth->bh", start_probs, sequence)
    cls_input = tf.concat([start_summary, sequence[:, 0]], axis=-1)
    cls_hidden = self.answer_dropout(self.answer_dense_0(cls_input), training=training)
    cls_logits = self.answer_dense_1(cls_hidden)[..., 0]

    if "start_positions" in inputs:
      # End logits conditioned on the gold start token.
      start_h = tf.gather(sequence, tf.cast(inputs["start_positions"], tf.int32),
                          batch_dims=1)                                      # [B,H]
      start_h = tf.tile(start_h[:, None, :], [1, seq_len, 1])               # [B,T,H]
      end_logits = _mask_logits(self._end_logits(sequence, start_h), p_mask)
      return {"start_logits": start_logits, "end_logits": end_logits, "cls_logits": cls_logits}

    # Inference beam: top-K starts, then the top-Ke ends for each start.
    start_log_probs = tf.nn.log_softmax(start_logits, axis=-1)
    k = tf.minimum(self.start_n_top, seq_len)
    start_top_log_probs, start_top_index = tf.math.top_k(start_log_probs, k=k)   # [B,K]
    start_h = tf.gather(sequence, start_top_index, batch_dims=1)            # [B,K,H]
    tiled_seq = tf.tile(sequence[:, None], [1, k, 1, 1])                    # [B,K,T,H]
    tiled_start = tf.tile(start_h[:, :, None, :], [1, 1, seq_len, 1])       # [B,K,T,H]
    end_logits = _mask_logits(self._end_logits(tiled_seq, tiled_start), p_mask[:, None, :])
    end_log_probs = tf.nn.log_softmax(end_logits, axis=-1)                  # [B,K,T]
    end_top_log_probs, end_top_index = tf.math.top_k(
        end_log_probs, k=tf.minimum(self.end_n_top, seq_len))               # [B,K,Ke]
    return {"start_top_log_probs": start_top_log_probs, "start_top_index": start_top_index,
            "end_top_log_probs": end_top_log_probs, "end_top_index": end_top_index,
            "cls_logits": cls_logits}


def squad_v1_loss(outputs, batch):
  """Per-example (CE(start) + CE(end)) / 2 (official v1)."""
  start = tf.nn.sparse_softmax_cross_entropy_with_logits(
      tf.cast(batch["start_positions"], tf.int32), outputs["start_logits"])
  end = tf.nn.sparse_softmax_cross_entropy_with_logits(
      tf.cast(batch["end_positions"], tf.int32), outputs["end_logits"])
  return (start + end) / 2.0


def squad_v2_loss(outputs, batch):
  """Per-example (CE(start) + CE(end)) / 2 + 0.5 · BCE(cls_logits, is_impossible)."""
  span = squad_v1_loss(outputs, batch)
  answerability = tf.nn.sigmoid_cross_entropy_with_logits(
      tf.cast(batch["is_impossible"], tf.float32), outputs["cls_logits"])
  return span + 0.5 * answerability


def classification_loss(logits, batch):
  """Per-example softmax cross-entropy of logits [B,C] against batch["label"] [B] (GLUE, RACE)."""
  return tf.nn.sparse_softmax_cross_entropy_with_logits(batch["label"], logits)


def regression_loss(logits, batch):
  """Per-example squared error of logits[:, 0] against the float batch["label"] [B] (STS-B)."""
  return tf.square(logits[:, 0] - tf.cast(batch["label"], tf.float32))
