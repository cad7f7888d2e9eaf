"""②→⑤ One block of documents → serialized examples (shared by pipeline and Beam).

Determinism: every random choice for document d of file f in dupe pass p
comes from `random.Random(f"{random_seed}/{f}/{d}/{p}")`, so an example depends
only on the input, the options and its position, never on which process or
machine made it. The local pipeline and the Beam pipeline therefore produce
the same multiset of examples.

Each document is tokenized once per block and reused for all `dupe_factor`
passes (the official script tokenizes once too, but keeps every instance of
every pass in memory until the end). Examples come out pass by pass over the
block's documents, lazily: memory holds one block's tokens, never its examples.

Deviation (bounded memory): random-document B segments (one-sentence chunks,
or NSP mode) are drawn from the other documents of the same block (~256 KiB
of text, typically tens of documents) instead of the whole corpus.
"""
import logging
import random

from data_prep import instance_counts, instances, masking
from data_prep.example_codec import ExampleEncoder
from albert_tf.tokenization import SentencePieceTokenizer

log = logging.getLogger(__name__)


def shard_of_block(file_index, block_index, num_shards):
  """Blocks go round-robin over shards, each file starting one shard further."""
  return (file_index + block_index) % num_shards


def document_rng(seed, file_index, doc_index, dupe_pass):
  return random.Random(f"{seed}/{file_index}/{doc_index}/{dupe_pass}")


class BlockProcessor:
  """Turns `documents.Block`s into serialized `tf.train.Example`s.

  Args:
    config: a `config.DataPrepConfig`.
  """

  def __init__(self, config):
    self.config = config
    self.tokenizer = SentencePieceTokenizer(config.spm_model_file, config.do_lower_case)
    self.instance_options = instances.InstanceOptions(
        max_seq_length=config.max_seq_length, short_seq_prob=config.short_seq_prob,
        random_next_sentence=config.random_next_sentence)
    self.encoder = ExampleEncoder(config.max_seq_length, config.max_predictions_per_seq)
    self._masking = None
    self._positions = list(range(config.max_seq_length))
    self.examples_logged = 0

  def __getstate__(self):
    # Small pickles for 'spawn' workers: the encoder's ~770 KB varint table is rebuilt in
    # the worker. (A spawn child that dies before reading a payload larger than the pipe
    # buffer, 64 KiB, would leave multiprocessing's Process.start() blocked forever.)
    state = dict(self.__dict__)
    state["_masking"] = None
    del state["encoder"]
    return state

  def __setstate__(self, state):
    self.__dict__.update(state)
    self.encoder = ExampleEncoder(self.config.max_seq_length, self.config.max_predictions_per_seq)

  def warm_up(self):
    """Loads the SentencePiece model and tables now (before forking workers)."""
    self._masking_setup()
    return self

  def _masking_setup(self):
    if self._masking is None:
      cls_id, sep_id, mask_id = self.tokenizer.special_ids
      c = self.config
      opts = masking.MaskingOptions(
          vocab_size=self.tokenizer.vocab_size, mask_id=mask_id,
          masked_lm_prob=c.masked_lm_prob, max_predictions_per_seq=c.max_predictions_per_seq,
          ngram=c.ngram, favor_shorter_ngram=c.favor_shorter_ngram,
          do_whole_word_mask=c.do_whole_word_mask)
      self._masking = (opts, opts.ngram_cdf(), cls_id, sep_id, mask_id)
    return self._masking

  def tokenize_block(self, block, doc_stats):
    """→ list of (doc_index_in_file, tokenized document) for non-empty documents."""
    limit = self.config.max_seq_length - 3
    lines = [s for doc in block.documents for s in doc]
    encoded = iter(self.tokenizer.encode_lines(lines))
    pool = []
    for offset, doc in enumerate(block.documents):
      sentences = []
      for _ in doc:
        ids, flags = next(encoded)
        doc_stats.sentences += 1
        if not ids:
          doc_stats.empty_sentences += 1
          continue
        doc_stats.tokens += len(ids)
        doc_stats.long_sentences += len(ids) > limit
        sentences.append((ids, flags))
      doc_stats.documents += 1
      if not sentences:
        doc_stats.empty_documents += 1
        continue
      doc_stats.one_sentence_documents += len(sentences) == 1
      pool.append((block.first_doc_index + offset, sentences))
    return pool

  def process_block(self, block, example_stats, doc_stats):
    """Yields serialized examples of all dupe passes over the block's documents."""
    indexed = self.tokenize_block(block, doc_stats)
    pool = [doc for _, doc in indexed]
    seed = self.config.random_seed
    for dupe_pass in range(self.config.dupe_factor):
      for pos, (doc_index, _) in enumerate(indexed):
        rng = document_rng(seed, block.file_index, doc_index, dupe_pass)
        pairs = instances.create_segment_pairs(pool, pos, self.instance_options, rng)
        for pair in pairs:
          yield self._example(pair, rng, example_stats)

  def _example(self, pair, rng, example_stats):
    opts, cdf, cls_id, sep_id, mask_id = self._masking_setup()
    la, lb = len(pair.a_ids), len(pair.b_ids)
    tokens = [cls_id] + pair.a_ids + [sep_id] + pair.b_ids + [sep_id]
    every = self._positions
    cand_positions = every[1:la + 1] + every[la + 2:la + 2 + lb]
    output, positions, labels = masking.create_masked_lm_predictions(
        tokens, cand_positions, pair.a_flags + pair.b_flags, opts, rng, cdf=cdf)
    boundary = b"".join((b"\x01", pair.a_flags, b"\x01", pair.b_flags, b"\x01"))
    example_stats.add(output, la + 2, boundary, positions, labels, pair.label, mask_id)
    if self.examples_logged < self.config.log_examples:
      self._log_example(output, positions, labels, pair.label)
    return self.encoder.encode(output, la + 2, boundary, positions, labels, pair.label)

  def _log_example(self, output, positions, labels, label):
    self.examples_logged += 1
    piece = self.tokenizer.id_to_piece
    log.info("example: tokens: %s | masked_lm_positions: %s | masked_lm_labels: %s | "
             "sentence_order_label: %d", " ".join(piece(i) for i in output), positions,
             " ".join(piece(i) for i in labels), label)


def new_stats(config):
  return (instance_counts.ExampleStats(config.max_seq_length), instance_counts.DocumentStats())
