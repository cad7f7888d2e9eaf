"""Beam (DirectRunner) makes the same multiset of examples as the local pipeline."""
import collections
import glob

from data_prep import beam_pipeline, pipeline, tfrecord_io
from data_prep.config import DataPrepConfig


def _records(paths):
  return collections.Counter(r for p in paths for r in tfrecord_io.iter_file_records(p))


def test_beam_direct_runner_equals_local_pipeline(two_file_corpus, tmp_path):
  local = DataPrepConfig(input_file=two_file_corpus, output_dir=str(tmp_path / "local"),
                         max_seq_length=64, dupe_factor=2, num_output_shards=3,
                         block_size_bytes=8000, log_examples=0)
  pipeline.run(local)
  beam = DataPrepConfig(**{**local.__dict__, "output_dir": str(tmp_path / "beam")})
  beam_pipeline.run(beam, ["--runner=DirectRunner", "--direct_num_workers=1"])
  beam_files = sorted(glob.glob(str(tmp_path / "beam" / "part-*.tfrecord")))
  assert len(beam_files) == 3
  ours, theirs = _records(local.shard_paths()), _records(beam_files)
  assert sum(ours.values()) > 100
  assert ours == theirs
