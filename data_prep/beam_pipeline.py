r"""Create ALBERT pretraining TFRecords with Apache Beam (DirectRunner, Dataflow, Flink, Spark).

COMMAND (local, seconds for the shipped corpus at dupe 1; needs the `beam` extra; clusters:
BUILD.md §5, with the wheel as --extra_package):
    python -m data_prep.beam_pipeline --runner=DirectRunner --output_dir=/tmp/albert_beam \
        --max_seq_length=128 --dupe_factor=1 --direct_num_workers=2

Same flags as data_prep.create_pretraining_data; any flag it does not know
(--runner, --project, --region, --temp_location, --flink_master, ...) goes to
Beam's PipelineOptions. The examples are the same as the local pipeline's for
the same inputs, options and seed (same blocks, same per-document seeds in
block_processing.py); only their order and the split over files differ
(WriteToTFRecord shards by itself, without the local per-shard shuffle).

Parallelism: files are read in parallel and blocks are redistributed
(Reshuffle) before the expensive work, so one large file still spreads over
all workers after reading. Inputs and outputs may be any Beam filesystem
(gs://, hdfs://, s3:// with the matching Beam extra installed).
"""
import dataclasses
import logging
import os
import sys
import tempfile

from absl import flags

from data_prep import block_processing, documents
from data_prep import create_pretraining_data as cli  # noqa: F401 (defines the shared flags)
from data_prep.config import ConfigError
from data_prep.documents import InputError

FLAGS = flags.FLAGS


def _match_files(input_file):
  from apache_beam.io.filesystems import FileSystems  # pylint: disable=import-outside-toplevel
  files = []
  for pattern in (p.strip() for p in input_file.split(",") if p.strip()):
    matched = sorted(m.path for r in FileSystems.match([pattern]) for m in r.metadata_list)
    if not matched:
      raise InputError(f"input_file pattern {pattern!r} matches no file")
    files.extend(matched)
  return files


def _read_blocks(indexed_path, config):
  from apache_beam.io.filesystems import FileSystems  # pylint: disable=import-outside-toplevel
  from apache_beam.io.filesystem import CompressionTypes  # pylint: disable=import-outside-toplevel
  file_index, path = indexed_path
  counts = documents.ReadCounts()
  with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as raw:
    try:
      stream = documents.wrap_stream(raw, path)
    except documents.BinaryInputError as e:
      logging.warning("skipping %s", e)  # as the local pipeline does
      return
    yield from documents.iter_blocks(stream, path, file_index, config.block_size_bytes, counts,
                                     config.input_format)


def _read_bytes(path):
  from apache_beam.io.filesystems import FileSystems  # pylint: disable=import-outside-toplevel
  try:
    with FileSystems.open(path) as f:
      return f.read()
  except Exception as e:  # pylint: disable=broad-except
    raise ConfigError(f"--spm_model_file={path!r} cannot be read: {e}") from e


def _local_copy(data):
  """Writes `data` to a worker-local temporary file; returns its path."""
  fd, path = tempfile.mkstemp(suffix=".model")
  with os.fdopen(fd, "wb") as f:
    f.write(data)
  return path


def build_pipeline(p, config, model_bytes):
  """Adds read → examples → TFRecord write to Beam pipeline `p`.

  `model_bytes` (the SentencePiece model) travels with the pipeline, so workers
  need no access to the launcher's --spm_model_file path.
  """
  import apache_beam as beam  # pylint: disable=import-outside-toplevel

  class MakeExamples(beam.DoFn):
    """Block → serialized examples (BlockProcessor loaded once per worker)."""

    def setup(self):
      local = dataclasses.replace(config, spm_model_file=_local_copy(model_bytes))
      self.processor = block_processing.BlockProcessor(local)
      self.instances = beam.metrics.Metrics.counter("data_prep", "instances")
      self.docs = beam.metrics.Metrics.counter("data_prep", "documents")

    def process(self, block):
      example_stats, doc_stats = block_processing.new_stats(config)
      yield from self.processor.process_block(block, example_stats, doc_stats)
      self.instances.inc(example_stats.counts["instances"])
      self.docs.inc(doc_stats.documents)

  files = _match_files(config.input_file)
  compression = (beam.io.filesystem.CompressionTypes.GZIP if config.gzip
                 else beam.io.filesystem.CompressionTypes.UNCOMPRESSED)
  suffix = ".tfrecord.gz" if config.gzip else ".tfrecord"
  return (p
          | "Files" >> beam.Create(list(enumerate(files)))
          | "ReadBlocks" >> beam.FlatMap(_read_blocks, config)
          | "Redistribute" >> beam.Reshuffle()
          | "MakeExamples" >> beam.ParDo(MakeExamples())
          | "Write" >> beam.io.WriteToTFRecord(
              f"{config.output_dir.rstrip('/')}/part", file_name_suffix=suffix,
              num_shards=config.num_output_shards, compression_type=compression))


def run(config, beam_args=()):
  """Runs the Beam pipeline to completion."""
  try:
    import apache_beam as beam  # pylint: disable=import-outside-toplevel
  except ImportError as e:
    raise ConfigError("the Beam pipeline needs apache-beam: pip install 'albert-tf[beam]' "
                      "(or -r requirements-beam.txt -c constraints.txt)") from e
  from apache_beam.options.pipeline_options import PipelineOptions  # pylint: disable=import-outside-toplevel
  if not config.output_dir:
    raise ConfigError("--output_dir is required for the Beam pipeline (a folder or gs:// URL)")
  model_bytes = _read_bytes(config.spm_model_file)
  local_model = _local_copy(model_bytes)
  try:
    dataclasses.replace(config, spm_model_file=local_model).validate()
  finally:
    os.remove(local_model)
  options = PipelineOptions(list(beam_args), save_main_session=False)
  with beam.Pipeline(options=options) as p:
    build_pipeline(p, config, model_bytes)


def main(argv):
  rest = FLAGS(argv, known_only=True)
  logging.getLogger().setLevel(logging.INFO)
  try:
    run(cli.config_from_flags(), rest[1:])
  except (ConfigError, InputError) as e:
    print(f"error: {e}", file=sys.stderr)
    return 1
  return 0


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  sys.exit(main(sys.argv))


if __name__ == "__main__":
  cli_main()
