"""③ Segment pairs and SOP labels from one document (docs/albert_reference.md §3.3).

A document is a list of sentences; a sentence is `(ids, flags)`: SentencePiece
ids and the matching word-start flags (bytes of 0/1, see albert_tf/tokenization.py).

Rules (official `create_instances_from_document`):
  * target length = max_seq_length - 3, or with prob `short_seq_prob` a
    uniform int in [2, max_seq_length - 3], drawn once per document pass;
  * sentences accumulate until the last sentence or length >= target;
  * A = the first `a_end` sentences, a_end uniform in [1, len(chunk) - 1]
    (1 for a one-sentence chunk);
  * one-sentence chunk (or NSP mode and coin < 0.5): B from a random other
    document of the pool, label 1, unused chunk sentences are put back;
    otherwise (SOP) with prob 0.5 B = rest of chunk and A/B are swapped,
    label 1; else natural order, label 0;
  * truncate_seq_pair drops tokens from the longer segment (ties: B), front or
    back with prob 0.5 each, until len(A) + len(B) <= max_seq_length - 3.

Example:
    >>> import random
    >>> doc = [([10, 11], b"\\x01\\x00"), ([12], b"\\x01"), ([13, 14], b"\\x01\\x01")]
    >>> pairs = create_segment_pairs([doc], 0, InstanceOptions(max_seq_length=16),
    ...                              random.Random(0))
    >>> [(p.a_ids, p.b_ids, p.label) for p in pairs]
    [([13, 14], [10, 11, 12], 1)]
"""
import dataclasses
from typing import List, NamedTuple


@dataclasses.dataclass(frozen=True)
class InstanceOptions:
  """Segment/pair options (official flag names)."""
  max_seq_length: int = 512
  short_seq_prob: float = 0.1
  random_next_sentence: bool = False


class SegmentPair(NamedTuple):
  """One (A, B) pair before masking; label 1 = swapped or random-document B."""
  a_ids: List[int]
  a_flags: bytes
  b_ids: List[int]
  b_flags: bytes
  label: int


def truncate_counts(len_a, len_b, max_num_tokens, rng):
  """How many tokens official `truncate_seq_pair` drops: (a_front, a_back, b_front, b_back).

  Same rng calls as the official per-token loop (one `rng.random()` per dropped
  token), computed on lengths only.
  """
  drops = [0, 0, 0, 0]
  while len_a + len_b > max_num_tokens:
    if len_a > len_b:
      len_a -= 1
      side = 0
    else:
      len_b -= 1
      side = 2
    drops[side + (0 if rng.random() < 0.5 else 1)] += 1
  return tuple(drops)


def truncate_seq_pair(tokens_a, tokens_b, max_num_tokens, rng):
  """In-place list version of the official function (for tests and callers with lists)."""
  a_front, a_back, b_front, b_back = truncate_counts(len(tokens_a), len(tokens_b),
                                                     max_num_tokens, rng)
  del tokens_a[len(tokens_a) - a_back:]
  del tokens_a[:a_front]
  del tokens_b[len(tokens_b) - b_back:]
  del tokens_b[:b_front]


def _concat(sentences):
  ids, flags = [], []
  for s_ids, s_flags in sentences:
    ids.extend(s_ids)
    flags.append(s_flags)
  return ids, b"".join(flags)


def _random_document_b(pool, doc_pos, target_b_length, rng):
  """B from a random other document of `pool` (10 tries to avoid `doc_pos`)."""
  for _ in range(10):
    other = rng.randint(0, len(pool) - 1)
    if other != doc_pos:
      break
  document = pool[other]
  start = rng.randint(0, len(document) - 1)
  chosen, length = [], 0
  for sentence in document[start:]:
    chosen.append(sentence)
    length += len(sentence[0])
    if length >= target_b_length:
      break
  return _concat(chosen)


def _chunk_to_pair(chunk, pool, doc_pos, target, opts, rng):
  """Returns (SegmentPair, number of chunk sentences to put back)."""
  a_end = rng.randint(1, len(chunk) - 1) if len(chunk) >= 2 else 1
  a_ids, a_flags = _concat(chunk[:a_end])
  put_back = 0
  if len(chunk) == 1 or (opts.random_next_sentence and rng.random() < 0.5):
    b_ids, b_flags = _random_document_b(pool, doc_pos, target - len(a_ids), rng)
    label, put_back = 1, len(chunk) - a_end
  elif not opts.random_next_sentence and rng.random() < 0.5:
    b_ids, b_flags = _concat(chunk[a_end:])
    a_ids, a_flags, b_ids, b_flags = b_ids, b_flags, a_ids, a_flags
    label = 1
  else:
    b_ids, b_flags = _concat(chunk[a_end:])
    label = 0
  la, lb = len(a_ids), len(b_ids)
  af, ab, bf, bb = truncate_counts(la, lb, opts.max_seq_length - 3, rng)
  if af or ab:
    a_ids, a_flags = a_ids[af:la - ab], a_flags[af:la - ab]
  if bf or bb:
    b_ids, b_flags = b_ids[bf:lb - bb], b_flags[bf:lb - bb]
  return SegmentPair(a_ids, a_flags, b_ids, b_flags, label), put_back


def create_segment_pairs(pool, doc_pos, opts, rng):
  """All SegmentPairs of one pass over document `pool[doc_pos]`.

  Args:
    pool: list of tokenized documents; random-document B segments come from it
      (official: the whole corpus; here: the document's block, see pipeline.py).
    doc_pos: index of the document in `pool`.
    opts: InstanceOptions.
    rng: `random.Random`, the only source of randomness.
  """
  document = pool[doc_pos]
  max_num_tokens = opts.max_seq_length - 3
  target = max_num_tokens
  if rng.random() < opts.short_seq_prob:
    target = rng.randint(2, max_num_tokens)
  pairs, chunk, length, i = [], [], 0, 0
  while i < len(document):
    chunk.append(document[i])
    length += len(document[i][0])
    if i == len(document) - 1 or length >= target:
      pair, put_back = _chunk_to_pair(chunk, pool, doc_pos, target, opts, rng)
      pairs.append(pair)
      i -= put_back
      chunk, length = [], 0
    i += 1
  return pairs
