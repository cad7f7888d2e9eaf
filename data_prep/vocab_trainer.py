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


def _sentences(config):
  counts = documents.ReadCounts()
  for path in documents.expand_input_patterns(config.input_file):
    with documents.open_binary(path) as stream:
      for doc in documents.iter_documents(stream, path, counts):
        for line in doc:
          text = preprocess_text(line, lower=config.do_lower_case)
          if text:
            yield text


def train(config):
  """Trains the model; returns the path of the .model file."""
  import sentencepiece as spm  # pylint: disable=import-outside-toplevel
  if config.vocab_size <= len(USER_DEFINED_SYMBOLS) + len(CONTROL_SYMBOLS) + 2:
    raise ValueError(f"--vocab_size={config.vocab_size} is too small (> 13 needed)")
  spm.set_random_generator_seed(config.random_seed)  # the sampling/shuffle of the input
  spm.SentencePieceTrainer.Train(
      sentence_iterator=_sentences(config),
      model_prefix=config.model_prefix,
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
  return config.model_prefix + ".model"
