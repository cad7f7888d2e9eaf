"""Serving latency, text in (tokenization included): our TF Serving export vs HF and tf-models.

COMMAND (the BENCHMARKS.md table; ≈ 5 min on 2 cores):
  python bench/serving_bench.py --preset=albert_base --batches=1,8 --rounds=5 --steps_per_round=4

Exports a randomly initialised `--preset` model with export.export_serving (fp32, and a bf16
export built under the mixed_bfloat16 policy), then for each batch size runs persistent workers
(bench/serving_worker.py) in interleaved rounds, like train_bench.py. Reports median latency per
request in ms and ours ÷ peer speed ratios. Requests are real text from the shipped corpus,
longer than 128 pieces, so every system truncates to --seq.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bench.train_bench import Worker, run_interleaved, worker_env  # noqa: E402

EXPORT_SCRIPT = """
import sys, tf_keras
from albert_tf.configs import AlbertConfig
from albert_tf.pretrainer import AlbertPretrainer
from export import servable
if sys.argv[3] == "bf16":
  tf_keras.mixed_precision.set_global_policy("mixed_bfloat16")
model = AlbertPretrainer(AlbertConfig.from_preset(sys.argv[1])).ensure_built()
print(servable.export_serving(sys.argv[2], pretrainer=model, version=1, seq_length=int(sys.argv[4])))
"""


def export(preset, precision, seq, base):
  out = subprocess.run([sys.executable, "-c", EXPORT_SCRIPT, preset, base, precision, str(seq)],
                       capture_output=True, text=True, env=worker_env("ours"), check=True,
                       cwd=os.path.dirname(HERE))
  return out.stdout.strip().splitlines()[-1]


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--preset", default="albert_base")
  parser.add_argument("--seq", type=int, default=128)
  parser.add_argument("--batches", default="1,8")
  parser.add_argument("--precisions", default="fp32,bf16")
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument("--steps_per_round", type=int, default=4)
  parser.add_argument("--out", default=os.path.join(HERE, "results", "serving.json"))
  args = parser.parse_args()
  tmp = tempfile.mkdtemp(prefix="albert_serving_bench_")
  exports = {p: export(args.preset, p, args.seq, os.path.join(tmp, p))
             for p in args.precisions.split(",")}
  result = {"date": time.strftime("%Y-%m-%d"), "rows": []}
  for precision in args.precisions.split(","):
    for batch in map(int, args.batches.split(",")):
      print(f"{args.preset} seq {args.seq} batch {batch} {precision}", flush=True)
      systems = ["ours", "hf"] + (["tfm"] if precision == "fp32" else [])
      workers = []
      for system in systems:
        cmd = [sys.executable, os.path.join(HERE, "serving_worker.py"), f"--system={system}",
               f"--preset={args.preset}", f"--seq={args.seq}", f"--batch={batch}",
               f"--precision={precision}", f"--export_dir={exports[precision]}"]
        workers.append(Worker(system, cmd, worker_env(system)))
      run_interleaved(workers, args.rounds, args.steps_per_round,
                      lambda w: f"{w.name} {1000 * statistics.median(w.times):.1f} ms")
      for w in workers:
        w.close()
        result["rows"].append({
            "system": w.name, "preset": args.preset, "seq": args.seq, "batch": batch,
            "precision": precision, "median_ms": 1000 * statistics.median(w.times),
            "min_ms": 1000 * min(w.times), "requests_timed": len(w.times),
            "peak_rss_mb": w.info["peak_rss_mb"]})
      os.makedirs(os.path.dirname(args.out), exist_ok=True)
      with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
