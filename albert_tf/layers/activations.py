"""Activation lookup for `AlbertConfig.hidden_act`.

"gelu" is the tanh approximation used by the official code (HF calls it "gelu_new"):
0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))). "gelu_exact" is the erf form.

Example:
    >>> import tensorflow as tf
    >>> float(get_activation("relu")(tf.constant(-1.0)))
    0.0
"""
import functools

import tensorflow as tf


def get_activation(name):
  """Returns a callable for an `AlbertConfig.hidden_act` value."""
  table = {
      "gelu": functools.partial(tf.nn.gelu, approximate=True),
      "gelu_new": functools.partial(tf.nn.gelu, approximate=True),
      "gelu_exact": functools.partial(tf.nn.gelu, approximate=False),
      "relu": tf.nn.relu,
      "tanh": tf.math.tanh,
      "swish": tf.nn.silu,
      "linear": tf.identity,
  }
  if name not in table:
    raise ValueError(f"hidden_act={name!r} is unknown; choose one of {', '.join(table)}")
  return table[name]
