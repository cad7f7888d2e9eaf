"""Statistics definitions (shared by stats.json and `python -m data_prep.stats`)."""
from data_prep.instance_counts import ExampleStats


def _add(stats, ids, positions, labels, boundary=None, n0=3, label=0):
  boundary = boundary or bytes([1] * len(ids))
  stats.add(ids, n0, boundary, positions, labels, label, mask_id=4)


def test_span_histogram_counts_words_in_runs_of_masked_positions():
  s = ExampleStats(max_seq_length=16)
  ids = [2, 4, 4, 3, 4, 4, 4, 4, 4, 3]
  boundary = bytes([1, 1, 0, 1, 1, 1, 1, 1, 0, 1])  # position 2 and 8 continue a word
  _add(s, ids, [1, 2, 4, 5, 6, 7, 8], [10, 11, 12, 13, 14, 15, 16], boundary, n0=4)
  # run 1-2 = one word; run 4-8 = four words (4, 5, 6, 7+8)
  assert s.spans == [1, 0, 0, 1]


def test_replacement_kinds_and_lengths():
  s = ExampleStats(max_seq_length=8)
  _add(s, [2, 4, 50, 60, 3, 9, 3], [1, 2, 3], [10, 50, 61], n0=5, label=1)
  summary = s.summary()
  assert summary["masked_replacement_shares"] == {"mask": 0.333333, "kept": 0.333333,
                                                  "random": 0.333333}
  assert summary["mean_len_a"] == 3 and summary["mean_len_b"] == 1
  assert summary["sop_label_1_share"] == 1.0
  assert summary["share_shorter_than_max_seq_length"] == 1.0
  assert summary["mask_rate"] == round(3 / 7, 6)


def test_percentiles_and_merge_roundtrip():
  a, b = ExampleStats(8), ExampleStats(8)
  for n in (5, 6, 7, 8):
    _add(a, [2] + [9] * (n - 2) + [3], [], [])
  _add(b, [2, 9, 9, 9, 9, 9, 9, 3], [], [])
  a.merge(ExampleStats.from_state(b.to_state()))
  summary = a.summary()
  assert summary["instances"] == 5
  assert summary["real_tokens_per_instance"] == {"mean": 6.8, "p10": 5, "p50": 7}
  assert summary["share_shorter_than_max_seq_length"] == 0.6
