"""Process-level TensorFlow settings for our entry points. Call before importing TensorFlow.

- TF_USE_LEGACY_KERAS=1: `tf.keras` is tf-keras (Keras 2), which hub.KerasLayer and
  tf-models-official need; our code imports tf_keras directly either way.
- TF_ENABLE_ONEDNN_OPTS=1: TensorFlow turns its oneDNN CPU kernels on by default only on some
  CPUs. On our CPU machine class (AMD EPYC with avx512_bf16) it leaves them off, and bfloat16
  matmuls then run in Eigen at 1/2–1/4 of oneDNN's `brg_matmul:avx512_core_bf16` speed
  (bench/matmul_ceiling.py, 2026-11-22). The math is unchanged; a user's own setting wins.

Example:
    >>> import os
    >>> configure_environment()
    >>> os.environ["TF_USE_LEGACY_KERAS"]
    '1'
"""
import os


def configure_environment():
  os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
  os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
