"""Every Keras layer in albert_tf/layers/ through the shared checks of layer_harness.py.

A new layer class fails test_every_layer_has_a_case until it gets a row in CASES.
"""
import importlib
import inspect
import pathlib

import pytest
import tensorflow as tf
import tf_keras

from albert_tf.configs import AlbertConfig
from albert_tf.layers.factorized_embedding import FactorizedEmbedding
from albert_tf.layers.feed_forward import FeedForward
from albert_tf.layers.masked_lm_head import MaskedLMHead
from albert_tf.layers.pooler import Pooler
from albert_tf.layers.self_attention import SelfAttention
from albert_tf.layers.sentence_order_head import SentenceOrderHead
from albert_tf.layers.shared_encoder_stack import SharedEncoderStack
from albert_tf.layers.transformer_block import TransformerBlock
from tests.albert_tf.layers import layer_harness as harness
from tests.albert_tf.layers.layer_harness import B, LayerCase

LAYERS_DIR = pathlib.Path(__file__).resolve().parents[3] / "albert_tf" / "layers"
TINY = AlbertConfig.from_preset("albert_tiny")
# E = H (no projection), 2 groups × 2 inner blocks, attention-only sharing: every term of the
# formulas below that albert_tiny leaves at one or zero.
VARIANT = TINY.replace(embedding_size=32, num_hidden_layers=4, num_hidden_groups=2,
                       inner_group_num=2, share_parameters="attention")


# --- parameter counts, from the architecture (paper §3.1; official modeling.py) -------------
def embedding_params(c):
  projection = 0 if c.embedding_size == c.hidden_size else (c.embedding_size + 1) * c.hidden_size
  tables = (c.vocab_size + c.type_vocab_size + c.max_position_embeddings) * c.embedding_size
  return tables + 2 * c.embedding_size + projection  # + LayerNorm γ, β


def attention_params(c):
  return 4 * (c.hidden_size ** 2 + c.hidden_size) + 2 * c.hidden_size  # q, k, v, out + LN


def ffn_params(c):
  return 2 * c.hidden_size * c.intermediate_size + c.intermediate_size + 3 * c.hidden_size


def stack_params(c):
  # A shared sublayer exists once per (group, inner block), an unshared one per (layer, inner).
  shared = c.num_hidden_groups * c.inner_group_num
  per_layer = c.num_hidden_layers * c.inner_group_num
  attention_copies = shared if c.share_parameters in ("all", "attention") else per_layer
  ffn_copies = shared if c.share_parameters in ("all", "ffn") else per_layer
  return attention_copies * attention_params(c) + ffn_copies * ffn_params(c)


def masked_lm_params(c):
  # Dense H→E, LayerNorm, output bias; the V×E table belongs to the embedding layer.
  return c.hidden_size * c.embedding_size + 3 * c.embedding_size + c.vocab_size


def _word_table(c):
  table = tf.Variable(tf.random.stateless_normal([c.vocab_size, c.embedding_size], seed=[1, 2],
                                                 stddev=c.initializer_range))
  return lambda: table  # a callable, as AlbertPretrainer passes it


def _sequence(c):
  return harness.hidden_states(c), harness.attention_mask()


CASES = [
    LayerCase(FactorizedEmbedding, FactorizedEmbedding, harness.word_and_type_ids,
              embedding_params, tf.bfloat16),
    LayerCase(SelfAttention, SelfAttention, _sequence, attention_params, tf.bfloat16),
    LayerCase(FeedForward, FeedForward, lambda c: (harness.hidden_states(c),), ffn_params,
              tf.bfloat16),
    LayerCase(TransformerBlock, lambda c: TransformerBlock(SelfAttention(c), FeedForward(c)),
              _sequence, lambda c: attention_params(c) + ffn_params(c), tf.bfloat16),
    LayerCase(SharedEncoderStack, SharedEncoderStack, _sequence, stack_params, tf.bfloat16),
    LayerCase(Pooler, Pooler, lambda c: (harness.hidden_states(c),),
              lambda c: c.hidden_size ** 2 + c.hidden_size, tf.bfloat16),
    LayerCase(SentenceOrderHead, SentenceOrderHead, lambda c: (harness.hidden_states(c, (B,)),),
              lambda c: 2 * c.hidden_size + 2, tf.float32),
    LayerCase(MaskedLMHead, lambda c: MaskedLMHead(c, embedding_table=_word_table(c)),
              lambda c: (harness.hidden_states(c), tf.constant([[1, 2], [0, 3]])),
              masked_lm_params, tf.float32,
              from_config_extra=lambda layer: {"embedding_table": layer.embedding_table}),
]
_by_name = pytest.mark.parametrize("case", CASES, ids=[case.cls.__name__ for case in CASES])


def _layer_classes():
  """Every Layer subclass defined in albert_tf/layers/*.py (the files on disk)."""
  found = set()
  for path in sorted(LAYERS_DIR.glob("*.py")):
    module = importlib.import_module(f"albert_tf.layers.{path.stem}")
    found |= {cls for _, cls in inspect.getmembers(module, inspect.isclass)
              if issubclass(cls, tf_keras.layers.Layer) and cls.__module__ == module.__name__}
  return found


def test_every_layer_has_a_case():
  assert _layer_classes() == {case.cls for case in CASES}


@pytest.mark.parametrize("cls", sorted(_layer_classes(), key=lambda cls: cls.__name__),
                         ids=lambda cls: cls.__name__)
def test_every_layer_defines_get_config(cls):
  assert "get_config" in vars(cls)


@_by_name
def test_config_round_trip(case):
  harness.check_config_round_trip(case, TINY)


@_by_name
@pytest.mark.parametrize("config", [TINY, VARIANT], ids=["albert_tiny", "variant"])
def test_weight_count(case, config):
  harness.check_weight_count(case, config)


@_by_name
def test_mixed_precision(case):
  harness.check_mixed_precision(case, TINY)


@_by_name
def test_checkpoint_round_trip(case, tmp_path):
  harness.check_checkpoint_round_trip(case, TINY, tmp_path)
