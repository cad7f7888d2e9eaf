"""SentencePiece unigram training with the ALBERT settings (docs/albert_reference.md §5).

Settings as the released 30k-clean model: unigram, <pad>=0 <unk>=1 [CLS]=2
[SEP]=3 [MASK]=4 (control symbols), no BOS/EOS, user-defined symbols
( ) " - . – £ € (ids 5-12), character_coverage 0.99995, and input sampling of
`input_sentence_size` sentences (10M in ALBERT) with shuffling for big corpora.
Lines go through the same preprocess_text as data preparation (lowercased
under do_lower_case), so the model sees what it will encode.
CLI: data_prep/train_sentencepiece.py.
"""
import dataclasses
import os
import re

from albert_tf import errors
from data_prep import documents
from albert_tf.tokenization import preprocess_text

USER_DEFINED_SYMBOLS = ("(", ")", '"', "-", ".", "\u2013", "\u00a3", "\u20ac")
CONTROL_SYMBOLS = ("[CLS]", "[SEP]", "[MASK]")


@dataclasses.dataclass(frozen=True)
class SentencePieceConfig:
  input_file: str
  model_prefix: str
  vocab_size: int = 30000
  input_sentence_size: int = 10_000_000
  shuffle_input_sentence: bool = True
  character_coverage: float = 0.99995
  do_lower_case: bool = True
  num_threads: int = 2
  random_seed: int = 12345
  invalid_utf8: str = "error"  # or "replace" (bad bytes → U+FFFD), as data_prep's flag


def _sentences(config):
  counts = documents.ReadCounts()
  for path in documents.expand_input_patterns(config.input_file):
    with documents.open_binary(path) as stream:
      for doc in documents.iter_documents(stream, path, counts,
                                          invalid_utf8=config.invalid_utf8):
        for line in doc:
          text = preprocess_text(line, lower=config.do_lower_case)
          if text:
            yield text


def _check_output(model_prefix):
  """Fails before training (minutes) if PREFIX.model cannot be written."""
  folder = os.path.dirname(os.path.abspath(model_prefix))
  if not os.path.isdir(folder):
    what = "is a file" if os.path.exists(folder) else "does not exist"
    raise errors.UserError(f"--model_prefix={model_prefix!r}: folder {folder!r} {what}: give a "
                           "prefix in an existing folder")
  if os.path.isdir(model_prefix + ".model"):
    raise errors.UserError(f"--model_prefix={model_prefix!r}: {model_prefix}.model is a "
                           "directory: choose another prefix")
  if not os.access(folder, os.W_OK):
    raise errors.UserError(f"--model_prefix={model_prefix!r}: folder {folder!r} is not "
                           "writable (read-only file system?): choose another prefix")


def _training_error(e, config):
  """SentencePiece's RuntimeError as a one-line UserError."""
  text = str(e)
  too_high = re.search(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)",
                       text)
  if too_high:
    return errors.UserError(
        f"--vocab_size={config.vocab_size} is too high for --input_file={config.input_file!r}: "
        f"it supports at most {too_high.group(2)} pieces: give more text or a smaller "
        "--vocab_size")
  if "Permission denied" in text or "Error #" in text:  # writing PREFIX.model/.vocab failed
    return errors.UserError(f"--model_prefix={config.model_prefix!r}: cannot write the model "
                            f"({text.splitlines()[0]}): free space or choose another prefix")
  return errors.UserError(f"SentencePiece training failed: {text.splitlines()[0]}")


def train(config):
  """Trains the model; returns the path of the .model file.

  The model and vocab are written under a temporary prefix and renamed when both are
  complete, so a failed run (full disk, Ctrl-C) leaves no PREFIX.model that looks finished.
  """
  import sentencepiece as spm  # pylint: disable=import-outside-toplevel
  if config.vocab_size <= len(USER_DEFINED_SYMBOLS) + len(CONTROL_SYMBOLS) + 2:
    raise errors.UserError(f"--vocab_size={config.vocab_size} is too small (> 13 needed)")
  _check_output(config.model_prefix)
  documents.expand_input_patterns(config.input_file)  # a glob that matches nothing: fail now
  tmp_prefix = f"{config.model_prefix}.tmp-{os.getpid()}"
  read_failures = []

  def sentences():
    # SentencePiece treats an exception of the iterator as the end of the input and trains
    # on what it got: keep the error (a truncated .gz, non-UTF-8 text) and raise it after.
    try:
      yield from _sentences(config)
    except Exception as e:  # pylint: disable=broad-except -- re-raised below
      read_failures.append(e)

  spm.set_random_generator_seed(config.random_seed)  # the sampling/shuffle of the input
  try:
    spm.SentencePieceTrainer.Train(
        sentence_iterator=sentences(),
        model_prefix=tmp_prefix,
        model_type="unigram",
        vocab_size=config.vocab_size,
        pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
        control_symbols=list(CONTROL_SYMBOLS),  # a list: a comma string would be CSV-parsed
        user_defined_symbols=list(USER_DEFINED_SYMBOLS),  # (the " would start a quoted field)
        character_coverage=config.character_coverage,
        input_sentence_size=config.input_sentence_size,
        shuffle_input_sentence=config.shuffle_input_sentence,
        num_threads=config.num_threads,
        minloglevel=1)
    if read_failures:
      raise read_failures[0]
    os.replace(tmp_prefix + ".vocab", config.model_prefix + ".vocab")
    os.replace(tmp_prefix + ".model", config.model_prefix + ".model")  # last: marks complete
  except RuntimeError as e:
    if read_failures:
      raise read_failures[0] from None
    raise _training_error(e, config) from e
  finally:
    for ext in (".model", ".vocab"):
      if os.path.exists(tmp_prefix + ext):
        os.remove(tmp_prefix + ext)
  return config.model_prefix + ".model"
