"""Markdown tables for BENCHMARKS.md from bench/results/*.json (train_bench / serving_bench).

COMMAND: python bench/report.py bench/results/train_*.json bench/results/serving.json
Ratios compare systems within the same file (the same interleaved run), never across files.
"""
import json
import sys


def train_table(result):
  ceil = result["ceilings_gflops"]
  lines = [f"Matmul ceiling (4096³, GFLOP/s): TF fp32 {ceil['tf_float32']:.0f}, TF bf16 "
           f"{ceil['tf_bfloat16']:.0f} (with oneDNN on: {ceil['tf_float32_onednn']:.0f} / "
           f"{ceil['tf_bfloat16_onednn']:.0f})" + (
               f", torch fp32 {ceil['torch_float32']:.0f}, torch bf16 {ceil['torch_bfloat16']:.0f}"
               if "torch_float32" in ceil else ""), "",
           "| config | system | seq/s | GFLOP/s | of ceiling | ours ÷ system | peak RSS GB | timed steps |"
           + (" MFU | GPU peak GB |" if result.get("accelerator") else ""),
           "|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if result.get("accelerator") else "")]
  if result.get("accelerator"):
    acc = result["accelerator"]
    lines.insert(0, f"Accelerator: {acc['name']}; MFU against its dense peak of "
                    f"{acc['peak_tflops']['bf16']} TFLOP/s bf16, {acc['peak_tflops']['fp32']} "
                    "TFLOP/s fp32 (TF32).\n")
  rows = result["rows"]
  for r in rows:
    config = f"{r['preset']} T={r['seq']} B={r['batch']} {r['precision']}"
    if "error" in r:
      lines.append(f"| {config} | {r['system']} | {r['error']} | | | | | 0 |"
                   + (" | |" if result.get("accelerator") else ""))
      continue
    # The reference is `ours`, or `ours@recompute` where plain `ours` ran out of memory.
    ours = next((x for name in ("ours", "ours@recompute") for x in rows
                 if x["system"] == name and "error" not in x and x["precision"] == r["precision"]
                 and x["seq"] == r["seq"] and x["preset"] == r["preset"]), None)
    framework = "torch" if r["system"].startswith("hf") else "tf"
    dtype = "bfloat16" if r["precision"] == "bf16" else "float32"
    key = f"{framework}_{dtype}" + ("_onednn" if framework == "tf" and (
        r["system"].startswith("ours") or r["system"].endswith("@onednn")) else "")
    lines.append(
        f"| {config} | {r['system']} | "
        f"{r['seq_per_s']:.2f} | {r['gflops_per_s']:.0f} | {r['gflops_per_s'] / ceil[key]:.0%} | "
        f"{_ratio(ours, r, 'seq_per_s')} | {r['peak_rss_mb'] / 1024:.1f} | "
        f"{r['steps_timed']} |" + (f" {r['mfu']:.1%} |" if "mfu" in r else "")
        + (f" {r['device_peak_mb'] / 1024:.1f} |" if r.get("device_peak_mb") else ""))
  return "\n".join(lines)


def serving_table(result):
  lines = ["| config | system | median ms / request | ours speed ÷ system | timed requests |",
           "|---|---|---:|---:|---:|"]
  rows = result["rows"]
  for r in rows:
    ours = next((x for x in rows if x["system"] == "ours" and x["precision"] == r["precision"]
                 and x["batch"] == r["batch"]), None)
    lines.append(f"| {r['preset']} T={r['seq']} batch {r['batch']} {r['precision']} | "
                 f"{r['system']} | {r['median_ms']:.1f} | {_ratio(r, ours, 'median_ms')} | "
                 f"{r['requests_timed']} |")
  return "\n".join(lines)


def _ratio(a, b, key):
  """a[key] / b[key] as "1.23×", or "—" when one side is missing (not in the same run)."""
  return f"{a[key] / b[key]:.2f}×" if a and b else "—"


def main(paths):
  for path in paths:
    with open(path) as f:
      result = json.load(f)
    print(f"\n`{path}` ({result['date']}):\n")
    print(train_table(result) if "ceilings_gflops" in result else serving_table(result))


if __name__ == "__main__":
  main(sys.argv[1:])
