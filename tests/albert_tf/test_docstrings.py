"""Runs the `>>>` examples in module docstrings so they stay true."""
import doctest
import importlib

import pytest

MODULES = [
    "albert_tf.configs", "albert_tf.features", "albert_tf.resources", "albert_tf.losses",
    "albert_tf.encoder", "albert_tf.pretrainer", "albert_tf.param_table", "albert_tf.runtime",
    "bench.flops",
    "albert_tf.layers.activations", "albert_tf.layers.factorized_embedding",
    "albert_tf.layers.self_attention", "albert_tf.layers.feed_forward",
    "albert_tf.layers.transformer_block", "albert_tf.layers.shared_encoder_stack",
    "albert_tf.layers.pooler", "albert_tf.layers.masked_lm_head",
    "albert_tf.layers.sentence_order_head",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
  result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
  assert result.attempted > 0, f"{name} has no docstring example"
  assert result.failed == 0
