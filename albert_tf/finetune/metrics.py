"""GLUE metrics in NumPy: accuracy, binary F1, Matthews correlation, Pearson, Spearman.

Definitions (those of the GLUE benchmark, which uses scikit-learn/SciPy):
  accuracy   mean(pred == label)
  f1         2·P·R / (P + R) for the positive class 1 (0 when there is no true positive)
  mcc        (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)), 0 when a factor is 0
  pearson    Pearson's r
  spearman   Pearson's r of the ranks (ties get their average rank)

Example:
    >>> round(matthews_corrcoef([1, 1, 0, 0], [1, 0, 0, 0]), 4)
    0.5774
    >>> spearman([1, 2, 3, 4], [10, 20, 20, 40])
    0.9486832980505138
"""
import numpy as np


def accuracy(labels, predictions):
  labels, predictions = np.asarray(labels), np.asarray(predictions)
  if labels.size == 0:
    return 0.0
  return float(np.mean(labels == predictions))


def _confusion(labels, predictions):
  y, p = np.asarray(labels).astype(int), np.asarray(predictions).astype(int)
  tp = int(np.sum((y == 1) & (p == 1)))
  tn = int(np.sum((y == 0) & (p == 0)))
  fp = int(np.sum((y == 0) & (p == 1)))
  fn = int(np.sum((y == 1) & (p == 0)))
  return tp, tn, fp, fn


def f1(labels, predictions):
  """Binary F1 of the positive class 1."""
  tp, _, fp, fn = _confusion(labels, predictions)
  if tp == 0:
    return 0.0
  precision, recall = tp / (tp + fp), tp / (tp + fn)
  return 2 * precision * recall / (precision + recall)


def matthews_corrcoef(labels, predictions):
  """Binary Matthews correlation coefficient (0 when undefined, as scikit-learn)."""
  tp, tn, fp, fn = _confusion(labels, predictions)
  denominator = float(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
  if denominator == 0:
    return 0.0
  return float((tp * tn - fp * fn) / np.sqrt(denominator))


def pearson(x, y):
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  xc, yc = x - x.mean(), y - y.mean()
  denominator = np.sqrt(np.sum(xc * xc) * np.sum(yc * yc))
  if denominator == 0:
    return 0.0
  return float(np.sum(xc * yc) / denominator)


def rankdata(values):
  """Ranks 1..n; tied values get the mean of their ranks (scipy's 'average')."""
  values = np.asarray(values, np.float64)
  order = np.argsort(values, kind="mergesort")
  ranks = np.empty(len(values), np.float64)
  sorted_values = values[order]
  i = 0
  while i < len(values):
    j = i
    while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
      j += 1
    ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
    i = j + 1
  return ranks


def spearman(x, y):
  return pearson(rankdata(x), rankdata(y))


METRIC_FNS = {
    "accuracy": accuracy,
    "f1": f1,
    "mcc": matthews_corrcoef,
    "pearson": pearson,
    "spearman": spearman,
}


def compute(names, labels, predictions):
  """{name: value} for the metric names listed (keys of METRIC_FNS)."""
  return {name: float(METRIC_FNS[name](labels, predictions)) for name in names}


def summarize(values):
  """mean, std (population, ddof=0), median, best (max), min, n of a list of floats."""
  values = np.asarray(values, np.float64)
  if values.size == 0:
    return {"n": 0}
  return {"mean": float(values.mean()), "std": float(values.std()),
          "median": float(np.median(values)), "best": float(values.max()),
          "min": float(values.min()), "n": int(values.size)}
