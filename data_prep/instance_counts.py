"""Statistics of pretraining examples and of the documents they came from.

Used by the pipeline (stats.json beside the shards) and by `python -m
data_prep.stats` on any TFRecords, ours or the official script's: both feed
the same numbers into `ExampleStats.add`, so the summaries are comparable.

Definitions:
  * real tokens = positions with input_mask 1 ([CLS]/[SEP] included);
  * mask rate = masked positions / real tokens;
  * masked word spans: runs of consecutive masked positions; a run's length is
    the number of word starts (token_boundary 1) in it, at least 1;
  * [MASK] / kept / random: input id at a masked position is [MASK], equals
    the label id, or is anything else (a random draw that hits the original id
    counts as kept, as it must: the two cannot be told apart);
  * A length = segment-0 positions - 2, B length = segment-1 positions - 1.

Example:
    >>> s = ExampleStats(max_seq_length=8)
    >>> s.add([2, 4, 11, 3, 12, 3], 4, b"\\x01\\x01\\x00\\x01\\x01\\x01", [1, 2], [10, 11], 1, mask_id=4)
    >>> s.summary()["masked_span_histogram"]
    {'1': 1.0, '2': 0.0, '3': 0.0, '>3': 0.0}
"""
import dataclasses
import json

SPAN_BUCKETS = ("1", "2", "3", ">3")


@dataclasses.dataclass
class DocumentStats:
  """Counts over tokenized documents (only the pipeline has these)."""
  documents: int = 0
  empty_documents: int = 0
  one_sentence_documents: int = 0
  sentences: int = 0
  empty_sentences: int = 0
  long_sentences: int = 0  # longer than max_seq_length - 3 tokens: truncated
  tokens: int = 0

  def merge(self, other):
    for f in dataclasses.fields(self):
      setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


class ExampleStats:
  """Accumulates per-example statistics; mergeable, JSON round-trippable."""

  def __init__(self, max_seq_length):
    self.max_seq_length = max_seq_length
    self.length_hist = [0] * (max_seq_length + 1)
    self.counts = dict(instances=0, masked=0, real_tokens=0, mask_token=0, kept=0,
                       random=0, label_0=0, label_1=0, len_a=0, len_b=0)
    self.spans = [0, 0, 0, 0]

  def add(self, input_ids, num_segment0, token_boundary, positions, label_ids, label, mask_id):
    """One example: unpadded ids (after masking), segment-0 count, etc."""
    c = self.counts
    n = len(input_ids)
    c["instances"] += 1
    c["real_tokens"] += n
    self.length_hist[min(n, self.max_seq_length)] += 1
    c["len_a"] += num_segment0 - 2
    c["len_b"] += n - num_segment0 - 1
    c["label_1" if label else "label_0"] += 1
    c["masked"] += len(positions)
    prev, words = -2, 0
    for pos, orig in zip(positions, label_ids):
      current = input_ids[pos]
      if current == mask_id:
        c["mask_token"] += 1
      elif current == orig:
        c["kept"] += 1
      else:
        c["random"] += 1
      if pos != prev + 1 and prev >= 0:
        self.spans[min(max(words, 1), 4) - 1] += 1
        words = 0
      words += token_boundary[pos]
      prev = pos
    if prev >= 0:
      self.spans[min(max(words, 1), 4) - 1] += 1

  def add_decoded(self, example, mask_id=4):
    """One example as decoded by example_codec.decode_example (padded features)."""
    n = sum(example["input_mask"])
    weights = example.get("masked_lm_weights", [])
    k = sum(1 for w in weights if w > 0)
    seg = example.get("segment_ids", [0] * n)
    label = example.get("next_sentence_labels", example.get("sentence_order_label", [0]))
    boundary = example.get("token_boundary") or [1] * n
    self.add(example["input_ids"][:n], n - sum(seg[:n]), boundary[:n],
             example["masked_lm_positions"][:k], example["masked_lm_ids"][:k], label[0],
             mask_id)

  def merge(self, other):
    for key in self.counts:
      self.counts[key] += other.counts[key]
    self.spans = [a + b for a, b in zip(self.spans, other.spans)]
    if len(other.length_hist) > len(self.length_hist):
      self.length_hist += [0] * (len(other.length_hist) - len(self.length_hist))
      self.max_seq_length = other.max_seq_length
    for i, v in enumerate(other.length_hist):
      self.length_hist[i] += v

  def to_state(self):
    return {"max_seq_length": self.max_seq_length, "length_hist": self.length_hist,
            "counts": self.counts, "spans": self.spans}

  @classmethod
  def from_state(cls, state):
    s = cls(state["max_seq_length"])
    s.length_hist, s.counts, s.spans = list(state["length_hist"]), dict(state["counts"]), list(
        state["spans"])
    return s

  def _percentile(self, q):
    total, target, acc = self.counts["instances"], q * self.counts["instances"], 0
    for length, count in enumerate(self.length_hist):
      acc += count
      if total and acc >= target:
        return length
    return 0

  def summary(self):
    c, n = self.counts, self.counts["instances"]
    masked, spans = c["masked"], sum(self.spans)
    div = lambda a, b: round(a / b, 6) if b else 0.0  # noqa: E731
    return {
        "instances": n,
        "real_tokens_per_instance": {"mean": div(c["real_tokens"], n),
                                     "p10": self._percentile(0.10),
                                     "p50": self._percentile(0.50)},
        "share_shorter_than_max_seq_length": div(
            n - self.length_hist[self.max_seq_length], n),
        "max_seq_length": self.max_seq_length,
        "masked_per_instance": div(masked, n),
        "mask_rate": div(masked, c["real_tokens"]),
        "masked_span_histogram": {k: div(v, spans) for k, v in zip(SPAN_BUCKETS, self.spans)},
        "masked_replacement_shares": {"mask": div(c["mask_token"], masked),
                                      "kept": div(c["kept"], masked),
                                      "random": div(c["random"], masked)},
        "sop_label_1_share": div(c["label_1"], n),
        "mean_len_a": div(c["len_a"], n),
        "mean_len_b": div(c["len_b"], n),
    }


def dumps(obj):
  return json.dumps(obj, indent=2, sort_keys=True) + "\n"
