"""①→⑤ The local data-preparation driver: streaming, parallel, resumable.

    main process: read files → blocks (documents.py) → task queue of the worker
                  that owns the block's shard; progress logging; stats.json
    worker k:     tokenize block → SOP pairs → masks → Examples (block_processing.py)
                  → shuffle buffer of the shard → <shard>.tmp-<pid> → rename

Reproducibility: block b of file f goes to shard (f + b) % num_shards; a shard
is written by exactly one worker, which sees its blocks in input order; all
randomness is seeded by position (block_processing.document_rng) or by shard
(shuffle buffer). So shard bytes do not depend on num_workers.

Memory is bounded: the main process holds one block; each task queue holds at
most `_QUEUE_BLOCKS` blocks; a worker holds one block's tokens plus the shuffle
buffers of its shards (`shuffle_buffer_mb` in total over all shards).

Resume: complete shards (file + marker, see shard_writer.py) are skipped and
their blocks not even tokenized; partial ones are redone from scratch.
"""
import dataclasses
import glob
import json
import logging
import multiprocessing
import os
import queue
import time
import traceback

from data_prep import block_processing, documents, instance_counts, shard_writer
from data_prep.config import ConfigError
from data_prep.documents import InputError
from albert_tf.tokenization import SentencePieceTokenizer

log = logging.getLogger(__name__)

_QUEUE_BLOCKS = 3
MANIFEST = "data_prep_config.json"
STATS = "stats.json"


class PipelineError(RuntimeError):
  """A failure with a one-line, user-facing message."""


def _shard_seed(config, shard):
  return f"{config.random_seed}/shuffle/{shard}"


def _worker_main(worker_id, processor, shards, task_queue, result_queue):
  """Worker process: processes blocks of its `shards`, then closes them."""
  writers = {}
  config = processor.config
  try:
    paths, meta = config.shard_paths(), config.meta_dir()
    capacity = shard_writer.buffer_records(config, len(paths))
    stats = {s: block_processing.new_stats(config) for s in shards}
    for s in shards:
      writers[s] = shard_writer.ShardWriter(paths[s], meta, capacity, _shard_seed(config, s),
                                            config.gzip)
    while True:
      task = task_queue.get()
      if task is None:
        break
      shard, block = task
      example_stats, doc_stats = stats[shard]
      before = example_stats.counts["instances"]
      for record in processor.process_block(block, example_stats, doc_stats):
        writers[shard].add(record)
      result_queue.put(("progress", len(block.documents),
                        example_stats.counts["instances"] - before))
    for s in shards:
      state = {"examples": stats[s][0].to_state(), "documents": dataclasses.asdict(stats[s][1])}
      writers.pop(s).close(state)
      result_queue.put(("shard_done", s, None))
    result_queue.put(("worker_done", worker_id, None))
  except InputError as e:
    result_queue.put(("error", str(e), None))
  except BaseException:  # pylint: disable=broad-except
    result_queue.put(("error", "worker %d crashed:\n%s" % (worker_id, traceback.format_exc()),
                      None))
  finally:
    for w in writers.values():
      w.abort()


class _Progress:
  """Counts and periodic log lines (documents/s, instances/s, input MB/s)."""

  def __init__(self, every_seconds, read_counts):
    self.start = self.last = time.monotonic()
    self.every, self.read = every_seconds, read_counts
    self.documents = self.instances = 0

  def update(self, documents, instances):
    self.documents += documents
    self.instances += instances

  def maybe_log(self, force=False):
    now = time.monotonic()
    if not force and now - self.last < self.every:
      return
    self.last, elapsed = now, max(now - self.start, 1e-9)
    log.info("%d documents (%.0f/s), %d instances (%.0f/s), %.1f MB input read (%.2f MB/s)",
             self.documents, self.documents / elapsed, self.instances,
             self.instances / elapsed, self.read.bytes_read / 1e6,
             self.read.bytes_read / 1e6 / elapsed)


def _start_method():
  """'fork' when safe: no TensorFlow loaded and no other Python threads.

  Forked workers start in ~10 ms and share the loaded SentencePiece model;
  'spawn' workers re-import and reload (~0.3 s each), which matters for small
  jobs. TensorFlow's thread pools make fork unsafe, hence 'spawn' then.
  """
  import sys  # pylint: disable=import-outside-toplevel
  import threading  # pylint: disable=import-outside-toplevel
  if ("fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
      and "tensorflow" not in sys.modules and "apache_beam" not in sys.modules):
    return "fork"
  return "spawn"


class _WorkerPool:
  """Worker processes, one task queue each, one shared result queue."""

  def __init__(self, config, pending, progress):
    ctx = multiprocessing.get_context(_start_method())
    processor = block_processing.BlockProcessor(config)
    processor.warm_up()  # loaded once here; inherited by forked workers
    n = min(config.num_workers, len(pending))
    self.owner = {s: i % n for i, s in enumerate(pending)}
    self.tasks = [ctx.Queue(maxsize=_QUEUE_BLOCKS) for _ in range(n)]
    self.results = ctx.Queue()
    self.progress = progress
    self.done_workers = 0
    self.procs = []
    for k in range(n):
      shards = [s for s in pending if self.owner[s] == k]
      p = ctx.Process(target=_worker_main,
                      args=(k, processor, shards, self.tasks[k], self.results),
                      daemon=True, name=f"data_prep-worker-{k}")
      p.start()
      self.procs.append(p)

  def drain(self, timeout=0.0):
    """Handles pending results; raises PipelineError on a worker error."""
    deadline = time.monotonic() + timeout
    while True:
      try:
        kind, a, b = self.results.get(timeout=max(0.0, deadline - time.monotonic()))
      except queue.Empty:
        break
      if kind == "progress":
        self.progress.update(a, b)
      elif kind == "worker_done":
        self.done_workers += 1
      elif kind == "error":
        raise PipelineError(a)
    self.progress.maybe_log()
    if any(p.exitcode not in (None, 0) for p in self.procs):
      raise PipelineError("a worker process died (out of memory? killed?); rerun to resume")

  def submit(self, shard, block):
    q = self.tasks[self.owner[shard]]
    while True:
      try:
        q.put((shard, block), timeout=0.2)
        return
      except queue.Full:
        self.drain()

  def finish(self):
    for q in self.tasks:
      q.put(None)
    while self.done_workers < len(self.procs):
      self.drain(timeout=0.5)
    for p in self.procs:
      p.join()

  def terminate(self):
    for p in self.procs:
      if p.is_alive():
        p.terminate()
    for p in self.procs:
      p.join()


def _check_manifest(config, meta_dir):
  path = os.path.join(meta_dir, MANIFEST)
  wanted = config.output_affecting()
  if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
      existing = json.load(f)
    if existing != json.loads(json.dumps(wanted)):
      diff = sorted(k for k in set(existing) | set(wanted) if existing.get(k) != wanted.get(k))
      raise ConfigError(f"{meta_dir} holds shards made with other options ({', '.join(diff)});"
                        " use a new output folder or delete it")
  os.makedirs(os.path.join(meta_dir, shard_writer.MARKER_DIR), exist_ok=True)
  shard_writer.atomic_write_text(path, instance_counts.dumps(wanted))


def _remove_stale_temporaries(paths):
  for path in paths:
    for tmp in glob.glob(glob.escape(path) + ".tmp-*"):
      os.remove(tmp)


def _feed_blocks(config, files, pending, pool, read_counts):
  pending_set, num_shards = set(pending), len(config.shard_paths())
  for block in documents.iter_all_blocks(files, config.block_size_bytes, read_counts,
                                         config.input_format):
    shard = block_processing.shard_of_block(block.file_index, block.block_index, num_shards)
    if shard in pending_set:
      pool.submit(shard, block)
    else:
      pool.drain()


def run(config):
  """Writes all shards and stats.json; returns the stats dict.

  Raises:
    ConfigError, InputError: bad options or input (one-line messages).
    PipelineError: a worker failed, or the corpus has no usable document.
  """
  config.validate()
  files = documents.expand_input_patterns(config.input_file)
  vocab_size = SentencePieceTokenizer(config.spm_model_file).vocab_size  # fails early if bad
  paths, meta_dir = config.shard_paths(), config.meta_dir()
  os.makedirs(meta_dir, exist_ok=True)
  _check_manifest(config, meta_dir)
  _remove_stale_temporaries(paths)
  pending = [s for s, p in enumerate(paths) if not shard_writer.is_complete(meta_dir, p)]
  log.info("%d input files, vocab %d, %d shards (%d to do), %d workers", len(files), vocab_size,
           len(paths), len(pending), min(config.num_workers, max(1, len(pending))))
  read_counts = documents.ReadCounts()
  progress = _Progress(config.log_every_seconds, read_counts)
  if pending:
    pool = _WorkerPool(config, pending, progress)
    try:
      _feed_blocks(config, files, pending, pool, read_counts)
      pool.finish()
    finally:
      pool.terminate()
    progress.maybe_log(force=True)
  stats_path = os.path.join(meta_dir, STATS)
  if not pending and os.path.exists(stats_path):
    log.info("all %d shards already complete; nothing to do", len(paths))
    with open(stats_path, encoding="utf-8") as f:
      return json.load(f)
  stats = _aggregate(config, files, read_counts)
  shard_writer.atomic_write_text(stats_path, instance_counts.dumps(stats))
  _warn_about_input(stats)
  if stats["instances"] == 0:
    skipped = stats["input"]["binary_files_skipped"]
    raise PipelineError(f"no usable document in {config.input_file!r}: "
                        f"{stats['documents']['documents']} documents read, none produced "
                        "an instance" + (f"; {skipped} binary file(s) skipped" if skipped else "")
                        + " (see stats.json)")
  return stats


def _warn_about_input(stats):
  """One log line per kind of questionable input (the counts are in stats.json)."""
  docs, inp = stats["documents"], stats["input"]
  notes = [
      (inp["invalid_utf8_lines"], "lines had invalid UTF-8 (replaced by U+FFFD)"),
      (inp["binary_files_skipped"], "input files looked binary (NUL bytes) and were skipped"),
      (inp["binary_lines_skipped"], "lines had NUL bytes and were skipped"),
      (docs["empty_documents"], "documents had no tokens and were skipped"),
      (docs["one_sentence_documents"],
       "documents have one sentence: their pairs all take B from another document (label 1)"),
      (docs["long_sentences"],
       "sentences are longer than max_seq_length - 3 tokens and get truncated"),
  ]
  for count, what in notes:
    if count:
      log.warning("%d %s", count, what)


def _aggregate(config, files, read_counts):
  """Merges the per-shard markers into the stats.json dict."""
  examples = instance_counts.ExampleStats(config.max_seq_length)
  docs = instance_counts.DocumentStats()
  for path in config.shard_paths():
    with open(shard_writer.marker_path(config.meta_dir(), path), encoding="utf-8") as f:
      state = json.load(f)
    examples.merge(instance_counts.ExampleStats.from_state(state["examples"]))
    docs.merge(instance_counts.DocumentStats(**state["documents"]))
  stats = examples.summary()
  stats["documents"] = dataclasses.asdict(docs)
  stats["input"] = dataclasses.asdict(read_counts)
  stats["input"]["files"] = len(files)
  stats["shards"] = [os.path.basename(p) for p in config.shard_paths()]
  stats["options"] = config.output_affecting()
  return stats
