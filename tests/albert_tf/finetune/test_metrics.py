"""GLUE metrics against values computed by hand."""
import math

import pytest

from albert_tf.finetune import metrics


def test_accuracy_and_f1_by_hand():
  labels = [1, 1, 1, 0, 0, 0, 1, 0]
  preds = [1, 0, 1, 1, 0, 0, 1, 0]
  # TP=3 (0,2,6), FN=1 (1), FP=1 (3), TN=3 → acc 6/8, P = R = 3/4, F1 = 3/4.
  assert metrics.accuracy(labels, preds) == 0.75
  assert metrics.f1(labels, preds) == pytest.approx(0.75)
  # P = 1/2, R = 1/3 → F1 = 2·(1/6)/(5/6) = 0.4
  assert metrics.f1([1, 1, 1, 0, 0], [1, 0, 0, 1, 0]) == pytest.approx(0.4)
  assert metrics.f1([0, 0], [0, 0]) == 0.0


def test_matthews_by_hand():
  # TP=2, TN=3, FP=1, FN=1: (6 − 1) / sqrt(3·3·4·4) = 5/12.
  labels = [1, 1, 1, 0, 0, 0, 0]
  preds = [1, 1, 0, 1, 0, 0, 0]
  assert metrics.matthews_corrcoef(labels, preds) == pytest.approx(5 / 12)
  assert metrics.matthews_corrcoef([1, 0, 1], [1, 1, 1]) == 0.0      # undefined → 0
  assert metrics.matthews_corrcoef([1, 0], [0, 1]) == pytest.approx(-1.0)


def test_pearson_spearman_by_hand():
  x, y = [1, 2, 3, 4], [2, 4, 5, 9]
  # means 2.5, 5; Σdx·dy = 1.5·3 + 0.5·1 + 0.5·0 + 1.5·4 = 11; Σdx² = 5; Σdy² = 26
  assert metrics.pearson(x, y) == pytest.approx(11 / math.sqrt(5 * 26))
  assert metrics.spearman(x, y) == pytest.approx(1.0)
  # ties: y ranks [1, 2.5, 2.5, 4] → r = 4.5 / sqrt(5 · 4.5)
  assert metrics.spearman([1, 2, 3, 4], [10, 20, 20, 40]) == pytest.approx(4.5 / math.sqrt(22.5))
  assert list(metrics.rankdata([3, 1, 3, 2])) == [3.5, 1.0, 3.5, 2.0]


def test_summarize_seeds():
  s = metrics.summarize([0.8, 0.9, 0.7, 0.85, 0.6])
  assert s["mean"] == pytest.approx(0.77)
  assert s["median"] == pytest.approx(0.8)
  assert s["best"] == 0.9 and s["min"] == 0.6 and s["n"] == 5
  assert s["std"] == pytest.approx(math.sqrt(((0.03) ** 2 + 0.13 ** 2 + 0.07 ** 2 + 0.08 ** 2
                                              + 0.17 ** 2) / 5))
