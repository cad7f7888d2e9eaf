"""④ ALBERT n-gram masked-LM predictions (docs/albert_reference.md §3.4).

Official `create_masked_lm_predictions`, on ids, with one explicit rng:
  * candidates are word groups: with whole-word masking a piece that is not a
    word start joins the previous group ([CLS]/[SEP] are never candidates);
  * num_to_predict = min(max_predictions_per_seq, max(1, round(len(tokens) * masked_lm_prob)));
  * n-gram length n ∈ 1..ngram with p(n) ∝ 1/n (reversed when not
    favor_shorter_ngram); an n-gram is n consecutive groups from a start group;
    start groups are visited in random order;
  * if the n-gram would exceed num_to_predict, try n-1 … 1, else skip it;
    skip it if any of its positions is already covered;
  * each token of a chosen n-gram independently: 80% [MASK], 10% kept,
    10% a random id uniform over the whole vocabulary (specials included).

Differences from the official code that do not change the distribution: the
official draws n from NumPy's unseeded global RNG (so its output is not
reproducible); here every draw comes from `rng`. The official shuffles all
start groups up front; here the random order is drawn lazily (a partial
Fisher–Yates shuffle gives the same uniform order for the prefix consumed).

Example:
    >>> import random
    >>> opts = MaskingOptions(vocab_size=100, mask_id=4, max_predictions_per_seq=2)
    >>> out, pos, labels = create_masked_lm_predictions(
    ...     [2, 50, 51, 3, 52, 3], [1, 2, 4], b"\\x01\\x00\\x01", opts, random.Random(1))
    >>> pos, labels  # round(6 * 0.15) = 1 prediction
    ([4], [52])
"""
import dataclasses
from bisect import bisect_right
from itertools import compress


@dataclasses.dataclass(frozen=True)
class MaskingOptions:
  """Masking options (official flag names) plus vocabulary facts."""
  vocab_size: int
  mask_id: int
  masked_lm_prob: float = 0.15
  max_predictions_per_seq: int = 20
  ngram: int = 3
  favor_shorter_ngram: bool = True
  do_whole_word_mask: bool = True

  def ngram_cdf(self):
    """Cumulative p(n) for n = 1..ngram, p(n) ∝ 1/n (reversed unless favor_shorter_ngram)."""
    weights = [1.0 / n for n in range(1, self.ngram + 1)]
    if not self.favor_shorter_ngram:
      weights.reverse()
    total, cdf, acc = sum(weights), [], 0.0
    for w in weights:
      acc += w / total
      cdf.append(acc)
    cdf[-1] = 1.0
    return tuple(cdf)


def num_to_predict(num_tokens, opts):
  """Official rule: 15% of all tokens (incl. [CLS]/[SEP]), at least 1, capped."""
  return min(opts.max_predictions_per_seq,
             max(1, int(round(num_tokens * opts.masked_lm_prob))))


def word_group_bounds(cand_flags, whole_word):
  """Start offsets (into the candidate list) of the word groups, plus the end."""
  m = len(cand_flags)
  if not whole_word:
    return list(range(m + 1))
  bounds = [0]
  bounds.extend(compress(range(1, m), memoryview(cand_flags)[1:]))
  bounds.append(m)
  return bounds


def sample_ngram(cdf, rng):
  """n ∈ 1..len(cdf) drawn with the cumulative probabilities `cdf` (cdf[-1] == 1)."""
  return bisect_right(cdf, rng.random()) + 1


def create_masked_lm_predictions(tokens, cand_positions, cand_flags, opts, rng,
                                 cdf=None, bounds=None):
  """Masks `tokens` (ids incl. [CLS]/[SEP]).

  Args:
    tokens: list of ids of the whole instance.
    cand_positions: positions that may be masked (all but [CLS]/[SEP]), in order.
    cand_flags: bytes, word-start flag (0/1) of each candidate position.
    opts: MaskingOptions.
    rng: `random.Random`.
    cdf, bounds: optional precomputed `opts.ngram_cdf()` / `word_group_bounds`.

  Returns:
    (output ids, sorted masked positions, original ids at those positions).
  """
  m = len(cand_positions)
  if opts.masked_lm_prob == 0 or m == 0:
    return list(tokens), [], []
  limit = num_to_predict(len(tokens), opts)
  cdf = cdf or opts.ngram_cdf()
  if bounds is None:
    bounds = word_group_bounds(cand_flags, opts.do_whole_word_mask)
  groups = len(bounds) - 1
  # Pad so bounds[idx + n] is the end of the (possibly truncated) n-gram at idx.
  bounds = bounds + [m] * len(cdf)
  order = list(range(groups))
  covered = bytearray(m)
  output = list(tokens)
  picked = []
  count = 0
  random, mask_id, vocab_size = rng.random, opts.mask_id, opts.vocab_size
  for k in range(groups):
    if count >= limit:
      break
    r = k + int(random() * (groups - k))
    order[k], order[r] = order[r], order[k]
    idx = order[k]
    n = bisect_right(cdf, random()) + 1  # = sample_ngram(cdf, rng), inlined (hot loop)
    start = bounds[idx]
    while n > 0 and count + bounds[idx + n] - start > limit:
      n -= 1
    if n == 0:
      continue
    end = bounds[idx + n]
    if covered.find(1, start, end) != -1:
      continue
    for j in range(start, end):
      covered[j] = 1
      pos = cand_positions[j]
      if random() < 0.8:
        output[pos] = mask_id
      elif random() >= 0.5:
        output[pos] = int(random() * vocab_size)
      picked.append(pos)
    count += end - start
  picked.sort()
  return output, picked, [tokens[p] for p in picked]
