"""Beam the way a cluster runs it: installed package, another folder, worker processes.

The command line is the one BUILD.md §5 gives for Dataflow/Flink/Spark with the runner swapped
for the DirectRunner in multi-process mode: workers are separate Python processes that import
`data_prep` from the installed wheel (the checkout is neither the working directory nor on
PYTHONPATH), and `--extra_package` is the wheel a cluster's workers would install.
"""
import collections

from data_prep import pipeline, tfrecord_io
from data_prep.config import DataPrepConfig
from tests.data_prep.conftest import _first_documents, write_corpus
from tests.packaging.conftest import run


def _records(paths):
  return collections.Counter(r for p in paths for r in tfrecord_io.iter_file_records(p))


def test_beam_multiprocess_from_the_installed_wheel_equals_local_pipeline(fresh_venv, wheel,
                                                                          tmp_path):
  docs = _first_documents(24, 40)
  corpus = (f"{write_corpus(tmp_path / 'a.txt', docs[:12])},"
            f"{write_corpus(tmp_path / 'b.txt.gz', docs[12:], compress=True)}")
  local = DataPrepConfig(input_file=corpus, output_dir=str(tmp_path / "local"), max_seq_length=64,
                         dupe_factor=2, num_output_shards=3, block_size_bytes=8000, log_examples=0)
  pipeline.run(local)
  work = tmp_path / "elsewhere"
  work.mkdir()
  run([str(fresh_venv / "bin" / "albert-beam-pipeline"), f"--input_file={corpus}",
       "--output_dir=../beam", "--max_seq_length=64", "--dupe_factor=2", "--num_output_shards=3",
       "--block_size_bytes=8000", "--runner=DirectRunner", "--direct_running_mode=multi_processing",
       "--direct_num_workers=2", f"--extra_package={wheel}"], cwd=work)
  beam_files = sorted((tmp_path / "beam").glob("part-*.tfrecord"))
  assert len(beam_files) == 3
  ours, theirs = _records(local.shard_paths()), _records(map(str, beam_files))
  assert sum(ours.values()) > 100
  assert ours == theirs
