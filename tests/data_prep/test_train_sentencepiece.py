"""SentencePiece training with the ALBERT settings, on a tiny vocabulary."""
import sentencepiece as spm

from data_prep import vocab_trainer
from albert_tf.tokenization import SentencePieceTokenizer


def test_tiny_model_has_albert_special_ids(small_corpus, tmp_path):
  config = vocab_trainer.SentencePieceConfig(
      input_file=small_corpus, model_prefix=str(tmp_path / "tiny"), vocab_size=300,
      input_sentence_size=500, num_threads=1)
  path = vocab_trainer.train(config)
  sp = spm.SentencePieceProcessor(model_file=path)
  assert sp.GetPieceSize() == 300
  assert [sp.IdToPiece(i) for i in range(5)] == ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"]
  assert [sp.IdToPiece(i) for i in range(5, 13)] == list(vocab_trainer.USER_DEFINED_SYMBOLS)
  assert sp.bos_id() == -1 and sp.eos_id() == -1
  assert all(sp.IsControl(i) for i in (0, 2, 3, 4))
  tok = SentencePieceTokenizer(path)
  assert tok.special_ids == (2, 3, 4)
  assert tok.tokenize("Hello there.")[-1] == "."
  assert (tmp_path / "tiny.vocab").exists()


def test_cli_requires_model_prefix():
  import os
  import subprocess
  import sys
  repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  result = subprocess.run([sys.executable, "-m", "data_prep.train_sentencepiece"], cwd=repo,
                          capture_output=True, text=True, timeout=120)
  assert result.returncode == 1 and "model_prefix" in result.stderr
