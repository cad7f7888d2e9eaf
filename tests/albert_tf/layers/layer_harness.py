"""The checks every Keras layer in albert_tf/layers/ gets (keras-hub's run_layer_test, in small).

A layer is described once by a `LayerCase` (how to build it, call it and count its weights);
`test_layers.py` holds the table and runs each check below on every entry:
  - config round trip: get_config is JSON, from_config gives the same config, and with the same
    weights the same output;
  - weight count: count_params equals a formula written from the config, not read off the layer;
  - mixed precision: under mixed_bfloat16 it runs, outputs have the documented dtype, variables
    stay float32, and outputs track the float32 layer's with the same weights;
  - checkpoint round trip: tf.train.Checkpoint save → restore into a fresh layer, same outputs.
"""
import dataclasses
import json
from typing import Any, Callable, Dict

import numpy as np
import tensorflow as tf
import tf_keras

B, T = 2, 5  # batch, sequence length


@dataclasses.dataclass(frozen=True)
class LayerCase:
  """One layer class and what the checks need to know about it.

  make: config → a new, unbuilt layer.
  inputs: config → the positional call arguments (deterministic).
  num_params: config → the expected count_params(), from the architecture's formula.
  output_dtype: dtype of every output under mixed_bfloat16, as the class docstring says.
  from_config_extra: layer → constructor arguments that are not configuration (a tied table).
  """
  cls: type
  make: Callable[[Any], tf_keras.layers.Layer]
  inputs: Callable[[Any], tuple]
  num_params: Callable[[Any], int]
  output_dtype: tf.DType
  from_config_extra: Callable[[tf_keras.layers.Layer], Dict[str, Any]] = lambda layer: {}


# --- inputs ---------------------------------------------------------------------------------
def hidden_states(config, shape=(B, T)):
  return tf.random.stateless_normal([*shape, config.hidden_size], seed=[7, 11])


def attention_mask():
  return tf.constant([[1] * T, [1] * (T - 2) + [0] * 2])  # the second row has two pads


def word_and_type_ids(config):
  word_ids = tf.random.stateless_uniform([B, T], [3, 5], maxval=config.vocab_size, dtype=tf.int32)
  return word_ids, tf.constant([[0] * 3 + [1] * (T - 3)] * B)


# --- checks ---------------------------------------------------------------------------------
def _numpy(outputs):
  return [np.asarray(tf.cast(t, tf.float32)) for t in tf.nest.flatten(outputs)]


def _assert_same(a, b):
  for x, y in zip(_numpy(a), _numpy(b), strict=True):
    np.testing.assert_array_equal(x, y)


def _built(case, config):
  layer = case.make(config)
  return layer, layer(*case.inputs(config))


def check_config_round_trip(case, config):
  layer, outputs = _built(case, config)
  layer_config = layer.get_config()
  json.dumps(layer_config)  # what Keras writes into SavedModel metadata
  clone = case.cls.from_config({**layer_config, **case.from_config_extra(layer)})
  assert type(clone) is case.cls
  assert clone.get_config() == layer_config
  clone(*case.inputs(config))
  clone.set_weights(layer.get_weights())
  _assert_same(clone(*case.inputs(config)), outputs)


def check_weight_count(case, config):
  layer, _ = _built(case, config)
  assert layer.count_params() == case.num_params(config)


def check_mixed_precision(case, config):
  reference, _ = _built(case, config)
  previous = tf_keras.mixed_precision.global_policy()
  tf_keras.mixed_precision.set_global_policy("mixed_bfloat16")
  try:
    layer, _ = _built(case, config)
    layer.set_weights(reference.get_weights())
    outputs = layer(*case.inputs(config))
  finally:
    tf_keras.mixed_precision.set_global_policy(previous)
  assert layer.compute_dtype == "bfloat16"
  assert {t.dtype for t in tf.nest.flatten(outputs)} == {case.output_dtype}
  assert {v.dtype for v in layer.variables} == {tf.float32}
  # bfloat16 keeps 8 bits of mantissa (relative step 2^-8 = 0.4%); a few roundings per sublayer.
  for got, want in zip(_numpy(outputs), _numpy(reference(*case.inputs(config))), strict=True):
    np.testing.assert_allclose(got, want, rtol=0.05, atol=0.05)


def check_checkpoint_round_trip(case, config, directory):
  layer, outputs = _built(case, config)
  path = tf.train.Checkpoint(layer=layer).save(str(directory / "ckpt"))
  fresh, fresh_outputs = _built(case, config)
  assert any(not np.array_equal(a, b) for a, b in zip(_numpy(fresh_outputs), _numpy(outputs)))
  tf.train.Checkpoint(layer=fresh).restore(path).assert_consumed()
  _assert_same(fresh(*case.inputs(config)), outputs)
