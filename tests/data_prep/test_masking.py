"""n-gram masking: each official rule of create_masked_lm_predictions.

Rules: docs/albert_reference.md §3.4.
"""
import collections
import random

import pytest

from data_prep.masking import (MaskingOptions, create_masked_lm_predictions, num_to_predict,
                               sample_ngram, word_group_bounds)

CLS, SEP, MASK = 2, 3, 4


def _instance(words_a, words_b, first_id=100):
  """[CLS] A [SEP] B [SEP] from word lengths; returns tokens, cand positions, flags."""
  tokens, flags, positions, next_id = [CLS], [], [], first_id
  for words in (words_a, words_b):
    for length in words:
      for k in range(length):
        positions.append(len(tokens))
        tokens.append(next_id)
        flags.append(1 if k == 0 else 0)
        next_id += 1
    tokens.append(SEP)
  return tokens, positions, bytes(flags)


def _opts(**kw):
  base = dict(vocab_size=30000, mask_id=MASK)
  base.update(kw)
  return MaskingOptions(**base)


@pytest.mark.parametrize("n_tokens,prob,cap,expected", [
    (128, 0.15, 20, 19), (512, 0.15, 20, 20), (10, 0.15, 20, 2), (3, 0.15, 20, 1),
    (7, 0.15, 20, 1),  # round(1.05) = 1
    (30, 0.15, 20, 4),  # round(4.5) = 4 (banker's rounding, as Python's round)
])
def test_num_to_predict_rule(n_tokens, prob, cap, expected):
  assert num_to_predict(n_tokens, _opts(masked_lm_prob=prob, max_predictions_per_seq=cap)) \
      == expected


def test_ngram_probabilities_are_one_over_n():
  assert _opts().ngram_cdf() == pytest.approx((6 / 11, 9 / 11, 1.0))
  assert _opts(favor_shorter_ngram=False).ngram_cdf() == pytest.approx((2 / 11, 5 / 11, 1.0))
  assert _opts(ngram=1).ngram_cdf() == (1.0,)


@pytest.mark.parametrize("favor_shorter,expected", [(True, (6, 3, 2)), (False, (2, 3, 6))])
def test_ngram_length_distribution(favor_shorter, expected):
  cdf = _opts(favor_shorter_ngram=favor_shorter).ngram_cdf()
  rng = random.Random(0)
  counts = collections.Counter(sample_ngram(cdf, rng) for _ in range(50000))
  for n, weight in zip((1, 2, 3), expected):
    assert abs(counts[n] / 50000 - weight / 11) < 0.01


def test_masks_n_consecutive_words_span_distribution():
  # 2000 one-piece words, 30 predictions: spans rarely touch, fallback rarely matters.
  tokens, positions, flags = _instance([1] * 1000, [1] * 1000)
  opts = _opts(masked_lm_prob=0.015, max_predictions_per_seq=30)
  runs = collections.Counter()
  for seed in range(300):
    _, picked, _ = create_masked_lm_predictions(tokens, positions, flags, opts,
                                                random.Random(seed))
    run = 1
    for prev, cur in zip(picked, picked[1:]):
      if cur == prev + 1:
        run += 1
      else:
        runs[min(run, 4)] += 1
        run = 1
    runs[min(run, 4)] += 1
  total = sum(runs.values())
  assert abs(runs[1] / total - 6 / 11) < 0.04
  assert abs(runs[2] / total - 3 / 11) < 0.04
  assert abs(runs[3] / total - 2 / 11) < 0.04


def test_never_masks_cls_or_sep_and_positions_sorted_unique():
  tokens, positions, flags = _instance([1, 2, 3] * 5, [2, 1] * 6)
  for seed in range(200):
    out, picked, labels = create_masked_lm_predictions(tokens, positions, flags, _opts(),
                                                       random.Random(seed))
    assert picked == sorted(set(picked))
    assert all(tokens[p] not in (CLS, SEP) for p in picked)
    assert labels == [tokens[p] for p in picked]
    assert len(picked) == num_to_predict(len(tokens), _opts()) or len(picked) < 19
    unmasked = set(range(len(tokens))) - set(picked)
    assert all(out[i] == tokens[i] for i in unmasked)


def test_whole_word_masking_masks_all_pieces_of_a_word():
  tokens, positions, flags = _instance([3, 2, 4, 1] * 6, [2, 3] * 6)
  word_of = {}
  for j, pos in enumerate(positions):
    word_of[pos] = word_of.get(positions[j - 1], -1) + 1 if flags[j] or j == 0 else word_of[
        positions[j - 1]]
  for seed in range(200):
    _, picked, _ = create_masked_lm_predictions(tokens, positions, flags, _opts(),
                                                random.Random(seed))
    by_word = collections.Counter(word_of[p] for p in picked)
    sizes = collections.Counter(word_of[p] for p in positions)
    assert all(by_word[w] == sizes[w] for w in by_word)


def test_without_whole_word_each_piece_is_a_candidate():
  flags = b"\x01\x00\x00\x01"
  assert word_group_bounds(flags, whole_word=True) == [0, 3, 4]
  assert word_group_bounds(flags, whole_word=False) == [0, 1, 2, 3, 4]


def test_non_start_piece_after_sep_joins_last_word_of_a():
  # B starting with a continuation piece continues A's last word (official behaviour).
  flags = b"\x01\x00" + b"\x00\x01"
  assert word_group_bounds(flags, whole_word=True) == [0, 3, 4]


def test_falls_back_to_shorter_ngrams_then_skips():
  # Every word has 2 pieces and only 1 prediction is allowed: nothing fits.
  tokens, positions, flags = _instance([2] * 5, [2] * 5)
  opts = _opts(masked_lm_prob=0.01, max_predictions_per_seq=1)
  for seed in range(50):
    _, picked, _ = create_masked_lm_predictions(tokens, positions, flags, opts,
                                                random.Random(seed))
    assert picked == []
  # One-piece words: a 3-gram drawn with room for 2 falls back, filling exactly.
  tokens, positions, flags = _instance([1] * 20, [1] * 20)
  opts = _opts(masked_lm_prob=0.05, max_predictions_per_seq=20)  # round(2.15) = 2
  for seed in range(50):
    _, picked, _ = create_masked_lm_predictions(tokens, positions, flags, opts,
                                                random.Random(seed))
    assert len(picked) == 2


def test_replacement_80_10_10_per_token_uniform_random_ids():
  tokens, positions, flags = _instance([1] * 60, [1] * 60)
  opts = _opts(vocab_size=50, masked_lm_prob=0.15, max_predictions_per_seq=40)
  kinds, random_ids, mixed_spans = collections.Counter(), collections.Counter(), 0
  for seed in range(1500):
    out, picked, labels = create_masked_lm_predictions(tokens, positions, flags, opts,
                                                       random.Random(seed))
    span_kinds = []
    for p, orig in zip(picked, labels):
      kind = "mask" if out[p] == MASK else "kept" if out[p] == orig else "random"
      kinds[kind] += 1
      if out[p] != MASK and out[p] != orig:
        random_ids[out[p]] += 1
      span_kinds.append(kind)
    mixed_spans += len(set(span_kinds)) > 1
  total = sum(kinds.values())
  assert abs(kinds["mask"] / total - 0.8) < 0.01
  assert abs(kinds["kept"] / total - 0.1) < 0.01
  assert abs(kinds["random"] / total - 0.1) < 0.01
  assert mixed_spans > 1000  # decided per token, not per span
  assert set(random_ids) <= set(range(50)) and len(random_ids) >= 48  # ids 0..49 incl. specials
  mean = sum(random_ids.values()) / 50
  assert max(random_ids.values()) < 1.5 * mean and min(random_ids.values()) > 0.5 * mean


def test_zero_probability_or_no_candidates_masks_nothing():
  tokens, positions, flags = _instance([1] * 10, [1] * 10)
  out, picked, labels = create_masked_lm_predictions(
      tokens, positions, flags, _opts(masked_lm_prob=0.0), random.Random(0))
  assert (out, picked, labels) == (tokens, [], [])
  out, picked, _ = create_masked_lm_predictions([CLS, SEP, SEP], [], b"", _opts(),
                                                random.Random(0))
  assert picked == []


def test_same_rng_state_same_masks():
  tokens, positions, flags = _instance([1, 2] * 20, [2, 1] * 20)
  a = create_masked_lm_predictions(tokens, positions, flags, _opts(), random.Random(7))
  b = create_masked_lm_predictions(tokens, positions, flags, _opts(), random.Random(7))
  assert a == b
