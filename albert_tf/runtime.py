"""Process-level TensorFlow settings for our entry points. Call before importing TensorFlow.

- TF_USE_LEGACY_KERAS=1: `tf.keras` is tf-keras (Keras 2), which hub.KerasLayer and
  tf-models-official need; our code imports tf_keras directly either way.
- TF_ENABLE_ONEDNN_OPTS=1: TensorFlow turns its oneDNN CPU kernels on by default only on some
  CPUs. On our CPU machine class (AMD EPYC with avx512_bf16) it leaves them off, and bfloat16
  matmuls then run in Eigen at 1/2–1/4 of oneDNN's `brg_matmul:avx512_core_bf16` speed
  (bench/matmul_ceiling.py, 2026-11-22). The math is unchanged; a user's own setting wins.
- quiet_cuda_probe(): on a machine without an NVIDIA driver, TF_CPP_MIN_LOG_LEVEL=3.

Why level 3 and only there: the CUDA build of TensorFlow probes the driver when it first lists
devices (not at import) and logs `E ... cuda_platform.cc:51] failed call to cuInit: ... (303)`
at ERROR level, which level 2 (WARNING) still shows; it reads the level once, so it cannot be
lowered just around the probe, and filtering fd 2 would need a thread owning stderr for the
whole run (lines lost on a crash). Level 3 hides TensorFlow's C++ ERROR lines only; Python
exceptions, absl logging and our console lines are unaffected. With a driver (a GPU machine,
/proc/driver/nvidia or libcuda present) nothing changes, so real CUDA errors stay visible; a
user's own TF_CPP_MIN_LOG_LEVEL wins everywhere.

Example:
    >>> import os
    >>> configure_environment()
    >>> os.environ["TF_USE_LEGACY_KERAS"]
    '1'
"""
import ctypes.util
import os


def has_nvidia_driver():
  """True when an NVIDIA kernel driver or libcuda (the user-space driver) is installed."""
  return os.path.exists("/proc/driver/nvidia") or ctypes.util.find_library("cuda") is not None


def quiet_cuda_probe():
  """TF_CPP_MIN_LOG_LEVEL=3 (unless set) on machines without an NVIDIA driver (see above)."""
  if "TF_CPP_MIN_LOG_LEVEL" not in os.environ and not has_nvidia_driver():
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"


def configure_environment():
  os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
  os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
  quiet_cuda_probe()
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
