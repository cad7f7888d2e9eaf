"""The worker side of the benchmark protocol (coordinator side: train_bench.Worker).

  worker → {"ready": true, "build_s": ..., "warmup_s": [...]}   after `warmup` untimed calls
  coordinator → "run K"      worker → {"step_s": [K per-call seconds]}
  coordinator → "quit"       worker → {"peak_rss_mb": ...} and returns
"""
import json
import resource
import sys
import time


def serve(step, build_s, warmup=2, check=None):
  """Answers the coordinator on stdin/stdout; `check(result)` validates the warm-up output."""
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
  rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  print(json.dumps({"peak_rss_mb": rss_mb}), flush=True)
