"""Weight initializer of the official code: truncated normal, stddev = initializer_range.

A new instance per variable: tf_keras returns identical values when one unseeded
initializer instance is called twice, which would e.g. start Q and K equal.
"""
import tf_keras


def truncated_normal(config):
  return tf_keras.initializers.TruncatedNormal(stddev=config.initializer_range)
