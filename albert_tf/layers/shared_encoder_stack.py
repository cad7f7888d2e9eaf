"""The ALBERT layer stack with cross-layer parameter sharing (paper §3.1, official code).

num_hidden_layers (L) layer applications; layer l uses group g = int(l / L × groups)
(official rule) and runs that group's `inner_group_num` blocks in order, so the stack
applies L × inner_group_num blocks and returns every block output.

What a block owns depends on `config.share_parameters` (the paper's Table 4 ablation):
  all        attention and FFN belong to (group, inner) — the official behaviour;
  attention  attention belongs to (group, inner); FFN to (layer, inner);
  ffn        FFN belongs to (group, inner); attention to (layer, inner);
  none       both belong to (layer, inner) — BERT.

Each sublayer records where it lives in the official TF1 naming, as `(scope, index)`:
scope "group_{g}/inner_group_{i}" and index 1 for shared sublayers (TF1's
`attention_1`/`ffn_1`); for per-layer sublayers index l+1 under the group scope
(`attention_{l+1}`, the naming the official `--init_from_group0` remap expects), except
mode "none", which is exactly a TF1 model with num_hidden_groups = L.

`recompute=True` keeps only each block's input for the backward pass and recomputes the
block's activations there (tf.recompute_grad): activation memory falls from O(L·T·(H+F+N·T))
to O(L·T·H), for about one extra forward pass of compute. Gradients are unchanged; with
dropout they would not be (the recomputation draws new masks), so recompute with dropout > 0
is refused (configs.recompute_check).

Example:
    >>> import tensorflow as tf
    >>> from albert_tf.configs import AlbertConfig
    >>> stack = SharedEncoderStack(AlbertConfig.from_preset("albert_tiny"))
    >>> outs = stack(tf.zeros([2, 5, 32]), tf.ones([2, 5], tf.int32))
    >>> len(outs), len(stack.attention_sublayers)
    (2, 1)
"""
import tensorflow as tf
import tf_keras

from albert_tf import configs
from albert_tf.layers.feed_forward import FeedForward
from albert_tf.layers.self_attention import SelfAttention
from albert_tf.layers.transformer_block import TransformerBlock


class SharedEncoderStack(tf_keras.layers.Layer):
  """Applies L × inner_group_num post-LN blocks with the configured parameter sharing.

  Outputs in the compute dtype (bfloat16 under mixed_bfloat16), as TransformerBlock's.
  """

  def __init__(self, config, recompute=False, **kwargs):
    super().__init__(name=kwargs.pop("name", "transformer"), **kwargs)
    self.config = config = configs.as_config(config)
    if recompute:
      configs.recompute_check(config, "recompute=True")
    self.recompute = recompute
    att_shared, ffn_shared = configs.SHARING[config.share_parameters]
    # Nothing shared is a TF1 model with one group per layer (index 1 everywhere); with
    # partial sharing a per-layer sublayer gets index layer + 1 in its group's scope.
    any_shared = att_shared or ffn_shared
    attention, ffn = {}, {}
    self.blocks = []
    for layer in range(config.num_hidden_layers):
      group = config.group_of_layer(layer) if any_shared else layer
      per_layer = layer + 1 if any_shared else 1
      for inner in range(config.inner_group_num):
        scope = f"group_{group}/inner_group_{inner}"
        att_key = (scope, 1 if att_shared else per_layer)
        ffn_key = (scope, 1 if ffn_shared else per_layer)
        if att_key not in attention:
          attention[att_key] = SelfAttention(config, name=_name("attention", att_key))
        if ffn_key not in ffn:
          ffn[ffn_key] = FeedForward(config, name=_name("ffn", ffn_key))
        self.blocks.append(TransformerBlock(attention[att_key], ffn[ffn_key],
                                            name=f"layer_{layer}_inner_{inner}"))
    # [((scope, index), layer)] in creation order; the checkpoint converters read these.
    self.attention_sublayers = list(attention.items())
    self.ffn_sublayers = list(ffn.items())

  def call(self, x, attention_mask, training=None):
    """x: [B,T,H] → list of L × inner_group_num tensors [B,T,H]."""
    outputs = []
    for block in self.blocks:
      if self.recompute and training:
        if not block.built:  # variables must exist before recompute_grad traces the block
          block(x, attention_mask, training=training)
        # The int mask is captured, not passed: recompute_grad watches only float inputs.
        x = tf.recompute_grad(
            lambda h, block=block: block(h, attention_mask, training=training))(x)
      else:
        x = block(x, attention_mask, training=training)
      outputs.append(x)
    return outputs

  def get_config(self):
    return {**super().get_config(), "config": self.config.to_dict(), "recompute": self.recompute}


def _name(kind, key):
  scope, index = key
  return f"{scope.replace('/', '_')}_{kind}_{index}"
