"""DataPrepConfig: every option of the data-preparation job, validated in one place.

Field names are the official `create_pretraining_data.py` flag names
(docs/albert_reference.md §3.1) plus our scaling options. The CLI turns flags into this
dataclass; the library never reads flags.
"""
import dataclasses
import os
from typing import List, Optional

from albert_tf import errors, resources

INPUT_FORMATS = ("sentences", "paragraphs")
INVALID_UTF8_POLICIES = ("error", "replace")


class ConfigError(errors.UserError):
  """A bad option value; the message names the option and what to do."""


@dataclasses.dataclass(frozen=True)
class DataPrepConfig:
  """Options of `pipeline.run` (see create_pretraining_data.py for help texts)."""
  input_file: str = resources.DEFAULT_CORPUS
  output_dir: Optional[str] = None
  output_file: Optional[str] = None
  spm_model_file: str = resources.DEFAULT_SPM_MODEL
  do_lower_case: bool = True
  max_seq_length: int = 512
  max_predictions_per_seq: int = 20
  masked_lm_prob: float = 0.15
  dupe_factor: int = 40
  short_seq_prob: float = 0.1
  ngram: int = 3
  favor_shorter_ngram: bool = True
  do_whole_word_mask: bool = True
  random_next_sentence: bool = False
  random_seed: int = 12345
  num_workers: int = 1
  num_output_shards: int = 8
  input_format: str = "sentences"
  invalid_utf8: str = "error"
  gzip: bool = False
  block_size_bytes: int = 256 * 1024
  shuffle_buffer_mb: int = 128
  log_every_seconds: float = 10.0
  log_examples: int = 3

  def validate(self):
    """Raises ConfigError with a one-line message for the first bad option."""
    checks = [
        (self.max_seq_length >= 5, "max_seq_length", "must be >= 5 ([CLS] A [SEP] B [SEP])"),
        (self.max_predictions_per_seq >= 1, "max_predictions_per_seq", "must be >= 1"),
        (0.0 <= self.masked_lm_prob <= 1.0, "masked_lm_prob", "must be in [0, 1]"),
        (self.dupe_factor >= 1, "dupe_factor", "must be >= 1"),
        (0.0 <= self.short_seq_prob <= 1.0, "short_seq_prob", "must be in [0, 1]"),
        (self.ngram >= 1, "ngram", "must be >= 1"),
        (self.num_workers >= 1, "num_workers", "must be >= 1"),
        (self.num_output_shards >= 1, "num_output_shards", "must be >= 1"),
        (self.input_format in INPUT_FORMATS, "input_format",
         f"must be one of {', '.join(INPUT_FORMATS)}"),
        (self.invalid_utf8 in INVALID_UTF8_POLICIES, "invalid_utf8",
         f"must be one of {', '.join(INVALID_UTF8_POLICIES)}"),
        (self.block_size_bytes >= 1, "block_size_bytes", "must be >= 1"),
        (self.shuffle_buffer_mb >= 0, "shuffle_buffer_mb", "must be >= 0"),
        (bool(self.input_file), "input_file", "is required (path, glob or comma list)"),
        (bool(self.output_dir) != bool(self.output_file), "output_dir",
         "give exactly one of --output_dir (sharded) or --output_file (comma list)"),
    ]
    for ok, name, what in checks:
      if not ok:
        raise ConfigError(f"--{name}={getattr(self, name)!r} {what}")
    if not os.path.isfile(self.spm_model_file):
      what = "is a directory" if os.path.isdir(self.spm_model_file) else "does not exist"
      raise ConfigError(f"--spm_model_file={self.spm_model_file!r} {what}: give a SentencePiece "
                        ".model file, or omit the flag to use the shipped 30k-clean model")
    self._validate_output_paths()

  def _validate_output_paths(self):
    """A file where a folder must be, or a folder where a shard must be: one line, early."""
    if self.output_dir:
      blocker = _file_in_the_way(self.output_dir)
      if blocker:
        raise ConfigError(f"--output_dir={self.output_dir!r}: {blocker!r} is a file, not a "
                          "folder: give a folder path (it is created if missing)")
      return
    for path in self.shard_paths():
      if os.path.isdir(path):
        raise ConfigError(f"--output_file: {path!r} is a directory: give file paths")
      blocker = _file_in_the_way(os.path.dirname(os.path.abspath(path)))
      if blocker:
        raise ConfigError(f"--output_file: {blocker!r} is a file, not a folder, so {path!r} "
                          "cannot be created: give paths in a folder")

  def shard_paths(self) -> List[str]:
    """Final paths of all output shards."""
    if self.output_file:
      return [p.strip() for p in self.output_file.split(",") if p.strip()]
    n = self.num_output_shards
    suffix = ".tfrecord.gz" if self.gzip else ".tfrecord"
    return [os.path.join(self.output_dir, f"part-{i:05d}-of-{n:05d}{suffix}") for i in range(n)]

  def meta_dir(self):
    """Folder of stats.json, the config manifest and per-shard progress markers."""
    if self.output_dir:
      return self.output_dir
    return os.path.dirname(os.path.abspath(self.shard_paths()[0]))

  def output_affecting(self):
    """Options that change output bytes (a rerun must match them to resume)."""
    # invalid_utf8: "error" either fails or writes what "replace" writes (no bad bytes).
    skip = {"num_workers", "log_every_seconds", "log_examples", "invalid_utf8"}
    return {k: v for k, v in dataclasses.asdict(self).items() if k not in skip}


def _file_in_the_way(folder):
  """The path of an existing non-folder at `folder` or above it, else None."""
  path = os.path.abspath(folder)
  while True:
    if os.path.exists(path):
      return None if os.path.isdir(path) else path
    parent = os.path.dirname(path)
    if parent == path:
      return None
    path = parent
