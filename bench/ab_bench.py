"""A/B of our pretraining step between two checkouts, interleaved: is a change faster or leaner?

COMMAND (a change against the commit before it; ≈ 3 min for albert_base T=128):
  git worktree add ../albert-tf-before HEAD~1
  python bench/ab_bench.py --a=../albert-tf-before --b=. --precision=bf16 --seq=128 --rounds=4

Starts bench/train_worker.py `--system=ours` from each checkout (each imports its own albert_tf)
and runs them in rotating rounds exactly as bench/train_bench.py runs systems; prints sequences/s
and peak RSS of each and the B ÷ A speed ratio.
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.train_bench import Worker, run_interleaved, worker_env  # noqa: E402


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--a", required=True, help="checkout A (the baseline)")
  parser.add_argument("--b", required=True, help="checkout B (the change)")
  parser.add_argument("--preset", default="albert_base")
  parser.add_argument("--seq", type=int, default=128)
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--precision", choices=["fp32", "bf16"], default="bf16")
  parser.add_argument("--rounds", type=int, default=4)
  parser.add_argument("--steps_per_round", type=int, default=2)
  parser.add_argument("--rss_limit_gb", type=float, default=20)
  args = parser.parse_args()
  workers = []
  for tag, repo in (("A", args.a), ("B", args.b)):
    script = os.path.join(os.path.abspath(repo), "bench", "train_worker.py")
    if not os.path.isfile(script):
      raise SystemExit(f"--{tag.lower()}={repo!r}: no bench/train_worker.py there")
    cmd = [sys.executable, script, "--system=ours", f"--preset={args.preset}",
           f"--seq={args.seq}", f"--batch={args.batch}",
           f"--predictions={20 if args.seq <= 128 else 76}", f"--precision={args.precision}",
           "--compiler=none"]
    workers.append(Worker(tag, cmd, worker_env("ours"), args.rss_limit_gb))
  describe = lambda w: (f"{w.name} {args.batch / statistics.median(w.times):.2f} seq/s"  # noqa: E731
                        if w.times else f"{w.name} —")
  run_interleaved(workers, args.rounds, args.steps_per_round, describe)
  result = {}
  for w in workers:
    w.close()
    result[w.name] = {"seq_per_s": args.batch / statistics.median(w.times) if w.times else None,
                      "peak_rss_gb": w.info.get("peak_rss_mb", 0) / 1024, "error": w.error}
  a, b = result["A"]["seq_per_s"], result["B"]["seq_per_s"]
  result["b_over_a"] = b / a if a and b else None
  print(json.dumps(result))


if __name__ == "__main__":
  main()
