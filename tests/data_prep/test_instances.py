"""SOP pairs: each official rule of create_instances_from_document.

Rules: docs/albert_reference.md §3.3.
"""
import random

import pytest

from data_prep.instances import (InstanceOptions, create_segment_pairs, truncate_counts,
                                 truncate_seq_pair)


def _doc(doc_id, lengths):
  """Sentences with ids encoding (doc, sentence, token) so provenance is checkable."""
  return [([doc_id * 1_000_000 + s * 1000 + t for t in range(n)], b"\x01" * n)
          for s, n in enumerate(lengths)]


def _sentence_of(token):
  return token // 1000


def _pairs(pool, opts, seeds=range(200), doc_pos=0):
  for seed in seeds:
    yield from create_segment_pairs(pool, doc_pos, opts, random.Random(seed))


def test_full_target_length_without_short_seq():
  opts = InstanceOptions(max_seq_length=64, short_seq_prob=0.0)
  pool = [_doc(0, [10] * 30), _doc(1, [10] * 5)]
  for p in _pairs(pool, opts, range(20)):
    total = len(p.a_ids) + len(p.b_ids)
    assert total <= 61
  # All chunks but the last reach the target of 61 tokens before truncation.
  pairs = create_segment_pairs(pool, 0, opts, random.Random(0))
  assert all(len(p.a_ids) + len(p.b_ids) == 61 for p in pairs[:-1])


def test_short_seq_prob_draws_target_in_range():
  opts = InstanceOptions(max_seq_length=64, short_seq_prob=1.0)
  pool = [_doc(0, [1] * 200), _doc(1, [1] * 5)]
  lengths = set()
  for seed in range(300):
    pairs = create_segment_pairs(pool, 0, opts, random.Random(seed))
    first = pairs[0]
    lengths.add(len(first.a_ids) + len(first.b_ids))
  assert min(lengths) == 2 and max(lengths) == 61
  assert len(lengths) > 40


def test_short_seq_prob_share():
  opts = InstanceOptions(max_seq_length=64, short_seq_prob=0.1)
  pool = [_doc(0, [1] * 200), _doc(1, [1] * 5)]
  short = sum(len(create_segment_pairs(pool, 0, opts, random.Random(s))[0].a_ids) +
              len(create_segment_pairs(pool, 0, opts, random.Random(s))[0].b_ids) < 61
              for s in range(2000))
  assert 0.08 < short / 2000 < 0.12  # P(target < 61) = 0.1 * 59/60


def test_segments_are_consecutive_sentences_and_cover_document():
  opts = InstanceOptions(max_seq_length=13, short_seq_prob=0.0)  # target 10, no truncation
  pool = [_doc(0, [1] * 30), _doc(1, [3, 3])]
  pairs = create_segment_pairs(pool, 0, opts, random.Random(3))
  covered = []
  for p in pairs:
    first, second = (p.b_ids, p.a_ids) if p.label else (p.a_ids, p.b_ids)
    sentences = [_sentence_of(t) for t in first + second]
    assert sentences == sorted(sentences)  # natural order after un-swapping
    covered.extend(sentences)
  assert covered == list(range(30))


def test_sop_label_one_means_swapped():
  opts = InstanceOptions(max_seq_length=200, short_seq_prob=0.0)
  pool = [_doc(0, [5] * 8), _doc(1, [5] * 8)]
  for p in _pairs(pool, opts, range(100)):
    a_first, b_first = _sentence_of(p.a_ids[0]), _sentence_of(p.b_ids[0])
    assert (a_first > b_first) == (p.label == 1)
    assert p.a_ids[0] // 1_000_000 == p.b_ids[0] // 1_000_000 == 0  # same document


def test_sop_label_balance():
  opts = InstanceOptions(max_seq_length=30, short_seq_prob=0.0)
  pool = [_doc(0, [5] * 40), _doc(1, [5] * 4)]
  labels = [p.label for p in _pairs(pool, opts, range(300))]
  assert abs(sum(labels) / len(labels) - 0.5) < 0.03


def test_a_end_uniform_over_split_points():
  opts = InstanceOptions(max_seq_length=200, short_seq_prob=0.0)
  pool = [_doc(0, [5] * 4), _doc(1, [5] * 4)]  # one chunk of 4 sentences
  counts = {1: 0, 2: 0, 3: 0}
  for p in _pairs(pool, opts, range(3000)):
    first = p.b_ids if p.label else p.a_ids
    counts[len(first) // 5] += 1
  for c in counts.values():
    assert abs(c / 3000 - 1 / 3) < 0.03


def test_single_sentence_chunk_takes_random_document_b():
  opts = InstanceOptions(max_seq_length=20, short_seq_prob=0.0)
  pool = [_doc(0, [30, 30]), _doc(1, [4] * 10), _doc(2, [4] * 10)]
  for p in _pairs(pool, opts, range(100)):
    assert p.label == 1
    assert p.a_ids[0] // 1_000_000 == 0
    assert p.b_ids[0] // 1_000_000 in (1, 2)


def test_single_sentence_document_alone_falls_back_to_itself():
  opts = InstanceOptions(max_seq_length=20, short_seq_prob=0.0)
  pool = [_doc(0, [6])]
  (p,) = create_segment_pairs(pool, 0, opts, random.Random(0))
  assert p.label == 1 and p.b_ids[0] // 1_000_000 == 0


def test_random_b_unused_sentences_are_put_back():
  opts = InstanceOptions(max_seq_length=50, short_seq_prob=0.0, random_next_sentence=True)
  pool = [_doc(0, [10] * 12), _doc(1, [10] * 12)]
  for seed in range(50):
    pairs = create_segment_pairs(pool, 0, opts, random.Random(seed))
    firsts = [_sentence_of(t) for p in pairs for t in p.a_ids if t // 1_000_000 == 0]
    assert set(firsts) | {_sentence_of(t) for p in pairs for t in p.b_ids
                          if t // 1_000_000 == 0} == set(range(12))


def test_nsp_mode_negatives_come_from_other_documents():
  opts = InstanceOptions(max_seq_length=40, short_seq_prob=0.0, random_next_sentence=True)
  pool = [_doc(0, [5] * 30), _doc(1, [5] * 30)]
  labels = []
  for p in _pairs(pool, opts, range(200)):
    other_doc = p.b_ids[0] // 1_000_000 != 0
    assert other_doc == (p.label == 1)
    if p.label == 0:
      assert _sentence_of(p.a_ids[-1]) < _sentence_of(p.b_ids[0])  # never swapped
    labels.append(p.label)
  assert abs(sum(labels) / len(labels) - 0.5) < 0.05


def test_truncation_keeps_at_most_max_tokens_and_shortens_longer_first():
  rng = random.Random(0)
  a, b = list(range(30)), list(range(100, 110))
  truncate_seq_pair(a, b, 25, rng)
  assert len(a) + len(b) == 25 and len(b) == 10 and len(a) == 15
  a, b = list(range(10)), list(range(100, 110))
  truncate_seq_pair(a, b, 15, rng)
  assert (len(a), len(b)) == (8, 7)  # ties cut B first: (10,9) (9,9) (9,8) (8,8) (8,7)


def test_truncation_front_or_back_with_equal_probability():
  front = back = 0
  for seed in range(2000):
    af, ab, bf, bb = truncate_counts(40, 10, 49, random.Random(seed))
    assert (bf, bb) == (0, 0) and af + ab == 1
    front, back = front + af, back + ab
  assert abs(front / 2000 - 0.5) < 0.04


def test_truncated_tokens_are_contiguous_slices():
  opts = InstanceOptions(max_seq_length=16, short_seq_prob=0.0)
  pool = [_doc(0, [20, 20, 20]), _doc(1, [20])]
  for p in _pairs(pool, opts, range(50)):
    for seg in (p.a_ids, p.b_ids):
      assert seg == list(range(seg[0], seg[0] + len(seg))) or len(
          {_sentence_of(t) for t in seg}) > 1
    assert 1 <= len(p.a_ids) and 1 <= len(p.b_ids)
    assert len(p.a_ids) + len(p.b_ids) <= 13


def test_flags_follow_their_tokens():
  opts = InstanceOptions(max_seq_length=16, short_seq_prob=0.0)
  pool = [[([1, 2, 3, 4, 5], b"\x01\x00\x01\x00\x00"), ([6, 7], b"\x00\x01")] * 5,
          [([9], b"\x01")]]
  flag_of = {1: 1, 2: 0, 3: 1, 4: 0, 5: 0, 6: 0, 7: 1, 9: 1}
  for p in _pairs(pool, opts, range(50)):
    assert list(p.a_flags) == [flag_of[t] for t in p.a_ids]
    assert list(p.b_flags) == [flag_of[t] for t in p.b_ids]


@pytest.mark.parametrize("max_seq_length", [5, 6, 9])
def test_tiny_max_seq_length_still_gives_nonempty_segments(max_seq_length):
  opts = InstanceOptions(max_seq_length=max_seq_length, short_seq_prob=0.5)
  pool = [_doc(0, [7, 1, 12, 3]), _doc(1, [2, 9])]
  for p in _pairs(pool, opts, range(50)):
    assert len(p.a_ids) >= 1 and len(p.b_ids) >= 1
    assert len(p.a_ids) + len(p.b_ids) <= max_seq_length - 3
