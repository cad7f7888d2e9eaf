"""Activation recomputation: peak RSS saved and time it costs, ours with and without it.

COMMAND: python bench/memory_bench.py --preset=albert_base --seq=512 --batch=16 --steps=3
Runs bench/train_worker.py (system "ours", our entry-point environment) twice, one process each,
and prints one JSON line per setting: median step seconds and the process's peak RSS.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bench.train_bench import worker_env  # noqa: E402


def measure(args, recompute):
  cmd = [sys.executable, os.path.join(HERE, "train_worker.py"), "--system=ours",
         f"--preset={args.preset}", f"--seq={args.seq}", f"--batch={args.batch}",
         f"--predictions={args.predictions}", f"--precision={args.precision}"]
  if recompute:
    cmd.append("--recompute")
  out = subprocess.run(cmd, input=f"run {args.steps}\nquit\n", capture_output=True, text=True,
                       env=worker_env("ours"), check=True).stdout.strip().splitlines()
  lines = [json.loads(line) for line in out if line.startswith("{")]
  steps = next(x["step_s"] for x in lines if "step_s" in x)
  return {"recompute": recompute, "preset": args.preset, "seq": args.seq, "batch": args.batch,
          "precision": args.precision, "median_step_s": statistics.median(steps),
          "peak_rss_mb": lines[-1]["peak_rss_mb"]}


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--preset", default="albert_base")
  parser.add_argument("--seq", type=int, default=512)
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--predictions", type=int, default=76)
  parser.add_argument("--precision", default="fp32")
  parser.add_argument("--steps", type=int, default=3)
  args = parser.parse_args()
  for recompute in (False, True):
    print(json.dumps(measure(args, recompute)), flush=True)


if __name__ == "__main__":
  main()
