"""Side-by-side pretraining-step throughput: ours vs tf-models, keras-hub and HF, interleaved.

COMMAND (the BENCHMARKS.md table; ≈ 25 min for albert_base seq 128 on 2 cores):
  python bench/train_bench.py --presets=albert_base --seqs=128 --precisions=fp32,bf16 \
      --rounds=5 --steps_per_round=2 --out=bench/results/train_albert_base_128.json

For each (preset, seq, precision) all systems are started as persistent worker processes
(bench/train_worker.py), built and warmed up; then `rounds` rounds run `steps_per_round` timed
steps on each system in turn (rotating the order), so slow drifts of a shared machine hit every
system alike. Reported: median step time → sequences/s, achieved GFLOP/s (bench/flops.py, every
layer application counted, MLM head on the masked positions only), fraction of the measured
matmul ceiling (bench/matmul_ceiling.py), ours ÷ peer ratios, and each worker's peak RSS.
Systems: ours, ours+xla, ours@recompute (activation recomputation per layer application),
tfm, tfm+xla, tfm@onednn (the peer with our oneDNN setting), kerashub, kerashub+xla, hf,
hf+compile; peers whose package is missing are skipped with a note (HF needs the test extras:
torch, transformers). A worker whose resident memory passes --rss_limit_gb is stopped and
reported as "out of memory" instead of pushing the machine into swap or the OOM killer.
"""
import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

ALL_SYSTEMS = ["ours", "ours+xla", "ours@recompute", "tfm", "tfm+xla", "tfm@onednn", "kerashub",
               "kerashub+xla", "hf", "hf+compile"]
PACKAGE_OF = {"ours": "tf_keras", "tfm": "official", "kerashub": "keras_hub", "hf": "torch"}


def worker_env(name):
  """Each system runs as its users get it: ours with our entry points' settings
  (albert_tf/runtime.py: oneDNN on), peers with TensorFlow's defaults; a "@onednn" suffix
  gives a peer our setting too, to show what is setting and what is model code."""
  system = name.partition("+")[0].partition("@")[0]
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1",
             OMP_WAIT_POLICY="PASSIVE")  # idle torch threads must not spin on the shared cores
  env.pop("TF_ENABLE_ONEDNN_OPTS", None)
  if system == "ours" or name.endswith("@onednn"):
    env["TF_ENABLE_ONEDNN_OPTS"] = "1"
  if system == "kerashub":
    env.pop("TF_USE_LEGACY_KERAS", None)  # keras-hub is Keras 3
  else:
    env["TF_USE_LEGACY_KERAS"] = "1"
  return env


def default_rss_limit_gb():
  return round(psutil.virtual_memory().total / 2**30 * 0.85, 1)


class Worker:
  """A persistent worker process speaking the run-K protocol of train_worker.py."""

  def __init__(self, name, cmd, env, rss_limit_gb=None):
    self.name = name
    self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env)
    self.times, self.info, self.error = [], {}, None
    threading.Thread(target=self._watch_rss, args=(rss_limit_gb,), daemon=True).start()

  def _watch_rss(self, limit_gb):
    """Kills the worker once its RSS passes limit_gb (default: 85 % of RAM; every 0.2 s)."""
    limit_gb = limit_gb or default_rss_limit_gb()
    try:
      proc = psutil.Process(self.proc.pid)
      while self.proc.poll() is None:
        if proc.memory_info().rss > limit_gb * 2**30:
          self.error = f"out of memory: RSS passed the {limit_gb:g} GiB limit"
          self.proc.kill()
          return
        time.sleep(0.2)
    except psutil.Error:
      pass  # the worker exited between poll() and memory_info()

  def _answer(self):
    line = self.proc.stdout.readline()
    if not line:
      self.proc.wait(timeout=60)
      self.error = self.error or (f"worker exited with code {self.proc.returncode}: "
                                  + self.proc.stderr.read()[-2000:])
      return None
    return json.loads(line)

  @property
  def alive(self):
    return self.error is None

  def wait_ready(self):
    self.info = self._answer() or {}
    if not self.alive:
      print(f"  {self.name}: {self.error}", flush=True)

  def run(self, steps):
    self.proc.stdin.write(f"run {steps}\n")
    self.proc.stdin.flush()
    answer = self._answer()
    if answer is None:
      print(f"  {self.name}: {self.error}", flush=True)
    else:
      self.times += answer["step_s"]

  def close(self):
    if self.alive:
      self.proc.stdin.write("quit\n")
      self.proc.stdin.flush()
      self.info.update(self._answer() or {})
      self.proc.wait(timeout=60)


def run_interleaved(workers, rounds, steps, describe):
  """Waits for every worker, then `rounds` rounds of `steps` timed calls each, in rotation."""
  for w in workers:
    w.wait_ready()
  for r in range(rounds):
    for w in workers[r % len(workers):] + workers[:r % len(workers)]:
      if w.alive:
        w.run(steps)
    print(f"  round {r + 1}/{rounds}: " + ", ".join(map(describe, workers)), flush=True)


# Dense tensor-core peaks, TFLOP/s, from the vendors' datasheets: (bf16, tf32). TF runs fp32
# matmuls as TF32 on these GPUs by default, so fp32 rows are measured against the TF32 peak.
GPU_PEAK_TFLOPS = {"H100 PCIe": (756, 378), "H100": (989, 495), "H200": (989, 495),
                   "A100": (312, 156), "L4": (121, 60)}


def detect_accelerator(peak_tflops=None):
  """{"name", "peak_tflops": {"bf16", "fp32"}} of GPU 0 (nvidia-smi), or None on a CPU box."""
  if not shutil.which("nvidia-smi"):
    return None
  res = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                       capture_output=True, text=True)
  names = res.stdout.strip().splitlines()
  if res.returncode or not names:
    return None
  name = names[0].strip()
  if peak_tflops:  # TF32 is half the dense bf16 rate on every NVIDIA tensor-core GPU listed
    peaks = (peak_tflops, peak_tflops / 2)
  else:
    peaks = next((v for k, v in GPU_PEAK_TFLOPS.items() if k in name), None)
    if peaks is None:
      raise SystemExit(f"unknown GPU {name!r}: pass --peak_tflops (its dense bf16 peak) for MFU")
  return {"name": name, "peak_tflops": {"bf16": peaks[0], "fp32": peaks[1]}}


def available(name):
  return importlib.util.find_spec(
      PACKAGE_OF[name.partition("@")[0].partition("+")[0]]) is not None


def ceilings(n=4096):
  out = {}
  for framework, env_name in (("tf", "ours"), ("tf", "tfm"), ("torch", "hf")):
    if framework == "torch" and not importlib.util.find_spec("torch"):
      continue
    res = subprocess.run([sys.executable, os.path.join(HERE, "matmul_ceiling.py"),
                          f"--framework={framework}", f"--n={n}"], capture_output=True, text=True,
                         env=worker_env(env_name), check=True)
    suffix = "_onednn" if env_name == "ours" else ""
    out.update({k + suffix: v for k, v in json.loads(res.stdout.strip().splitlines()[-1]).items()})
  return out


def bench_config(systems, preset, seq, batch, predictions, precision, rounds, steps,
                 sequential=False, rss_limit_gb=64, accelerator=None):
  from albert_tf.configs import AlbertConfig
  from bench.flops import training_flops_per_sequence
  flops = training_flops_per_sequence(AlbertConfig.from_preset(preset), seq, predictions)
  workers = []
  for name in systems:
    if precision == "bf16" and name == "kerashub+xla":
      continue  # XLA bf16 on CPU is not a configuration anyone uses; see the issue table
    base, _, variant = name.partition("@")
    system, _, compiler = base.partition("+")
    cmd = [sys.executable, os.path.join(HERE, "train_worker.py"), f"--system={system}",
           f"--preset={preset}", f"--seq={seq}", f"--batch={batch}",
           f"--predictions={predictions}", f"--precision={precision}",
           f"--compiler={compiler or 'none'}"] + (["--recompute"] if variant == "recompute" else [])
    workers.append((name, cmd))
  describe = lambda w: (f"{w.name} {batch / statistics.median(w.times):.2f} seq/s"  # noqa: E731
                        if w.times else f"{w.name} —")
  if sequential:  # one process alive at a time: for configs that do not fit in memory together
    done = []
    for name, cmd in workers:
      done.append(Worker(name, cmd, worker_env(name), rss_limit_gb))
      run_interleaved(done[-1:], rounds, steps, describe)
      done[-1].close()
    workers = done
  else:
    workers = [Worker(name, cmd, worker_env(name), rss_limit_gb) for name, cmd in workers]
    run_interleaved(workers, rounds, steps, describe)
    for w in workers:
      w.close()
  rows = []
  for w in workers:
    if not w.times:
      rows.append({"system": w.name, "preset": preset, "seq": seq, "batch": batch,
                   "precision": precision, "error": w.error, "flops_per_seq": flops})
      continue
    median = statistics.median(w.times)
    rows.append({"system": w.name, "preset": preset, "seq": seq, "batch": batch,
                 "precision": precision, "median_step_s": median, "seq_per_s": batch / median,
                 "gflops_per_s": flops * batch / median / 1e9, "steps_timed": len(w.times),
                 "min_step_s": min(w.times), "max_step_s": max(w.times),
                 "build_s": w.info["build_s"], "warmup_s": w.info["warmup_s"],
                 "peak_rss_mb": w.info["peak_rss_mb"], "flops_per_seq": flops})
    if accelerator:  # model FLOPs utilisation against the GPU's datasheet peak
      rows[-1]["mfu"] = flops * batch / median / (accelerator["peak_tflops"][precision] * 1e12)
      rows[-1]["device_peak_mb"] = w.info.get("device_peak_mb")
  return rows


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--presets", default="albert_base")
  parser.add_argument("--seqs", default="128")
  parser.add_argument("--precisions", default="fp32,bf16")
  parser.add_argument("--systems", default=",".join(ALL_SYSTEMS))
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--rounds", type=int, default=5)
  parser.add_argument("--steps_per_round", type=int, default=2)
  parser.add_argument("--sequential", action="store_true",
                      help="run the systems one after another (not interleaved), one process "
                           "alive at a time: for configs whose workers do not fit in memory")
  parser.add_argument("--rss_limit_gb", type=float,
                      default=default_rss_limit_gb(),
                      help="stop a worker whose resident memory passes this (default: 85%% of "
                           "RAM); with interleaved workers, their sum must fit too")
  parser.add_argument("--ceiling_n", type=int, default=4096, help="matmul size for the ceiling")
  parser.add_argument("--peak_tflops", type=float, default=None,
                      help="the GPU's dense bf16 peak (TFLOP/s) for MFU when it is not in "
                           "GPU_PEAK_TFLOPS; fp32 rows use half of it (TF32)")
  parser.add_argument("--out", default=os.path.join(HERE, "results", "train.json"))
  args = parser.parse_args()
  systems = [s for s in args.systems.split(",") if available(s) or print(f"skip {s}: not installed")]
  accelerator = detect_accelerator(args.peak_tflops)
  result = {"date": time.strftime("%Y-%m-%d"), "ceilings_gflops": ceilings(args.ceiling_n), "rows": [],
            "accelerator": accelerator}
  if accelerator:
    print(f"accelerator: {accelerator['name']}, dense peak (TFLOP/s): "
          f"{accelerator['peak_tflops']}", flush=True)
  print("matmul ceilings (GFLOP/s):", json.dumps(result["ceilings_gflops"]), flush=True)
  for preset in args.presets.split(","):
    for seq in map(int, args.seqs.split(",")):
      predictions = 20 if seq <= 128 else 76  # official ALBERT uses 20; BERT phase 2 uses 76-80
      for precision in args.precisions.split(","):
        print(f"{preset} seq {seq} batch {args.batch} {precision}", flush=True)
        result["rows"] += bench_config(systems, preset, seq, args.batch, predictions, precision,
                                       args.rounds, args.steps_per_round, args.sequential,
                                       args.rss_limit_gb, accelerator)
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
          json.dump(result, f, indent=1)
  print(f"wrote {args.out}")
  failed = [f"{r['system']} ({r['preset']} T={r['seq']} {r['precision']})" for r in result["rows"]
            if "error" in r and not r["error"].startswith("out of memory")]
  if failed:  # out-of-memory rows are results; crashed workers are not
    raise SystemExit(f"workers failed: {', '.join(failed)}; their errors are in {args.out}")


if __name__ == "__main__":
  main()
