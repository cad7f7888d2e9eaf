"""⑤ One output shard: bounded shuffle buffer, temporary file, atomic completion.

A worker writes a shard to `<path>.tmp-<pid>` (`ShardWriter.finish`); the main
process commits it (`commit`) only when the whole run succeeded: the temporary
file is renamed to `<path>`, then its statistics go to the completion marker
`<meta>/.data_prep/<name>.json`. A shard is complete iff its marker exists and
so does its file (or the marker says it is empty: no file is written for a
shard that got no instances). Rename-then-marker means a killed run leaves
either a complete shard or one that the next run redoes.

Shuffling (deviation, bounded memory): the official script shuffles all
instances of the whole corpus in memory. Here each shard streams its examples
through a shuffle buffer of a fixed number of records (like tf.data's
`shuffle`), seeded by (random_seed, shard): output stays reproducible.
"""
import json
import os
import random

from albert_tf import errors
from data_prep import tfrecord_io

MARKER_DIR = ".data_prep"


def marker_path(meta_dir, shard_path):
  return os.path.join(meta_dir, MARKER_DIR, os.path.basename(shard_path) + ".json")


def read_marker(meta_dir, shard_path):
  """The marker's dict, or None when the shard is not complete."""
  try:
    with open(marker_path(meta_dir, shard_path), encoding="utf-8") as f:
      marker = json.load(f)
  except (OSError, ValueError):
    return None  # missing, or half-written by a killed run: the shard is redone
  if marker.get("empty") or os.path.exists(shard_path):
    return marker
  return None


def is_complete(meta_dir, shard_path):
  return read_marker(meta_dir, shard_path) is not None


def _named(e, path):
  """`e` (an OSError from write/close, which carry no file name) re-raised naming `path`."""
  if isinstance(e, OSError) and e.filename is None and errors.describe(e) is not None:
    return OSError(e.errno, e.strerror, path)
  return e


def atomic_write_text(path, text):
  tmp = f"{path}.tmp-{os.getpid()}"
  try:
    with open(tmp, "w", encoding="utf-8") as f:
      f.write(text)
    os.replace(tmp, path)
  except OSError as e:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise _named(e, path) from e


def commit(meta_dir, shard_path, tmp_path, count, stats_state):
  """Marks a finished shard complete: rename `tmp_path` into place, then write the marker.

  A shard with no instances gets no file (no 0-byte TFRecords), only a marker saying so.
  """
  if count:
    os.replace(tmp_path, shard_path)
  else:
    for path in (tmp_path, shard_path):
      if os.path.exists(path):
        os.remove(path)
  marker = marker_path(meta_dir, shard_path)
  os.makedirs(os.path.dirname(marker), exist_ok=True)
  atomic_write_text(marker, json.dumps({**stats_state, "empty": not count}, sort_keys=True))


def buffer_records(config, num_shards):
  """Shuffle-buffer size per shard: `shuffle_buffer_mb` split over all shards.

  Depends only on options (not on num_workers), so output bytes do not either.
  Estimated record size: ~2 bytes per sequence position and feature + overhead.
  """
  record_bytes = 8 * config.max_seq_length + 8 * config.max_predictions_per_seq + 200
  return max(1, (config.shuffle_buffer_mb << 20) // num_shards // record_bytes)


class ShardWriter:
  """Writes one shard through a seeded shuffle buffer.

  Args:
    path: final shard path.
    meta_dir: folder holding the `.data_prep` completion markers.
    capacity: shuffle-buffer size in records (1 = no shuffling).
    seed: seed of the buffer's rng (derive from random_seed and shard index).
    compress: gzip the shard.
  """

  def __init__(self, path, meta_dir, capacity, seed, compress=False):
    self.path, self.meta_dir, self.capacity = path, meta_dir, max(1, capacity)
    self.tmp_path = f"{path}.tmp-{os.getpid()}"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    self._file = tfrecord_io.open_writer(self.tmp_path, compress)
    self._rng = random.Random(seed)
    self._buffer = []
    self.count = 0

  def add(self, record):
    self.count += 1
    if len(self._buffer) < self.capacity:
      self._buffer.append(record)
      return
    j = int(self._rng.random() * self.capacity)
    self._write(tfrecord_io.frame(self._buffer[j]))
    self._buffer[j] = record

  def _write(self, data):
    try:
      self._file.write(data)
    except OSError as e:  # full disk, file size limit: name the shard
      raise _named(e, self.tmp_path) from e

  def finish(self):
    """Flushes the buffer and closes the temporary file; returns its path (not committed)."""
    self._rng.shuffle(self._buffer)
    for record in self._buffer:
      self._write(tfrecord_io.frame(record))
    self._buffer = []
    try:
      self._file.close()
    except OSError as e:
      raise _named(e, self.tmp_path) from e
    return self.tmp_path

  def close(self, stats_state):
    """finish() and commit() in one (a single-process writer)."""
    commit(self.meta_dir, self.path, self.finish(), self.count, stats_state)

  def abort(self):
    try:
      self._file.close()
    except OSError:
      pass  # the write that failed is reported; the file is deleted anyway
    if os.path.exists(self.tmp_path):
      os.remove(self.tmp_path)
