"""Where does our pretraining step spend its time? A TF-profiler breakdown by op category.

COMMAND (BENCHMARKS.md; ≈ 2 min per precision for albert_base on 2 cores):
  python bench/step_profile.py --preset=albert_base --seq=128 --batch=16 --precision=bf16 \
      --inter_op=1 --out=bench/results/profile_albert_base_128_bf16.json

Builds the same step as bench/train_worker.py (`--system=ours`, the trainer's own step), warms
it up, traces `--steps` steps with tf.profiler and sums the executor's per-op times (the host
plane's tf_Compute lines) into categories by op type and name scope. With --inter_op=1 ops run
one at a time, so the op times add up to the step's wall time (each op still uses every core);
with TF's default inter-op pool they overlap and the shares are of summed op time.
"""
import argparse
import collections
import glob
import json
import os
import re
import sys
import tempfile
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

MATMUL_OPS = {"MatMul", "_MklMatMul", "_MklFusedMatMul", "_MklNativeFusedMatMul",
              "BatchMatMulV2", "_MklBatchMatMulV2", "Einsum", "_MklEinsum"}


def category(name, op):
  """Maps one executed op (name scope, op type) to a row of the breakdown."""
  if op in MATMUL_OPS:
    return "attention score/context einsums" if "Einsum" in op else "dense-layer matmuls"
  if re.search(r"(^|/)(AdamWeightDecay|LAMB|Adam)", name):  # the trainer's loop nests scopes
    return "optimizer update"
  if op == "Cast":
    return "dtype casts (mixed precision)"
  rules = (("gelu", "GELU (forward + gradient)"), ("LayerNorm", "LayerNorm + residual"),
           ("embeddings", "embeddings (gather, projection grad)"),
           ("predictions", "MLM head + loss"), ("sentence_order", "MLM head + loss"),
           ("pretraining_loss", "MLM head + loss"))
  for key, label in rules:
    if key in name:
      return label
  if op == "AddN":
    return "gradient sums (shared layer: 1 per application)"
  if op in ("BiasAdd", "BiasAddGrad"):
    return "bias add + bias grad"
  if op in ("Softmax", "_MklSoftmax") or re.search(r"attention(_\d+)?/", name):
    return "attention softmax, mask, scale"  # the layer's scope is attention/ or attention_1/
  return "other"


def breakdown(logdir, steps):
  from tensorflow.tsl.profiler.protobuf import xplane_pb2
  path = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0]
  space = xplane_pb2.XSpace()
  with open(path, "rb") as f:
    space.ParseFromString(f.read())
  host = next(p for p in space.planes if p.name == "/host:CPU")
  seconds, ops, other = collections.Counter(), collections.Counter(), collections.Counter()
  for line in host.lines:
    if not line.name.startswith("tf_Compute"):
      continue
    for event in line.events:
      full = host.event_metadata[event.metadata_id].name
      if "::" in full or ":" not in full:
        continue  # executor bookkeeping, not an op
      name, _, op = full.rpartition(":")
      label = category(name, op)
      seconds[label] += event.duration_ps / 1e12 / steps
      ops[op] += event.duration_ps / 1e12 / steps
      if label == "other":
        other[full] += event.duration_ps / 1e12 / steps
  return seconds, ops, other


def profile(args, precision):
  import tensorflow as tf
  if args.inter_op:
    tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
  from albert_tf.configs import AlbertConfig
  from bench.flops import training_flops_per_sequence
  from bench.train_worker import build_ours, synthetic_batch
  config = AlbertConfig.from_preset(args.preset)
  batch = synthetic_batch(config.vocab_size, args.batch, args.seq, args.predictions)
  step = build_ours(config, batch, types.SimpleNamespace(precision=precision, recompute=False,
                                                         compiler="none"))
  for _ in range(3):
    step()
  start = time.perf_counter()
  for _ in range(args.steps):
    step()
  wall = (time.perf_counter() - start) / args.steps
  with tempfile.TemporaryDirectory() as logdir:
    tf.profiler.experimental.start(logdir)
    for _ in range(args.steps):
      step()
    tf.profiler.experimental.stop()
    seconds, ops, other = breakdown(logdir, args.steps)
  flops = training_flops_per_sequence(config, args.seq, args.predictions) * args.batch
  return {"precision": precision, "wall_step_s": wall, "op_seconds_per_step": sum(seconds.values()),
          "gflops_per_s": flops / wall / 1e9, "categories": dict(seconds.most_common()),
          "top_op_types": dict(ops.most_common(15)), "top_other_ops": dict(other.most_common(10))}


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--preset", default="albert_base")
  parser.add_argument("--seq", type=int, default=128)
  parser.add_argument("--predictions", type=int, default=20)
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--precision", default="bf16", choices=["fp32", "bf16"])
  parser.add_argument("--steps", type=int, default=3)
  parser.add_argument("--inter_op", type=int, default=1,
                      help="TF inter-op threads (1: ops run one at a time, times add up)")
  parser.add_argument("--out", default="")
  args = parser.parse_args()
  from albert_tf import runtime
  runtime.configure_environment()  # as our entry points run (oneDNN on)
  result = {"date": time.strftime("%Y-%m-%d"), "preset": args.preset, "seq": args.seq,
            "batch": args.batch, "inter_op": args.inter_op, **profile(args, args.precision)}
  print(f"{args.preset} T={args.seq} B={args.batch} {args.precision}, inter_op={args.inter_op}: "
        f"{result['wall_step_s']:.3f} s/step wall ({result['gflops_per_s']:.0f} GFLOP/s), "
        f"{result['op_seconds_per_step']:.3f} s/step of op time")
  total = result["op_seconds_per_step"]
  if total > 1.05 * result["wall_step_s"]:  # ops overlapped: their times include contention
    print("  warning: op time exceeds wall time; shares are approximate (rerun on a quiet machine)")
  for label, s in result["categories"].items():
    print(f"  {s:7.3f} s  {s / total:6.1%}  {label}")
  if args.out:
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
      json.dump(result, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
