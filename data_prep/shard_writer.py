"""⑤ One output shard: bounded shuffle buffer, temporary file, atomic completion.

A shard is written to `<path>.tmp-<pid>`; on completion its statistics go to
`<meta>/.data_prep/<name>.json` and the temporary file is renamed to `<path>`.
A shard is complete iff both the file and its marker exist, so a killed run
leaves either a complete shard or one that the next run redoes.

Shuffling (deviation, bounded memory): the official script shuffles all
instances of the whole corpus in memory. Here each shard streams its examples
through a shuffle buffer of a fixed number of records (like tf.data's
`shuffle`), seeded by (random_seed, shard): output stays reproducible.
"""
import json
import os
import random

from data_prep import tfrecord_io

MARKER_DIR = ".data_prep"


def marker_path(meta_dir, shard_path):
  return os.path.join(meta_dir, MARKER_DIR, os.path.basename(shard_path) + ".json")


def is_complete(meta_dir, shard_path):
  return os.path.exists(shard_path) and os.path.exists(marker_path(meta_dir, shard_path))


def atomic_write_text(path, text):
  tmp = f"{path}.tmp-{os.getpid()}"
  with open(tmp, "w", encoding="utf-8") as f:
    f.write(text)
  os.replace(tmp, path)


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
    self._file.write(tfrecord_io.frame(self._buffer[j]))
    self._buffer[j] = record

  def close(self, stats_state):
    """Flushes the buffer, writes the completion marker, renames into place."""
    self._rng.shuffle(self._buffer)
    for record in self._buffer:
      self._file.write(tfrecord_io.frame(record))
    self._buffer = []
    self._file.close()
    marker = marker_path(self.meta_dir, self.path)
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    atomic_write_text(marker, json.dumps(stats_state, sort_keys=True))
    os.replace(self.tmp_path, self.path)

  def abort(self):
    self._file.close()
    if os.path.exists(self.tmp_path):
      os.remove(self.tmp_path)
