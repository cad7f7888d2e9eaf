r"""Train a SentencePiece unigram model with the ALBERT settings (docs/albert_reference.md §5).

COMMAND (about 1-2 min on 2 cores for the shipped corpus at 30k pieces):
    python -m data_prep.train_sentencepiece --model_prefix=/tmp/my-30k \
        --input_file=albert_tf/assets/books.txt.gz --vocab_size=30000

Settings: see data_prep/vocab_trainer.py (the released 30k-clean
model's: unigram, <pad>=0 <unk>=1 [CLS]=2 [SEP]=3 [MASK]=4, no BOS/EOS,
character_coverage 0.99995, sampled and shuffled input).
Writes <model_prefix>.model and <model_prefix>.vocab.
"""
import dataclasses

from absl import flags

from albert_tf import errors, resources
from data_prep import documents, vocab_trainer

FLAGS = flags.FLAGS
PROG = "train_sentencepiece"


def define_flags():
  """Defined on demand (not at import) so this module's flags never clash with
  create_pretraining_data's when both are imported (tests, doctest collection)."""
  flags.DEFINE_string("input_file", resources.DEFAULT_CORPUS,
                      "Training text (paths, globs, comma list, .gz), one sentence per line.")
  flags.DEFINE_string("model_prefix", None, "Output prefix: writes PREFIX.model and PREFIX.vocab.")
  flags.DEFINE_integer("vocab_size", 30000, "Number of pieces (ALBERT: 30000).")
  flags.DEFINE_integer("input_sentence_size", 10_000_000,
                       "Sample at most this many sentences (ALBERT: 10M); 0 = all.")
  flags.DEFINE_bool("shuffle_input_sentence", True, "Shuffle before sampling.")
  flags.DEFINE_float("character_coverage", 0.99995, "Share of characters the model covers.")
  flags.DEFINE_bool("do_lower_case", True, "Lowercase text first (uncased models).")
  flags.DEFINE_integer("num_threads", 2, "Trainer threads.")
  flags.DEFINE_integer("random_seed", 12345, "Seed of the input sampling.")
  flags.DEFINE_alias("seed", "random_seed")  # the project-wide spelling
  flags.DEFINE_enum("invalid_utf8", "error", list(documents.INVALID_UTF8_POLICIES),
                    "Input lines that are not UTF-8: error = stop with the file and line; "
                    "replace = replace bad bytes by U+FFFD.")


def main(argv):
  del argv
  if not FLAGS.model_prefix:
    raise errors.UserError("--model_prefix is required (e.g. --model_prefix=/tmp/my-30k)")
  fields = dataclasses.fields(vocab_trainer.SentencePieceConfig)
  config = vocab_trainer.SentencePieceConfig(
      **{f.name: FLAGS[f.name].value for f in fields})
  path = vocab_trainer.train(config)
  print(path)
  return 0


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  define_flags()
  errors.run_cli(main, PROG)


if __name__ == "__main__":
  cli_main()
