"""Runs arms one at a time, resumably: a finished arm is skipped, an interrupted one rerun.

An arm is finished when <output_dir>/<arm>/ARM_DONE.json exists; it is written only after
the command exits 0, with the command, wall seconds and the commit. Pretraining arms
resume from their own checkpoints when rerun; the other arms are short and restart. Each
arm's stdout+stderr go to <arm>/log.txt; the console shows which arm runs, its elapsed
time, the log's last line, and an ETA for the matrix from the durations measured so far
(per kind; the first arm of a kind uses ESTIMATE_S scaled by the settings).

Example:
    >>> format_seconds(3725)
    '1h02m'
"""
import json
import os
import subprocess
import time

DONE_FILE = "ARM_DONE.json"
HEARTBEAT_S = 30
# A-priori seconds per arm kind for the first ETA (2-core CPU, default settings).
ESTIMATE_S = {"data": 90, "pretrain": 630, "probe": 60, "finetune": 130}


class ArmFailed(RuntimeError):
  """An arm's command exited non-zero (message: arm, exit code, log path, last lines)."""


def format_seconds(seconds):
  seconds = int(seconds)
  if seconds >= 3600:
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
  return f"{seconds // 60}m{seconds % 60:02d}s"


def is_done(output_dir, arm):
  return os.path.exists(os.path.join(output_dir, arm.name, DONE_FILE))


def commit():
  """Short hash of the checkout the arms run from."""
  try:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=True, cwd=os.path.dirname(__file__)).stdout.strip()
  except (OSError, subprocess.CalledProcessError):
    return "unknown"


def machine():
  """CPU model, core count and whether it has AVX-512 bf16 (figures differ between CPUs)."""
  model, flags = "unknown CPU", ""
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name") and model == "unknown CPU":
          model = line.split(":", 1)[1].strip()
        elif line.startswith("flags") and not flags:
          flags = line
  except OSError:
    pass
  return (f"{model}, {os.cpu_count()} cores, "
          f"{'with' if 'avx512_bf16' in flags else 'without'} avx512_bf16")


def _last_line(path):
  try:
    with open(path, "rb") as f:
      f.seek(max(0, os.path.getsize(path) - 2000))
      lines = [l for l in f.read().decode("utf-8", "replace").splitlines() if l.strip()]
    return lines[-1][:160] if lines else ""
  except OSError:
    return ""


def run_arm(arm, output_dir, env):
  """Runs one arm's command to completion; returns its wall seconds."""
  arm_dir = os.path.join(output_dir, arm.name)
  os.makedirs(arm_dir, exist_ok=True)
  log_path = os.path.join(arm_dir, "log.txt")
  start = time.time()
  with open(log_path, "ab") as log:
    log.write(f"\n$ {' '.join(arm.command)}\n".encode())
    log.flush()
    proc = subprocess.Popen(arm.command, stdout=log, stderr=subprocess.STDOUT, env=env,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
      while True:
        try:
          code = proc.wait(timeout=HEARTBEAT_S)
          break
        except subprocess.TimeoutExpired:
          print(f"    … {arm.name} {format_seconds(time.time() - start)}: "
                f"{_last_line(log_path)}", flush=True)
    except BaseException:  # Ctrl-C / SIGTERM: stop the child too, keep nothing half-marked
      proc.terminate()
      try:
        proc.wait(timeout=60)
      except subprocess.TimeoutExpired:
        proc.kill()
      raise
  seconds = time.time() - start
  if code != 0:
    tail = "\n".join(_tail(log_path, 8))
    raise ArmFailed(f"arm {arm.name} failed (exit {code}) after {format_seconds(seconds)}; "
                    f"log: {log_path}\n{tail}")
  with open(os.path.join(arm_dir, DONE_FILE), "w") as f:
    json.dump({"arm": arm.name, "command": list(arm.command), "seconds": round(seconds, 1),
               "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "commit": commit()}, f, indent=2)
  return seconds


def _tail(path, n):
  with open(path, encoding="utf-8", errors="replace") as f:
    return [l.rstrip() for l in f.readlines()[-n:]]


def run_all(arms, output_dir, estimate_scale=1.0):
  """Runs every unfinished arm in order; returns {arm name: seconds} of those run now."""
  env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2",
             PYTHONPATH=os.pathsep.join(
                 [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
                 + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
  todo = [a for a in arms if not is_done(output_dir, a)]
  print(f"[matrix] {len(arms)} arms, {len(arms) - len(todo)} already finished, "
        f"{len(todo)} to run → {output_dir}", flush=True)
  measured, ran = {}, {}
  for i, arm in enumerate(todo):
    remaining = todo[i:]
    eta = sum(_estimate(a.kind, measured, estimate_scale) for a in remaining)
    print(f"[arm {i + 1}/{len(todo)}] {arm.name} ({arm.kind}); matrix ETA "
          f"{format_seconds(eta)}", flush=True)
    seconds = run_arm(arm, output_dir, env)
    measured.setdefault(arm.kind, []).append(seconds)
    ran[arm.name] = seconds
    print(f"    done {arm.name} in {format_seconds(seconds)}", flush=True)
  return ran


def _estimate(kind, measured, scale):
  if measured.get(kind):
    return sum(measured[kind]) / len(measured[kind])
  return ESTIMATE_S[kind] * scale

