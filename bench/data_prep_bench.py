r"""Benchmark of data_prep.create_pretraining_data: MB/s, instances/s, peak RSS.

COMMAND (about 2-4 minutes on 2 cores):
    python bench/data_prep_bench.py                       # table to stdout
    python bench/data_prep_bench.py --markdown=out.md     # also write the table
    python bench/data_prep_bench.py --rss_scaling         # peak RSS vs corpus size / dupe_factor

Each case runs the CLI in a subprocess (as a user would) on the shipped corpus
(albert_tf/assets/books.txt.gz: 7.09 MB of text, 537 documents) and reports
  * wall seconds of the whole command (process start, imports and worker start-up included),
  * CPU seconds of all its processes,
  * input MB/s (uncompressed text bytes / wall s) and instances/s (per wall s),
  * peak RSS: the largest sum of the RSS of the CLI and all its workers, sampled every 20 ms
    (shared pages are counted once per process, so this over-estimates).
`--copies=N` concatenates N copies of the corpus (as N input files) to amortise start-up.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import psutil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from albert_tf import resources  # noqa: E402  pylint: disable=wrong-import-position

CASES = [(128, 40), (512, 1)]


def _tree_rss(proc):
  total = 0
  for p in [proc] + proc.children(recursive=True):
    try:
      total += p.memory_info().rss
    except psutil.Error:
      pass
  return total


def _tree_cpu(proc, cache):
  for p in [proc] + proc.children(recursive=True):
    try:
      t = p.cpu_times()
      cache[p.pid] = t.user + t.system
    except psutil.Error:
      pass


def run_case(input_file, seq, dupe, workers, shards, workdir):
  out = os.path.join(workdir, f"out-{seq}-{dupe}-{workers}")
  shutil.rmtree(out, ignore_errors=True)
  cmd = [sys.executable, "-m", "data_prep.create_pretraining_data", f"--input_file={input_file}",
         f"--output_dir={out}", f"--max_seq_length={seq}", f"--dupe_factor={dupe}",
         f"--num_workers={workers}", f"--num_output_shards={shards}", "--log_every_seconds=1000"]
  start = time.monotonic()
  proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
  ps, peak, cpu = psutil.Process(proc.pid), 0, {}
  while proc.poll() is None:
    peak = max(peak, _tree_rss(ps))
    _tree_cpu(ps, cpu)
    time.sleep(0.02)
  wall = time.monotonic() - start
  if proc.returncode != 0:
    raise RuntimeError(proc.stderr.read().decode())
  with open(os.path.join(out, "stats.json"), encoding="utf-8") as f:
    stats = json.load(f)
  shutil.rmtree(out, ignore_errors=True)
  instances, mb = stats["instances"], stats["input"]["bytes_read"] / 1e6
  return dict(seq=seq, dupe=dupe, workers=workers, wall_s=round(wall, 2),
              cpu_s=round(sum(cpu.values()), 2), instances=instances,
              input_mb=round(mb, 2), mb_per_s=round(mb / wall, 2),
              instances_per_s=round(instances / wall), peak_rss_mb=round(peak / 2**20))


def corpus_copies(n, workdir):
  if n == 1:
    return resources.DEFAULT_CORPUS
  paths = []
  for i in range(n):
    path = os.path.join(workdir, f"books-{i}.txt.gz")
    shutil.copy(resources.DEFAULT_CORPUS, path)
    paths.append(path)
  return ",".join(paths)


def markdown(rows, official):
  lines = ["| max_seq_length | dupe_factor | workers | input MB | wall s | CPU s | MB/s | "
           "instances | instances/s | × official | peak RSS MB |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
  for r in rows:
    ratio = r["instances_per_s"] / official[(r["seq"], r["dupe"])]
    lines.append(f"| {r['seq']} | {r['dupe']} | {r['workers']} | {r['input_mb']} | "
                 f"{r['wall_s']} | {r['cpu_s']} | {r['mb_per_s']} | {r['instances']} | "
                 f"{r['instances_per_s']} | {ratio:.0f}× | {r['peak_rss_mb']} |")
  return "\n".join(lines) + "\n"


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--workers", default="1,2")
  parser.add_argument("--copies", type=int, default=1)
  parser.add_argument("--shards", type=int, default=8)
  parser.add_argument("--markdown", default="")
  parser.add_argument("--rss_scaling", action="store_true",
                      help="peak RSS at 1x vs 4x corpus (dupe 5) and dupe 1 vs 40 (1x)")
  args = parser.parse_args()
  # Official script on this machine class (issue 3): instances per second, single process.
  official = {(128, 40): 630, (512, 1): 133, (128, 5): 630, (128, 1): 630}
  workdir = tempfile.mkdtemp(prefix="data_prep_bench-")
  try:
    rows = []
    if args.rss_scaling:
      for copies, seq, dupe in [(1, 128, 5), (4, 128, 5), (1, 128, 1), (1, 128, 40)]:
        row = run_case(corpus_copies(copies, workdir), seq, dupe, 2, args.shards, workdir)
        row["copies"] = copies
        rows.append(row)
        print(json.dumps(row), flush=True)
    else:
      inp = corpus_copies(args.copies, workdir)
      for seq, dupe in CASES:
        for workers in (int(w) for w in args.workers.split(",")):
          rows.append(run_case(inp, seq, dupe, workers, args.shards, workdir))
          print(json.dumps(rows[-1]), flush=True)
    table = markdown(rows, official)
    print(table)
    if args.markdown:
      with open(args.markdown, "w", encoding="utf-8") as f:
        f.write(table)
  finally:
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
  main()
