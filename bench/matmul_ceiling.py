"""Measured matmul ceiling: GFLOP/s of an N×N×N matmul in TF (fp32, bf16) and torch.

COMMAND: python bench/matmul_ceiling.py [--n=4096] [--repeats=5]   → one JSON line
The best of `repeats` timed runs after one warm-up; 2·N³ FLOPs per matmul. On a GPU machine
both frameworks measure the GPU (TF places ops there by default; torch is sent to "cuda").
"""
import argparse
import json
import time


def tf_gflops(n, dtype_name, repeats):
  import tensorflow as tf
  dtype = getattr(tf, dtype_name)
  a = tf.cast(tf.random.normal([n, n]), dtype)
  b = tf.cast(tf.random.normal([n, n]), dtype)
  mm = tf.function(lambda: tf.reduce_sum(tf.cast(tf.matmul(a, b)[:1, :1], tf.float32)))
  mm()
  best = min(_timed(lambda: float(mm())) for _ in range(repeats))
  return 2 * n ** 3 / best / 1e9


def torch_gflops(n, dtype_name, repeats):
  import torch
  dtype = getattr(torch, dtype_name)
  device = "cuda" if torch.cuda.is_available() else "cpu"  # where bench/train_worker puts HF
  a, b = (torch.randn(n, n, dtype=dtype, device=device) for _ in range(2))
  (a @ b).sum()
  best = min(_timed(lambda: float((a @ b)[0, 0])) for _ in range(repeats))
  return 2 * n ** 3 / best / 1e9


def _timed(fn):
  t = time.perf_counter()
  fn()
  return time.perf_counter() - t


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--n", type=int, default=4096)
  parser.add_argument("--repeats", type=int, default=5)
  parser.add_argument("--framework", choices=["tf", "torch"], default="tf")
  args = parser.parse_args()
  fn = tf_gflops if args.framework == "tf" else torch_gflops
  print(json.dumps({f"{args.framework}_{d}": fn(args.n, d, args.repeats)
                    for d in ("float32", "bfloat16")}))


if __name__ == "__main__":
  main()
