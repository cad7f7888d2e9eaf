"""The paper's parameter-sharing claims, checked on the built layers."""
import pytest
import tensorflow as tf

from albert_tf.configs import AlbertConfig
from albert_tf.encoder import AlbertEncoder
from albert_tf.layers.shared_encoder_stack import SharedEncoderStack

H, F = 32, 64
ATTENTION_PARAMS = 4 * (H * H + H) + 2 * H   # q, k, v, output dense + LayerNorm
FFN_PARAMS = H * F + F + F * H + H + 2 * H    # two dense + LayerNorm


def _stack(**changes):
  cfg = AlbertConfig.from_preset("albert_tiny").replace(**changes)
  stack = SharedEncoderStack(cfg)
  outs = stack(tf.random.normal([2, 5, H]), tf.ones([2, 5], tf.int32))
  return stack, outs


@pytest.mark.parametrize("share,attention_copies,ffn_copies", [
    ("all", 1, 1), ("attention", 1, 6), ("ffn", 6, 1), ("none", 6, 6)])
def test_sharing_modes_parameter_counts(share, attention_copies, ffn_copies):
  stack, outs = _stack(num_hidden_layers=6, share_parameters=share)
  assert len(outs) == 6
  assert stack.count_params() == attention_copies * ATTENTION_PARAMS + ffn_copies * FFN_PARAMS
  assert len(stack.attention_sublayers) == attention_copies
  assert len(stack.ffn_sublayers) == ffn_copies


@pytest.mark.parametrize("layers", [1, 3, 12])
def test_full_sharing_count_independent_of_depth(layers):
  stack, outs = _stack(num_hidden_layers=layers)
  assert stack.count_params() == ATTENTION_PARAMS + FFN_PARAMS
  assert len(outs) == layers


def test_groups_and_inner_groups_follow_official_assignment():
  # L=4, 2 groups, 2 inner blocks: layers 0,1 → group 0; 2,3 → group 1; 8 block applications.
  stack, outs = _stack(num_hidden_layers=4, num_hidden_groups=2, inner_group_num=2)
  assert len(outs) == 8
  scopes = [dict((id(layer), key) for key, layer in stack.attention_sublayers)[id(b.attention)][0]
            for b in stack.blocks]
  assert scopes == ["group_0/inner_group_0", "group_0/inner_group_1"] * 2 + [
      "group_1/inner_group_0", "group_1/inner_group_1"] * 2
  assert stack.count_params() == 4 * (ATTENTION_PARAMS + FFN_PARAMS)


def test_groups_need_not_divide_layers():
  # L=5, G=2 (valid in the official code and HF): layer l uses group int(l / 5 * 2).
  stack, outs = _stack(num_hidden_layers=5, num_hidden_groups=2)
  assert len(outs) == 5
  scopes = [dict((id(layer), key) for key, layer in stack.attention_sublayers)[id(b.attention)][0]
            for b in stack.blocks]
  assert scopes == ["group_0/inner_group_0"] * 3 + ["group_1/inner_group_0"] * 2
  assert stack.count_params() == 2 * (ATTENTION_PARAMS + FFN_PARAMS)
  # param_table counts the built model: two groups' blocks, however many layers.
  cfg = AlbertConfig.from_preset("albert_tiny")
  assert (AlbertEncoder(cfg.replace(num_hidden_layers=5, num_hidden_groups=2))
          .ensure_built().count_params()
          == AlbertEncoder(cfg.replace(num_hidden_layers=2, num_hidden_groups=2))
          .ensure_built().count_params())


def test_group_rule_is_the_official_float_expression():
  # int(l / L * G) exactly, float rounding included: with L = G = 22 layer 15 computes
  # 15 / 22 * 22 = 14.999..., so the official model runs group 14 there and has no group 15.
  cfg = AlbertConfig.from_preset("albert_tiny").replace(num_hidden_layers=22,
                                                         num_hidden_groups=22)
  assert [cfg.group_of_layer(l) for l in (14, 15, 16)] == [14, 14, 16]
  assert [cfg.group_of_layer(l) for l in range(5)] == [0, 1, 2, 3, 4]


def test_shared_layer_is_the_same_object_every_application():
  stack, _ = _stack(num_hidden_layers=3)
  assert len({id(b.attention) for b in stack.blocks}) == 1
  assert len({id(b.feed_forward) for b in stack.blocks}) == 1
  # And applying it changes the activations each time (it is really re-applied).
  _, outs = _stack(num_hidden_layers=3)
  assert float(tf.reduce_max(tf.abs(outs[0] - outs[2]))) > 1e-4


def test_factorized_embedding_counts_and_projection():
  cfg = AlbertConfig.from_preset("albert_tiny")
  enc = AlbertEncoder(cfg).ensure_built()
  V, E, P, T = cfg.vocab_size, cfg.embedding_size, cfg.max_position_embeddings, cfg.type_vocab_size
  assert enc.embeddings.count_params() == V * E + P * E + T * E + 2 * E + E * H + H
  no_proj = AlbertEncoder(cfg.replace(embedding_size=H)).ensure_built()
  assert no_proj.embeddings.projection is None
  assert no_proj.embeddings.count_params() == (V + P + T) * H + 2 * H


def test_recompute_gives_identical_gradients():
  from albert_tf.pretrainer import AlbertPretrainer
  cfg = AlbertConfig.from_preset("albert_tiny").replace(vocab_size=50, num_hidden_layers=3)
  plain, recomputed = AlbertPretrainer(cfg).ensure_built(), AlbertPretrainer(
      cfg, recompute=True).ensure_built()
  recomputed.set_weights(plain.get_weights())
  inputs = {"input_word_ids": tf.constant([[2, 7, 8, 9, 3, 0]]),
            "input_mask": tf.constant([[1, 1, 1, 1, 1, 0]]),
            "masked_lm_positions": tf.constant([[1, 3]])}

  def grads(model):
    with tf.GradientTape() as tape:
      out = model(inputs, training=True)
      loss = tf.reduce_sum(out["mlm_logits"]) + tf.reduce_sum(out["sop_logits"])
    return tape.gradient(loss, model.trainable_variables)

  for a, b in zip(grads(plain), grads(recomputed)):
    a = tf.convert_to_tensor(a)
    b = tf.convert_to_tensor(b)
    assert float(tf.reduce_max(tf.abs(a - b))) < 1e-6
