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
their blocks not even tokenized; partial ones are redone from scratch. The
manifest (`data_prep_config.json`) records the options and a fingerprint of
the inputs (path, size, mtime and SHA-256 of every input file and of the
SentencePiece model). A rerun with other output-affecting options is refused
(the message names the flags: rerun with the old ones or use a new folder); a
rerun whose inputs changed (content, size, mtime, or the list of files) deletes
every shard and redoes them all (block b of file f feeds shard (f + b) % n, so
a changed file touches most shards, and a changed list shifts them all).

Failures end the run cleanly: workers write temporary files and the main
process commits shards only after every block was processed, the input did
not change while it was read and at least one instance was made. A worker
that dies (OOM killer, kill -9) or fails is noticed within a second and the
others are stopped; workers die with the main process (PR_SET_PDEATHSIG on
Linux, plus a parent check every second elsewhere) and ignore Ctrl-C, which
the main process handles (KeyboardInterrupt: workers stopped, temporaries
deleted). A shard that gets no instance (small input, more shards than
blocks) gets no file, only a completion marker, and a warning says so.
"""
import dataclasses
import glob
import hashlib
import json
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback

from albert_tf import errors
from albert_tf.tokenization import CLS, MASK, SEP, SentencePieceTokenizer
from data_prep import block_processing, documents, instance_counts, shard_writer
from data_prep.config import ConfigError

log = logging.getLogger(__name__)

_QUEUE_BLOCKS = 3
_PARENT_CHECK_SECONDS = 1.0
_STOP_SECONDS = 5.0  # how long stopped workers get to delete their temporaries
MANIFEST = "data_prep_config.json"
STATS = "stats.json"
# Options whose change is caught by the input fingerprint (the files they name), not by name.
_FINGERPRINTED_OPTIONS = ("input_file", "spm_model_file")


class PipelineError(errors.UserError):
  """A failure with a one-line, user-facing message."""


class WorkerCrash(RuntimeError):
  """A bug in a worker: carries the worker's traceback (reported as a traceback)."""


def _shard_seed(config, shard):
  return f"{config.random_seed}/shuffle/{shard}"


def _become_worker(parent_pid, result_queue):
  """Signal set-up of a worker: no Ctrl-C of its own, dies with the main process.

  Ctrl-C reaches the whole process group; the main process alone handles it and stops the
  workers (SIGTERM), so the user sees one message instead of a traceback per worker.
  SIGTERM raises SystemExit, which runs the `finally` that deletes the temporary files.
  """
  signal.signal(signal.SIGINT, signal.SIG_IGN)

  def on_sigterm(signum, frame):  # pylint: disable=unused-argument
    result_queue.cancel_join_thread()  # exit without flushing to a reader that is gone
    raise SystemExit(128 + signal.SIGTERM)
  signal.signal(signal.SIGTERM, on_sigterm)
  signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the pool's fork
  if sys.platform.startswith("linux"):
    try:
      import ctypes  # pylint: disable=import-outside-toplevel
      libc = ctypes.CDLL(None, use_errno=True)
      libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG: SIGTERM when main dies
    except (OSError, AttributeError):
      pass  # the parent check in _next_task still ends an orphaned worker within a second
  if os.getppid() != parent_pid:  # the main process died before prctl took effect
    raise SystemExit(1)


def _next_task(task_queue, parent_pid):
  """The next task; ends the worker when the main process is gone (no orphans)."""
  while True:
    try:
      return task_queue.get(timeout=_PARENT_CHECK_SECONDS)
    except queue.Empty:
      if os.getppid() != parent_pid:
        raise SystemExit(1) from None


def _worker_main(worker_id, processor, shards, task_queue, result_queue, parent_pid):
  """Worker process: processes blocks of its `shards`, then finishes their temporary files.

  Reports ("progress", documents, instances), ("shard_ready", shard, (tmp path, instances,
  stats state)), ("worker_done", id, None), or ("error", message, None) for an expected
  failure (full disk, ...) / ("crash", traceback, None) for a bug. The main process commits.
  """
  _become_worker(parent_pid, result_queue)
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
      task = _next_task(task_queue, parent_pid)
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
      writer = writers[s]
      tmp = writer.finish()
      del writers[s]  # finished: the main process commits or deletes the temporary file
      result_queue.put(("shard_ready", s, (tmp, writer.count, state)))
    result_queue.put(("worker_done", worker_id, None))
  except Exception as e:  # pylint: disable=broad-except -- reported to the main process
    message = errors.describe(e)
    if message is not None:
      result_queue.put(("error", message, None))
    else:
      result_queue.put(("crash", f"worker {worker_id} crashed:\n{traceback.format_exc()}",
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
  if ("fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
      and "tensorflow" not in sys.modules and "apache_beam" not in sys.modules):
    return "fork"
  return "spawn"


def _signal_name(exitcode):
  try:
    return signal.Signals(-exitcode).name
  except ValueError:
    return f"signal {-exitcode}"


class _WorkerPool:
  """Worker processes, one task queue each, one shared result queue."""

  def __init__(self, config, pending, progress):
    ctx = multiprocessing.get_context(_start_method())
    processor = block_processing.BlockProcessor(config)
    processor.warm_up()  # loaded once here; inherited by forked workers
    n = min(config.num_workers, len(pending))
    self.paths = config.shard_paths()
    self.owner = {s: i % n for i, s in enumerate(pending)}
    self.tasks = [ctx.Queue(maxsize=_QUEUE_BLOCKS) for _ in range(n)]
    self.results = ctx.Queue()
    self.progress = progress
    self.done_workers = 0
    self.ready = {}  # shard → (temporary path, instances, stats state)
    self.procs = []
    # Workers start with SIGINT blocked, so a Ctrl-C during start-up cannot give them a
    # KeyboardInterrupt before they ignore SIGINT (_become_worker unblocks it).
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
      signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
      for k in range(n):
        shards = [s for s in pending if self.owner[s] == k]
        p = ctx.Process(target=_worker_main,
                        args=(k, processor, shards, self.tasks[k], self.results, os.getpid()),
                        daemon=True, name=f"data_prep-worker-{k}")
        p.start()
        self.procs.append(p)
    finally:
      if main_thread:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

  def _shards_of(self, k):
    return ", ".join(os.path.basename(self.paths[s]) for s, w in self.owner.items() if w == k)

  def drain(self, timeout=0.0):
    """Handles pending results; raises on a worker's error or death."""
    deadline = time.monotonic() + timeout
    while True:
      try:
        kind, a, b = self.results.get(timeout=max(0.0, deadline - time.monotonic()))
      except queue.Empty:
        break
      if kind == "progress":
        self.progress.update(a, b)
      elif kind == "shard_ready":
        self.ready[a] = b
      elif kind == "worker_done":
        self.done_workers += 1
      elif kind == "error":
        raise PipelineError(a)
      elif kind == "crash":
        raise WorkerCrash(a)
    self.progress.maybe_log()
    for k, p in enumerate(self.procs):
      if p.exitcode not in (None, 0):
        how = (f"was killed by {_signal_name(p.exitcode)} (out of memory? kill?)"
               if p.exitcode < 0 else f"exited with code {p.exitcode}")
        raise PipelineError(f"data_prep worker {k} (pid {p.pid}) {how} while making "
                            f"{self._shards_of(k)}: unfinished shards are not marked "
                            "complete; rerun the same command to resume")

  def _put(self, k, item):
    """Puts into worker k's queue, watching for failures while it is full."""
    while True:
      try:
        self.tasks[k].put(item, timeout=0.2)
        return
      except queue.Full:
        self.drain()

  def submit(self, shard, block):
    self._put(self.owner[shard], (shard, block))
    self.drain()

  def finish(self):
    """Tells workers to finish; waits for every shard's temporary file."""
    for k in range(len(self.procs)):
      self._put(k, None)
    while self.done_workers < len(self.procs):
      self.drain(timeout=0.5)

  def terminate(self):
    """Stops all workers (SIGTERM: they delete their temporaries), then SIGKILL if stuck."""
    for q in self.tasks:
      q.cancel_join_thread()  # blocks nobody will read must not hold up our exit
    for p in self.procs:
      if p.is_alive():
        p.terminate()
    deadline = time.monotonic() + _STOP_SECONDS
    for p in self.procs:
      p.join(max(0.0, deadline - time.monotonic()))
      if p.is_alive():
        p.kill()
        p.join()


def _sha256(path):
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      digest.update(chunk)
  return digest.hexdigest()


def _stat_key(path):
  st = os.stat(path)
  return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def input_fingerprint(files, spm_model_file):
  """What the output depends on besides the options: every input file and the model.

  SHA-256 runs at ~1.7 GB/s on the 2-core EPYC (2026-12-06), so hashing costs a small
  fraction of tokenizing the same bytes.
  """
  entries = []
  for path in list(files) + [spm_model_file]:
    try:
      entries.append({"path": os.path.abspath(path), **_stat_key(path),
                      "sha256": _sha256(path)})
    except OSError as e:
      raise documents.InputError(f"cannot read input file {path!r}: {e.strerror}: check that "
                                 "it exists and is readable, then rerun") from e
  return {"files": entries[:-1], "spm_model": entries[-1]}


def _fingerprint_change(old, new):
  """A short description of how the inputs changed, or None if they did not."""
  if old == new:
    return None
  if not isinstance(old, dict) or "files" not in old:
    return "the folder was made by an older data_prep that recorded no input fingerprint"
  if old.get("spm_model") != new["spm_model"]:
    return f"SentencePiece model {new['spm_model']['path']} changed"
  old_paths = [f["path"] for f in old["files"]]
  new_paths = [f["path"] for f in new["files"]]
  if old_paths != new_paths:
    added, removed = set(new_paths) - set(old_paths), set(old_paths) - set(new_paths)
    if added or removed:
      return (f"the input file list changed ({len(added)} added, {len(removed)} removed, e.g. "
              f"{sorted(added or removed)[0]})")
    return "the input files are listed in another order"
  for a, b in zip(old["files"], new["files"]):
    if a != b:
      what = [k for k in ("size", "mtime_ns", "sha256") if a.get(k) != b.get(k)]
      return f"input file {b['path']} changed ({', '.join(what)})"
  return "the inputs changed"


def _prepare_output(config, meta_dir, fingerprint):
  """Checks the folder's manifest; invalidates the shards if the inputs changed.

  Raises ConfigError when the folder holds shards made with other options (by name).
  """
  paths = config.shard_paths()
  manifest_path = os.path.join(meta_dir, MANIFEST)
  options = {k: v for k, v in config.output_affecting().items()
             if k not in _FINGERPRINTED_OPTIONS}
  options = json.loads(json.dumps(options))
  if os.path.exists(manifest_path):
    try:
      with open(manifest_path, encoding="utf-8") as f:
        existing = json.load(f)
    except ValueError:
      existing = {}  # half-written or damaged: treat as an unknown old run (redo everything)
    old_options = existing.get("options", {k: v for k, v in existing.items()
                                           if k not in _FINGERPRINTED_OPTIONS})
    complete = any(shard_writer.is_complete(meta_dir, p) for p in paths)
    if old_options and old_options != options and complete:
      diff = sorted(k for k in set(old_options) | set(options)
                    if old_options.get(k) != options.get(k))
      changes = ", ".join(f"--{k}={old_options.get(k)!r} before, {options.get(k)!r} now"
                          for k in diff)
      raise ConfigError(f"{meta_dir} holds shards made with other options ({changes}): rerun "
                        "with the earlier values, or use a new --output_dir (or delete it)")
    change = _fingerprint_change(existing.get("inputs"), fingerprint)
    if change and complete:
      log.warning("%s since the shards in %s were made: redoing all %d shards", change,
                  meta_dir, len(paths))
      _invalidate(meta_dir, paths)
  # Shards not complete now are redone: delete any old file of theirs first, so that a
  # failing run leaves no old shard that looks current.
  for path in paths:
    if not shard_writer.is_complete(meta_dir, path) and os.path.exists(path):
      os.remove(path)
  os.makedirs(os.path.join(meta_dir, shard_writer.MARKER_DIR), exist_ok=True)
  shard_writer.atomic_write_text(manifest_path, instance_counts.dumps(
      {"options": options, "inputs": fingerprint}))


def _invalidate(meta_dir, paths):
  """Deletes markers first (a shard without marker is redone), then files and stats.json."""
  for path in paths:
    marker = shard_writer.marker_path(meta_dir, path)
    if os.path.exists(marker):
      os.remove(marker)
  for path in paths + [os.path.join(meta_dir, STATS)]:
    if os.path.exists(path):
      os.remove(path)


def _remove_stale_temporaries(paths):
  for path in paths:
    for tmp in glob.glob(glob.escape(path) + ".tmp-*"):
      os.remove(tmp)


def _feed_blocks(config, files, pending, pool, read_counts):
  pending_set, num_shards = set(pending), len(config.shard_paths())
  for block in documents.iter_all_blocks(files, config.block_size_bytes, read_counts,
                                         config.input_format, config.invalid_utf8):
    shard = block_processing.shard_of_block(block.file_index, block.block_index, num_shards)
    if shard in pending_set:
      pool.submit(shard, block)
    else:
      pool.drain()


def check_model(config):
  """Loads the SentencePiece model (fails early, one line) and checks ALBERT's symbols."""
  tokenizer = SentencePieceTokenizer(config.spm_model_file)
  vocab_size = tokenizer.vocab_size
  unk = tokenizer.sp.unk_id()
  missing = [p for p in (CLS, SEP, MASK) if tokenizer.piece_to_id(p) == unk]
  if missing:
    raise ConfigError(f"--spm_model_file={config.spm_model_file!r} has no {', '.join(missing)} "
                      "piece: give an ALBERT SentencePiece model (data_prep.train_sentencepiece "
                      "makes one), or omit the flag to use the shipped 30k-clean model")
  return vocab_size


def _check_inputs_unchanged(fingerprint):
  """Raises if an input file changed while it was read (size or mtime)."""
  for entry in fingerprint["files"]:
    try:
      now = _stat_key(entry["path"])
    except OSError:
      now = None
    if now != {"size": entry["size"], "mtime_ns": entry["mtime_ns"]}:
      raise documents.InputError(
          f"input file {entry['path']!r} changed (or vanished) while it was being read: no "
          "shard was marked complete; rerun when the input is final")


def run(config):
  """Writes all shards and stats.json; returns the stats dict.

  Raises:
    ConfigError, InputError: bad options or input (one-line messages).
    PipelineError: a worker failed or died, or the corpus has no usable document.
    KeyboardInterrupt: workers stopped, unfinished shards not marked complete.
  """
  config.validate()
  files = documents.expand_input_patterns(config.input_file)
  vocab_size = check_model(config)
  paths, meta_dir = config.shard_paths(), config.meta_dir()
  fingerprint = input_fingerprint(files, config.spm_model_file)
  os.makedirs(meta_dir, exist_ok=True)
  _remove_stale_temporaries(paths)
  _prepare_output(config, meta_dir, fingerprint)
  pending = [s for s, p in enumerate(paths) if not shard_writer.is_complete(meta_dir, p)]
  log.info("%d input files, vocab %d, %d shards (%d to do), %d workers", len(files), vocab_size,
           len(paths), len(pending), min(config.num_workers, max(1, len(pending))))
  read_counts = documents.ReadCounts()
  progress = _Progress(config.log_every_seconds, read_counts)
  stats_path = os.path.join(meta_dir, STATS)
  if not pending and os.path.exists(stats_path):
    log.info("all %d shards already complete; nothing to do", len(paths))
    with open(stats_path, encoding="utf-8") as f:
      return json.load(f)
  ready = {}
  if pending:
    pool = _WorkerPool(config, pending, progress)
    sigint = None
    try:
      _feed_blocks(config, files, pending, pool, read_counts)
      _check_inputs_unchanged(fingerprint)
      pool.finish()
      ready = pool.ready
    except KeyboardInterrupt:
      if threading.current_thread() is threading.main_thread():
        sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a 2nd Ctrl-C: no half cleanup
      raise
    finally:
      pool.terminate()
      if len(ready) < len(pending):
        _remove_stale_temporaries(paths)
      if sigint is not None:
        signal.signal(signal.SIGINT, sigint)
    progress.maybe_log(force=True)
  try:
    stats = _commit(config, files, read_counts, ready)
  finally:
    _remove_stale_temporaries(paths)
  shard_writer.atomic_write_text(stats_path, instance_counts.dumps(stats))
  _warn_about_input(stats)
  return stats


def _commit(config, files, read_counts, ready):
  """Marks the finished shards complete, unless the run made nothing; returns the stats."""
  meta_dir, paths = config.meta_dir(), config.shard_paths()
  states = {}
  for s, path in enumerate(paths):
    states[s] = ready[s][2] if s in ready else shard_writer.read_marker(meta_dir, path)
  stats = _aggregate(config, files, read_counts, states)
  if stats["instances"] == 0:
    raise PipelineError(_no_instance_reason(config, stats))
  empty = [s for s, (_, count, _) in ready.items() if not count]
  if empty and config.output_file:
    raise PipelineError(
        f"--output_file: {len(empty)} of {len(paths)} files would get no instance (e.g. "
        f"{paths[empty[0]]}): the input has fewer blocks of --block_size_bytes="
        f"{config.block_size_bytes} than files; list fewer files or lower --block_size_bytes")
  for s in sorted(ready):
    tmp, count, state = ready[s]
    shard_writer.commit(meta_dir, paths[s], tmp, count, state)
  empty_total = [p for p in paths if shard_writer.read_marker(meta_dir, p).get("empty")]
  if empty_total:
    log.warning("%d of %d shards got no instance and were not written (the input has fewer "
                "blocks of --block_size_bytes=%d than --num_output_shards=%d): for an even "
                "split use fewer shards or a smaller --block_size_bytes", len(empty_total),
                len(paths), config.block_size_bytes, len(paths))
  stats["shards"] = [os.path.basename(p) for p in paths if p not in empty_total]
  return stats


def _no_instance_reason(config, stats):
  """Why a run made no instance, in words (nothing was marked complete)."""
  docs, inp = stats["documents"], stats["input"]
  files = inp["files"]
  if files and inp["binary_files_skipped"] == files:
    why = f"all {files} input file(s) look binary (NUL bytes), not UTF-8 text"
  elif docs["documents"] == 0:
    why = "the input holds no text (empty, or blank lines only)"
  else:
    why = (f"none of its {docs['documents']} documents has a token (whitespace or "
           "characters that normalize to nothing)")
  if inp["binary_files_skipped"] and inp["binary_files_skipped"] != files:
    why += f"; {inp['binary_files_skipped']} binary file(s) skipped"
  return (f"no instance made from --input_file={config.input_file!r}: {why}; nothing was "
          "written: give one sentence per line, a blank line between documents")


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


def _aggregate(config, files, read_counts, states):
  """Merges the per-shard statistics (shard → marker or worker state) into stats.json's dict."""
  examples = instance_counts.ExampleStats(config.max_seq_length)
  docs = instance_counts.DocumentStats()
  for s in range(len(config.shard_paths())):
    state = states[s]
    examples.merge(instance_counts.ExampleStats.from_state(state["examples"]))
    docs.merge(instance_counts.DocumentStats(**state["documents"]))
  stats = examples.summary()
  stats["documents"] = dataclasses.asdict(docs)
  stats["input"] = dataclasses.asdict(read_counts)
  stats["input"]["files"] = len(files)
  stats["shards"] = [os.path.basename(p) for p in config.shard_paths()]
  stats["options"] = config.output_affecting()
  return stats
