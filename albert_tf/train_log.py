"""What the trainer writes besides checkpoints: history, TensorBoard, console line, curve PNG.

  <output_dir>/metrics.jsonl   one JSON object per training loop / evaluation (the history the
                               curve is drawn from; lines past a restored step are dropped)
  <output_dir>/train, /eval    TensorBoard event files (`tensorboard --logdir <output_dir>`)
  <output_dir>/loss_curve.png  panels over steps (train and eval): MLM loss, sentence-pair
                               loss (not for sentence_objective=none), accuracies, learning rate
  stdout                       one line per message, ending in its UTC time `[...Z]`

A train record holds the loop's mean of TRAIN_METRICS (no sentence_order_* for
sentence_objective=none), grad_norm (the global gradient norm before clipping, after the
cross-replica sum), learning_rate, examples_per_second and, under float16, loss_scale (the
dynamic loss scale after the loop); an eval record the held-out metrics and baselines
(pretraining_eval.py), every eval_every_steps and/or at the end.

Example:
    >>> values = dict(loss=2.0, masked_lm_loss=1.5, masked_lm_accuracy=0.25,
    ...               learning_rate=1e-4, loss_scale=32768.0)
    >>> progress_line(10, 100, values, 2.0, 16.0).split(" | ")[2:]
    ['lr 0.0001', 'loss scale 3.28e+04', '2.00 steps/s 16.0 seq/s', 'ETA 00:00:45']
    >>> with_utc_time("hello", now=0)
    'hello [1970-01-01T00:00:00Z]'
"""
import contextlib
import json
import os
import time

import tensorflow as tf

from albert_tf import cli_io
from albert_tf import errors

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


@contextlib.contextmanager
def writing(output_dir):
  """Turns a failed write into `output_dir` (full disk, file size limit, read-only, no
  permission) into errors.UserError saying what failed and where training will resume.

  TensorFlow reports these as tf.errors.OpError (gfile, checkpoints, summaries), Python as
  OSError. The `checkpoint` state file is updated only after a checkpoint is complete, so the
  latest checkpoint named is a whole one.
  """
  try:
    yield
  except (tf.errors.OpError, OSError) as e:
    os_error = e if isinstance(e, OSError) else cli_io.filesystem_error(e)
    if errors.storage_hint(os_error) is None:
      raise
    reason = os_error.strerror
    latest = tf.train.latest_checkpoint(output_dir)
    resume = (f"training resumes from {latest}" if latest
              else "no checkpoint was completed, training restarts from the beginning")
    raise errors.UserError(f"--output_dir={output_dir}: cannot write ({reason}): free space, "
                           f"raise the file size limit or fix the rights, then rerun the same "
                           f"command ({resume})") from None


def read_history(path):
  """metrics.jsonl → list of dicts, keeping only the last record per (kind, step).

  A last line that is not JSON is a write cut short (a full disk, a kill) and is skipped;
  any other such line is an errors.UserError naming the file and line.
  """
  latest = {}
  with tf.io.gfile.GFile(path) as f:
    lines = f.read().splitlines()
  for number, line in enumerate(lines, 1):
    if not line.strip():
      continue
    try:
      record = json.loads(line)
    except json.JSONDecodeError as e:
      if number == len(lines):
        continue
      raise errors.UserError(f"{path}, line {number}: not JSON ({e.msg}): remove the line "
                             f"(it is only the training history)") from None
    latest[(record["kind"], record["step"])] = record
  return sorted(latest.values(), key=lambda r: (r["step"], r["kind"]))


def format_eta(seconds):
  """HH:MM:SS (days beyond the first are dropped, as before); "?" past a year or for inf."""
  return time.strftime("%H:%M:%S", time.gmtime(seconds)) if seconds < 86400 * 365 else "?"


def progress_line(step, total, values, steps_per_s, seqs_per_s):
  eta = format_eta((total - step) / steps_per_s if steps_per_s > 0 else float("inf"))
  sentence = (f" sop {values['sentence_order_loss']:.4f} "
              f"(acc {values['sentence_order_accuracy']:.3f})"
              if "sentence_order_loss" in values else "")
  grad_norm = f" | grad norm {values['grad_norm']:.3g}" if "grad_norm" in values else ""
  loss_scale = f" | loss scale {values['loss_scale']:.3g}" if "loss_scale" in values else ""
  return (f"step {step}/{total} | loss {values['loss']:.4f} mlm {values['masked_lm_loss']:.4f} "
          f"(acc {values['masked_lm_accuracy']:.3f}){sentence}{grad_norm} | "
          f"lr {values['learning_rate']:.3g}{loss_scale} | "
          f"{steps_per_s:.2f} steps/s {seqs_per_s:.1f} seq/s | ETA {eta}")


def with_utc_time(message, now=None):
  """`message [YYYY-MM-DDTHH:MM:SSZ]`: the time goes last, so lines still start with their
  subject (`step 5/30 ...`, what tests and scripts match on)."""
  stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
  return f"{message} [{stamp}]"


def log(message):
  """Console progress: stdout, flushed, UTC-stamped (absl/TF info logs stay on stderr)."""
  print(with_utc_time(message), flush=True)


PANELS = (("MLM loss", ("masked_lm_loss",)),
          ("sentence-pair loss", ("sentence_order_loss",)),   # not for objective none
          ("accuracy", ("masked_lm_accuracy", "sentence_order_accuracy")),
          ("learning rate", ("learning_rate",)))


def curve_panels(history):
  """The PANELS that have data in `history` (read_history's records)."""
  return [(title, names) for title, names in PANELS
          if any(name in r for r in history for name in names)]


def plot_curve(history_path, png_path):
  """Draws PANELS (those with data) side by side vs step; returns png_path or None.

  One axis per loss: the MLM loss (~10 at init) would flatten the SOP loss (~0.7) on a
  shared one."""
  if not tf.io.gfile.exists(history_path):
    return None
  import matplotlib  # local import: plotting is optional at library import time
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  history = read_history(history_path)
  panels = curve_panels(history)
  if not panels:
    return None
  fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.6), squeeze=False)
  for ax, (title, names) in zip(axes[0], panels):
    for kind, style in (("train", "-"), ("eval", "o--")):
      rows = [r for r in history if r["kind"] == kind]
      for name in names:
        if rows and all(name in r for r in rows):
          ax.plot([r["step"] for r in rows], [r[name] for r in rows], style,
                  label=f"{kind} {name}")
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
  fig.tight_layout()
  with tf.io.gfile.GFile(png_path, "wb") as f:
    fig.savefig(f, format="png", dpi=100)
  plt.close(fig)
  return png_path
