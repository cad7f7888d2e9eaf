"""The worker side of the benchmark protocol (coordinator side: train_bench.Worker).

  worker → {"ready": true, "build_s": ..., "warmup_s": [...]}   after `warmup` untimed calls
  coordinator → "run K"      worker → {"step_s": [K per-call seconds]}
  coordinator → "quit"       worker → {"peak_rss_mb": ..., "device_peak_mb": ... (GPU)} and returns
"""
import json
import resource
import sys
import time


def serve(step, build_s, warmup=2, check=None, device_peak_mb=None):
  """Answers the coordinator on stdin/stdout; `check(result)` validates the warm-up output;
  `device_peak_mb()` (on an accelerator) gives the peak device memory for the final report."""
  warmup_s = []
  for _ in range(warmup):  # the first call traces/compiles; later ones settle allocators
    t = time.perf_counter()
    result = step()
    warmup_s.append(time.perf_counter() - t)
  if check is not None:
    check(result)
  print(json.dumps({"ready": True, "build_s": build_s, "warmup_s": warmup_s}), flush=True)
  for line in sys.stdin:
    cmd = line.split()
    if cmd and cmd[0] == "run":
      times = []
      for _ in range(int(cmd[1])):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
      print(json.dumps({"step_s": times}), flush=True)
    elif cmd and cmd[0] == "quit":
      break
  report = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
  if device_peak_mb is not None:
    report["device_peak_mb"] = device_peak_mb()
  print(json.dumps(report), flush=True)
