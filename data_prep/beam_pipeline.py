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

from albert_tf import errors
from albert_tf.tokenization import SentencePieceModelError
from data_prep import block_processing, documents
from data_prep import create_pretraining_data as cli  # noqa: F401 (defines the shared flags)
from data_prep.config import ConfigError
from data_prep.documents import InputError

FLAGS = flags.FLAGS
PROG = "beam_pipeline"


def _match_files(input_file):
  from apache_beam.io.filesystems import FileSystems  # pylint: disable=import-outside-toplevel
  files = []
  for pattern in (p.strip() for p in input_file.split(",") if p.strip()):
    matched = sorted(m.path for r in FileSystems.match([pattern]) for m in r.metadata_list)
    if not matched:
      raise InputError(f"--input_file pattern {pattern!r} matches no file: check the path and "
                       "quote the glob so that the shell does not expand it")
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
                                     config.input_format, config.invalid_utf8)


def _read_bytes(path):
  from apache_beam.io.filesystems import FileSystems  # pylint: disable=import-outside-toplevel
  try:
    with FileSystems.open(path) as f:
      return f.read()
  except Exception as e:  # pylint: disable=broad-except -- any filesystem's "cannot open"
    raise ConfigError(f"--spm_model_file={path!r} cannot be read ({e}): give a SentencePiece "
                      ".model file, or omit the flag to use the shipped 30k-clean model") from e


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
  """Runs the Beam pipeline to completion; returns the number of instances written.

  Raises UserError (one line) for bad options, a bad model or input, and when no instance
  was made (the empty part files Beam wrote are deleted then).
  """
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
    local = dataclasses.replace(config, spm_model_file=local_model)
    local.validate()
    from data_prep import pipeline  # pylint: disable=import-outside-toplevel
    pipeline.check_model(local)
  except SentencePieceModelError as e:
    raise SentencePieceModelError(str(e).replace(local_model, config.spm_model_file)) from e
  finally:
    os.remove(local_model)
  options = PipelineOptions(list(beam_args), save_main_session=False)
  p = beam.Pipeline(options=options)
  build_pipeline(p, config, model_bytes)
  result = p.run()
  result.wait_until_finish()
  instances = _counter(result, "instances")
  if instances == 0:
    _delete_outputs(config)
    raise InputError(f"no instance made from --input_file={config.input_file!r}: no document "
                     "has a token (empty or blank input, binary files, or text that "
                     "normalizes to nothing); the empty part files were deleted: give one "
                     "sentence per line, a blank line between documents")
  return instances


def _counter(result, name):
  """A data_prep counter's committed value (None when the runner reports no metrics)."""
  from apache_beam.metrics.metric import MetricsFilter  # pylint: disable=import-outside-toplevel
  try:
    counters = result.metrics().query(MetricsFilter().with_name(name))["counters"]
  except (NotImplementedError, AttributeError):
    return None
  if not counters:
    return 0
  return sum(c.committed or 0 for c in counters)


def _delete_outputs(config):
  from apache_beam.io.filesystems import FileSystems  # pylint: disable=import-outside-toplevel
  suffix = ".tfrecord.gz" if config.gzip else ".tfrecord"
  pattern = f"{config.output_dir.rstrip('/')}/part-*{suffix}"
  paths = [m.path for r in FileSystems.match([pattern]) for m in r.metadata_list]
  if paths:
    FileSystems.delete(paths)


def main(argv):
  rest = FLAGS(argv, known_only=True)
  logging.getLogger().setLevel(logging.INFO)
  # Beam logs every failing DoFn's traceback at ERROR and then re-raises the exception:
  # the re-raised one is reported below (one line, or a traceback for a bug).
  logging.getLogger("apache_beam.runners.common").setLevel(logging.CRITICAL)
  instances = run(cli.config_from_flags(), rest[1:])
  logging.info("wrote %s instances under %s", instances, FLAGS.output_dir)
  return 0


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  try:
    code = main(sys.argv)
  except KeyboardInterrupt:
    print(f"{PROG}: interrupted", file=sys.stderr, flush=True)
    code = 130
  except Exception as e:  # noqa: BLE001 -- report() re-raises anything unexpected
    code = errors.report(e, PROG)
  sys.exit(code)


if __name__ == "__main__":
  cli_main()
