"""The in-graph tokenizer gives data_prep's ids (normalization, SentencePiece, digit-comma)."""
import gzip
import itertools

import pytest
import tensorflow as tf

from albert_tf import resources
from albert_tf import tokenization
from export import text_normalization
from export.sentencepiece_tokenizer import AlbertSentencepieceTokenizer

EDGE_CASES = [
    "", "   ", "Hello World!", "costs 3, then 1,000,000, and 3.0, or x2, ², ab1,",
    "Café naïve résumé Ångström ﬁ Ⅻ ½", "한국어 텍스트", "  x\u3000y\u00a0 z \x1c\x85end\u2029",
    "İstanbul STRASSE ẞ ΟΔΟΣ Σ", "a \u00a8b \u0301c", "tabs\tand\nnewlines\r\n", "emoji 😀 ok",
    "ＦＵＬＬＷＩＤＴＨ １２３，", "“quotes” — dashes – £5 €6", "Zürich's 1990s, 2,",
]


def _corpus_lines(n=400):
  with gzip.open(resources.DEFAULT_CORPUS, "rt", encoding="utf-8") as f:
    return [line.rstrip("\n") for line in itertools.islice(f, n) if line.strip()]


@pytest.fixture(scope="module")
def reference():
  return tokenization.SentencePieceTokenizer(resources.DEFAULT_SPM_MODEL)


@pytest.fixture(scope="module")
def in_graph():
  return AlbertSentencepieceTokenizer(resources.DEFAULT_SPM_MODEL)


def test_normalization_matches_preprocess_text():
  normalize = text_normalization.make_normalizer(lower_case=True)
  got = [t.decode("utf-8") for t in normalize(tf.constant(EDGE_CASES)).numpy()]
  assert got == [tokenization.preprocess_text(t, lower=True) for t in EDGE_CASES]


def test_ids_match_data_prep_on_corpus_and_edge_cases(reference, in_graph):
  texts = EDGE_CASES + _corpus_lines()
  got = in_graph.tokenize(tf.constant(texts)).to_list()
  expected = [reference.convert_tokens_to_ids(reference.tokenize(t)) for t in texts]
  mismatches = [(t, g, e) for t, g, e in zip(texts, got, expected) if g != e]
  assert not mismatches, mismatches[:3]


def test_digit_comma_rule_differs_from_plain_sentencepiece(in_graph, reference):
  # google-research/albert#249: "3.0," → "▁3.0" + "," rather than SentencePiece's own split.
  text = "version 3.0, 2,"
  plain = reference.sp.EncodeAsIds(tokenization.preprocess_text(text, lower=True))
  got = in_graph.tokenize(tf.constant([text])).to_list()[0]
  assert got != plain
  assert got[-1] == reference.piece_to_id(",")
  assert in_graph.num_digit_comma_pieces > 0


def test_exported_tokenize_matches(preprocessor_dir, reference):
  loaded = tf.saved_model.load(preprocessor_dir[0])
  texts = EDGE_CASES + _corpus_lines(100)
  got = loaded.tokenize(tf.constant(texts))
  assert isinstance(got, tf.RaggedTensor) and got.dtype == tf.int32
  assert got.to_list() == [reference.convert_tokens_to_ids(reference.tokenize(t)) for t in texts]
  special = {k: int(v) for k, v in loaded.tokenize.get_special_tokens_dict().items()}
  assert special == {"vocab_size": 30000, "start_of_sequence_id": 2, "end_of_segment_id": 3,
                     "padding_id": 0, "mask_id": 4}
