"""What the trainer writes besides checkpoints: history, TensorBoard, console line, curve PNG.

  <output_dir>/metrics.jsonl   one JSON object per training loop / evaluation (the history the
                               curve is drawn from; lines past a restored step are dropped)
  <output_dir>/train, /eval    TensorBoard event files (`tensorboard --logdir <output_dir>`)
  <output_dir>/loss_curve.png  MLM/SOP loss and accuracy over steps (train and eval)

A train record holds the loop's mean of TRAIN_METRICS (no sentence_order_* for
sentence_objective=none), grad_norm (the global gradient norm before clipping, after the
cross-replica sum), learning_rate and examples_per_second; an eval record the held-out
metrics and baselines (pretraining_eval.py), every eval_every_steps and/or at the end.
"""
import json
import os
import time

import tensorflow as tf

TRAIN_METRICS = ("loss", "masked_lm_loss", "masked_lm_accuracy", "sentence_order_loss",
                 "sentence_order_accuracy")
SENTENCE_METRICS = ("sentence_order_loss", "sentence_order_accuracy")  # absent for objective none


def metric_names(sentence_objective="sop"):
  """The loss metrics a run logs: TRAIN_METRICS, less SENTENCE_METRICS for objective none."""
  if sentence_objective == "none":
    return tuple(m for m in TRAIN_METRICS if m not in SENTENCE_METRICS)
  return TRAIN_METRICS


class TrainLog:
  """History file + TensorBoard writers; everything is a no-op on non-chief workers."""

  def __init__(self, output_dir, enabled=True):
    self.output_dir = output_dir
    self.enabled = enabled
    self.history_path = os.path.join(output_dir, "metrics.jsonl")
    self._writers = {}

  def _writer(self, name):
    if name not in self._writers:
      self._writers[name] = tf.summary.create_file_writer(os.path.join(self.output_dir, name))
    return self._writers[name]

  def truncate_after(self, step):
    """Drops history lines newer than `step` (left by a run killed after its last save)."""
    if not (self.enabled and tf.io.gfile.exists(self.history_path)):
      return
    kept = [line for line in read_history(self.history_path) if line["step"] <= step]
    with tf.io.gfile.GFile(self.history_path, "w") as f:
      f.write("".join(json.dumps(line) + "\n" for line in kept))

  def write(self, kind, step, values):
    """Appends {"kind", "step", **values} to the history and to TensorBoard `<kind>/`."""
    if not self.enabled:
      return
    record = {"kind": kind, "step": int(step), "time": round(time.time(), 3)}
    record.update({k: float(v) for k, v in values.items()})
    with tf.io.gfile.GFile(self.history_path, "a") as f:
      f.write(json.dumps(record) + "\n")
    with self._writer(kind).as_default(step=int(step)):
      for name, value in values.items():
        tf.summary.scalar(name, float(value))
    self._writer(kind).flush()

  def close(self):
    for writer in self._writers.values():
      writer.close()


def read_history(path):
  """metrics.jsonl → list of dicts, keeping only the last record per (kind, step)."""
  latest = {}
  with tf.io.gfile.GFile(path) as f:
    for line in f:
      if line.strip():
        record = json.loads(line)
        latest[(record["kind"], record["step"])] = record
  return sorted(latest.values(), key=lambda r: (r["step"], r["kind"]))


def progress_line(step, total, values, steps_per_s, seqs_per_s):
  eta_s = (total - step) / steps_per_s if steps_per_s > 0 else float("inf")
  eta = time.strftime("%H:%M:%S", time.gmtime(eta_s)) if eta_s < 86400 * 365 else "?"
  sentence = (f" sop {values['sentence_order_loss']:.4f} "
              f"(acc {values['sentence_order_accuracy']:.3f})"
              if "sentence_order_loss" in values else "")
  grad_norm = f" | grad norm {values['grad_norm']:.3g}" if "grad_norm" in values else ""
  return (f"step {step}/{total} | loss {values['loss']:.4f} mlm {values['masked_lm_loss']:.4f} "
          f"(acc {values['masked_lm_accuracy']:.3f}){sentence}{grad_norm} | "
          f"lr {values['learning_rate']:.3g} | "
          f"{steps_per_s:.2f} steps/s {seqs_per_s:.1f} seq/s | ETA {eta}")


def log(message):
  """Console progress: stdout, flushed (absl/TF info logs stay on stderr)."""
  print(message, flush=True)


def plot_curve(history_path, png_path):
  """Draws MLM/SOP loss (left) and accuracy (right) vs step; returns png_path or None."""
  if not tf.io.gfile.exists(history_path):
    return None
  import matplotlib  # local import: plotting is optional at library import time
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  history = read_history(history_path)
  fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
  for kind, style in (("train", "-"), ("eval", "o--")):
    rows = [r for r in history if r["kind"] == kind]
    if not rows:
      continue
    steps = [r["step"] for r in rows]
    for name, ax in (("masked_lm_loss", ax_loss), ("sentence_order_loss", ax_loss),
                     ("masked_lm_accuracy", ax_acc), ("sentence_order_accuracy", ax_acc)):
      if all(name in r for r in rows):  # MLM-only runs have no sentence_order_*
        ax.plot(steps, [r[name] for r in rows], style, label=f"{kind} {name}")
  for ax, title in ((ax_loss, "loss"), (ax_acc, "accuracy")):
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
  fig.tight_layout()
  with tf.io.gfile.GFile(png_path, "wb") as f:
    fig.savefig(f, format="png", dpi=100)
  plt.close(fig)
  return png_path
