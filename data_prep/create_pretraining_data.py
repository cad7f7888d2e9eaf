r"""Create ALBERT pretraining TFRecords (SOP pairs + n-gram masks), streaming and parallel.

COMMAND (default corpus = shipped books, default vocab = shipped 30k-clean model;
about 30 s on 2 cores, ~560k examples, ~700 MB):
    python -m data_prep.create_pretraining_data --output_dir=/tmp/albert_data \
        --max_seq_length=128 --dupe_factor=40 --num_workers=2

Flags keep the official google-research/ALBERT names and defaults
(max_seq_length 512, dupe_factor 40, SOP with random_next_sentence=False).
Output: `part-XXXXX-of-NNNNN.tfrecord` shards, `stats.json` and
`data_prep_config.json` in --output_dir. Same inputs, flags and seed give
byte-identical shards for any --num_workers. A rerun after a crash or kill
skips complete shards and redoes partial ones; a rerun after the input files
changed redoes all shards; a rerun with other output-affecting flags is refused.
Failures (bad flags or input, a worker killed, a full disk, Ctrl-C) end with one
line on stderr and a non-zero exit (1; 130 for Ctrl-C), leaving no shard that
looks complete and is not.
"""
import logging
import os
import sys

from absl import app, flags

from albert_tf import errors, resources
from data_prep import pipeline
from data_prep.config import INVALID_UTF8_POLICIES, ConfigError, DataPrepConfig

PROG = "create_pretraining_data"

FLAGS = flags.FLAGS
_D = DataPrepConfig()

flags.DEFINE_string("input_file", resources.DEFAULT_CORPUS,
                    "Input text: paths, globs or a comma-separated list; .gz is read "
                    "transparently. Format: one sentence per line, a blank line between "
                    "documents (see --input_format). Default: the shipped books corpus.")
flags.DEFINE_string("output_dir", None,
                    "Folder for sharded output (part-XXXXX-of-NNNNN.tfrecord), stats.json "
                    "and the resume markers.")
flags.DEFINE_string("output_file", None,
                    "Official-style output: one path or a comma-separated list of paths, one "
                    "shard each (num_output_shards is then ignored). Give this or --output_dir.")
flags.DEFINE_string("spm_model_file", resources.DEFAULT_SPM_MODEL,
                    "SentencePiece model. Default: the shipped official 30k-clean model.")
flags.DEFINE_bool("do_lower_case", _D.do_lower_case,
                  "Lowercase the input text (True for all public, uncased ALBERT models).")
flags.DEFINE_integer("max_seq_length", _D.max_seq_length, "Maximum sequence length T.")
flags.DEFINE_integer("max_predictions_per_seq", _D.max_predictions_per_seq,
                     "Maximum number of masked LM predictions per sequence.")
flags.DEFINE_float("masked_lm_prob", _D.masked_lm_prob, "Masked LM probability.")
flags.DEFINE_integer("dupe_factor", _D.dupe_factor,
                     "Number of passes over the input, each with different masks and pairs.")
flags.DEFINE_float("short_seq_prob", _D.short_seq_prob,
                   "Probability of a shorter target length for a document pass.")
flags.DEFINE_integer("ngram", _D.ngram, "Maximum n-gram length (in words) to mask.")
flags.DEFINE_bool("favor_shorter_ngram", _D.favor_shorter_ngram,
                  "p(n) proportional to 1/n; if False the probabilities are reversed.")
flags.DEFINE_bool("do_whole_word_mask", _D.do_whole_word_mask,
                  "Mask whole words (all pieces of a word) rather than single pieces.")
flags.DEFINE_bool("random_next_sentence", _D.random_next_sentence,
                  "NSP instead of SOP: negatives take B from a random document (the paper's "
                  "NSP ablation). False (default) = ALBERT's sentence-order prediction.")
flags.DEFINE_integer("random_seed", _D.random_seed, "Seed of every random choice.")
# --seed: the spelling every other CLI of the project uses (the official name stays).
flags.DEFINE_alias("seed", "random_seed")
flags.DEFINE_bool("do_permutation", False, "Official flag; permutation is not supported.")
# Official names without a setting of their own here (google-research/ALBERT).
flags.DEFINE_string("vocab_file", None, "Official: the vocabulary; in ALBERT the .vocab beside "
                    "the SentencePiece .model. Without --spm_model_file, the .model beside it "
                    "is used; with it, ignored (the official tokenizer reads the .model too).")
_IGNORED = {"input_file_mode": "input is always read as bytes and decoded as UTF-8",
            "parallel": "use --num_workers (parallel, and the same output for any count)"}
flags.DEFINE_string("input_file_mode", "r",
                    f"Official flag, no effect: {_IGNORED['input_file_mode']}.")
flags.DEFINE_bool("parallel", False, f"Official flag, no effect: {_IGNORED['parallel']}.")
flags.DEFINE_integer("num_workers", _D.num_workers,
                     "Worker processes (does not change the output). Use the number of cores.")
flags.DEFINE_integer("num_output_shards", _D.num_output_shards,
                     "Output shards with --output_dir; also the maximum useful num_workers.")
flags.DEFINE_enum("input_format", _D.input_format, ["sentences", "paragraphs"],
                  "sentences: one sentence per line (official). paragraphs: one paragraph "
                  "per line, split into sentences here. Blank lines end documents in both.")
flags.DEFINE_enum("invalid_utf8", _D.invalid_utf8, list(INVALID_UTF8_POLICIES),
                  "Input lines that are not UTF-8: error = stop with the file and line; "
                  "replace = replace bad bytes by U+FFFD and count them in stats.json.")
flags.DEFINE_bool("gzip", _D.gzip, "Write GZIP-compressed TFRecords (.tfrecord.gz).")
flags.DEFINE_integer("block_size_bytes", _D.block_size_bytes,
                     "Documents are processed in blocks of about this much text; random-"
                     "document B segments are drawn from the same block.")
flags.DEFINE_integer("shuffle_buffer_mb", _D.shuffle_buffer_mb,
                     "Total size of the per-shard shuffle buffers (bounds memory).")
flags.DEFINE_float("log_every_seconds", _D.log_every_seconds, "Progress log interval.")


def config_from_flags():
  if FLAGS.do_permutation:
    raise ConfigError("--do_permutation=True is not supported (it is off in ALBERT)")
  values = {n: FLAGS[n].value for n in DataPrepConfig.__dataclass_fields__ if n in FLAGS}
  if FLAGS.vocab_file and not FLAGS["spm_model_file"].present:
    values["spm_model_file"] = _spm_model_beside(FLAGS.vocab_file)
  return DataPrepConfig(**values)


def _spm_model_beside(vocab_file):
  """Official --vocab_file → its SentencePiece model (as albert_tf.official_flags, which
  tests/test_import_graph.py does not let data_prep import)."""
  root, ext = os.path.splitext(vocab_file)
  model = root + ".model"
  if ext == ".model" or (ext == ".vocab" and ("://" in model or os.path.exists(model))):
    return model
  raise ConfigError(f"--vocab_file={vocab_file}: ALBERT tokenizes with a SentencePiece model; "
                    f"give --spm_model_file=<30k-clean.model> (a .vocab is used only when its "
                    f".model lies beside it)")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  logging.getLogger().setLevel(logging.INFO)
  for name, note in _IGNORED.items():
    if FLAGS[name].present:
      print(f"{PROG}: --{name} has no effect here: {note}", file=sys.stderr)
  try:
    stats = pipeline.run(config_from_flags())
  except KeyboardInterrupt:
    print(f"{PROG}: interrupted: workers stopped, unfinished shards not marked complete; "
          "rerun the same command to resume", file=sys.stderr, flush=True)
    return 130
  logging.info("wrote %d instances; stats: %s/stats.json", stats["instances"],
               config_from_flags().meta_dir())
  return 0


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  errors.run_cli(main, PROG)


if __name__ == "__main__":
  cli_main()
