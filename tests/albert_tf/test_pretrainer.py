import numpy as np
import tensorflow as tf

from albert_tf.pretrainer import AlbertPretrainer


def test_mlm_head_is_tied_to_word_table_and_gathers_positions(tiny_config):
  model = AlbertPretrainer(tiny_config).ensure_built()
  ids = tf.constant([[2, 40, 41, 42, 3, 0]])
  inputs = {"input_word_ids": ids, "input_mask": tf.constant([[1, 1, 1, 1, 1, 0]]),
            "masked_lm_positions": tf.constant([[1, 3]])}
  out = model(inputs)
  assert out["mlm_logits"].shape == (1, 2, tiny_config.vocab_size)
  assert out["sop_logits"].shape == (1, 2)
  # Recompute the head by hand from the sequence output and the encoder's word table.
  h = tf.gather(out["sequence_output"], [[1, 3]], batch_dims=1)
  h = model.masked_lm.layer_norm(model.masked_lm.dense(h))
  table = model.encoder.embeddings.word_embeddings
  expected = tf.einsum("bpe,ve->bpv", h, table) + model.masked_lm.output_bias
  np.testing.assert_allclose(out["mlm_logits"], expected, atol=1e-5)
  # The table is not duplicated: the pretrainer's weights hold one V×E variable.
  big = [v for v in model.trainable_variables if v.shape == table.shape]
  assert len(big) == 1


def test_sop_head_is_a_single_projection_of_pooled_output(tiny_config):
  model = AlbertPretrainer(tiny_config).ensure_built()
  out = model({"input_word_ids": tf.constant([[2, 9, 3]]), "masked_lm_positions": [[1]]})
  w, b = model.sentence_order.output_weights, model.sentence_order.output_bias
  np.testing.assert_allclose(out["sop_logits"], out["pooled_output"] @ tf.transpose(w) + b,
                             atol=1e-6)
  assert model.sentence_order.count_params() == 2 * tiny_config.hidden_size + 2
