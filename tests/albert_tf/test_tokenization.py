"""Tokenization = official ALBERT preprocess_text + SentencePiece + digit-comma rule."""
import pickle

import pytest
import sentencepiece as spm

from albert_tf import tokenization
from albert_tf.tokenization import SentencePieceTokenizer, is_start_piece, preprocess_text

SAMPLE = [
    "Hello World! This is ALBERT.",
    "  Café   naïve\tcoöperate — résumé  ",
    "In 1,000 years, 3.0, 25, and 7,5 things happened.",
    "The price was £5 or €7 (about $6); e-mail: someone@example.com",
    "It's the dog's bone, isn't it? Yes, said Mr. Smith.",
    "Ünïcödé ÀÉÎÕÜ and 中文 text and emoji 🙂 here.",
    "Numbers: 12,345,678 and 2019, 2020, 2021,",
]


@pytest.fixture(scope="module")
def tok(spm_model_file_module):
  return SentencePieceTokenizer(spm_model_file_module)


@pytest.fixture(scope="module")
def spm_model_file_module():
  from albert_tf import resources
  return resources.DEFAULT_SPM_MODEL


def test_preprocess_collapses_whitespace():
  assert preprocess_text("  a \t b\n\nc  ") == "a b c"


def test_preprocess_strips_accents_after_nfkd():
  assert preprocess_text("Café naïve") == "Cafe naive"
  assert preprocess_text("ﬁ") == "fi"  # NFKD compatibility decomposition


def test_preprocess_lowercases_only_when_asked():
  assert preprocess_text("ALBERT Base", lower=True) == "albert base"
  assert preprocess_text("ALBERT Base") == "ALBERT Base"


def test_preprocess_keeps_text_without_remove_space():
  assert preprocess_text(" a  b ", remove_space=False) == " a  b "


@pytest.mark.parametrize("piece,expected", [
    ("▁hello", True), ("<unk>", True), (",", True), ("(", True), ("'", True),
    ("=", True), ("€", True), ("中文", True), ("ing", False), ("s", False),
    ("'s", True),  # the official list lacks ', so a piece with ' is "foreign"
    ("-based", False), (".com", False), ("H", False),
])
def test_is_start_piece_official_rule(piece, expected):
  assert is_start_piece(piece) is expected


def test_documented_test_vector(tok):
  pieces = tok.tokenize("hello world! this is albert.")
  assert pieces == ["▁hello", "▁world", "!", "▁this", "▁is", "▁albert", "."]
  assert tok.convert_tokens_to_ids(pieces) == [10975, 126, 187, 48, 25, 2953, 9]


def test_special_ids_match_albert_vocab(tok):
  assert tok.special_ids == (2, 3, 4)
  assert tok.vocab_size == 30000
  assert tok.piece_to_id("<pad>") == 0 and tok.piece_to_id("<unk>") == 1


def test_digit_comma_piece_is_split(tok):
  raw = tok.sp.EncodeAsPieces("in 25, and 2019, it")
  assert raw == ["▁in", "▁25,", "▁and", "▁2019", ",", "▁it"]  # the rule matters here
  assert tok.tokenize("in 25, and 2019, it") == ["▁in", "▁25", ",", "▁and", "▁2019", ",",
                                                "▁it"]


def test_digit_comma_rule_strips_added_underline_inside_words(tok):
  # "x25," → "▁x" + "25," (no ▁); re-encoding "25" adds a dummy "▁" that is removed.
  raw = tok.sp.EncodeAsPieces("x25,")
  pieces = tok.tokenize("x25,")
  assert "".join(pieces) == "".join(raw)
  assert pieces[-1] == ","


def test_without_digit_commas_equals_raw_sentencepiece(tok, spm_model_file_module):
  sp = spm.SentencePieceProcessor(model_file=spm_model_file_module)
  for line in SAMPLE:
    normalized = preprocess_text(line, lower=True)
    raw = sp.EncodeAsPieces(normalized)
    if not any(len(p) > 1 and p[-1] == "," and p[-2].isdigit() for p in raw):
      assert tok.tokenize(line) == raw
      assert tok.convert_tokens_to_ids(tok.tokenize(line)) == sp.EncodeAsIds(normalized)


def test_encode_lines_equals_piece_path(tok):
  encoded = tok.encode_lines(SAMPLE + ["", "   "])
  for line, (ids, flags) in zip(SAMPLE + ["", "   "], encoded):
    pieces = tok.tokenize(line)
    assert ids == tok.convert_tokens_to_ids(pieces)
    assert list(flags) == [int(is_start_piece(p)) for p in pieces]


def test_unknown_pieces_keep_piece_level_start_flags(tok):
  # Without lowercasing, capitals are unknown to the uncased vocab.
  cased = SentencePieceTokenizer(tok.model_file, do_lower_case=False)
  ids, flags = cased.encode_lines(["Hello"])[0]
  pieces = cased.tokenize("Hello")
  assert 1 in ids
  assert list(flags) == [int(is_start_piece(p)) for p in pieces]


def test_tokenizer_pickles_without_the_model(tok):
  tok.tokenize("load it")
  clone = pickle.loads(pickle.dumps(tok))
  assert clone._sp is None
  assert clone.tokenize("Hello World!") == tok.tokenize("Hello World!")


def test_bad_model_file_names_it(tmp_path):
  bad = tmp_path / "bad.model"
  bad.write_bytes(b"not a model")
  with pytest.raises(ValueError, match="bad.model"):
    SentencePieceTokenizer(str(bad)).vocab_size


# Text on which HF's AlbertTokenizer (transformers 5.x, a `tokenizers` Unigram model
# converted from the .model file) and the official pipeline agree.
HF_AGREES = [
    "Hello World! This is ALBERT.",
    "  Café   naïve\tcoöperate — résumé  ",
    "It's the dog's bone, isn't it? Yes, said Mr. Smith.",
    "Ünïcödé ÀÉÎÕÜ and 中文 text and emoji 🙂 here.",
    "It is a truth universally acknowledged, that a single man in possession of a good "
    "fortune, must be in want of a wife.",
    "In 1,000 years and 2019 or so, the end; the price: 5 dollars!",
]


@pytest.fixture(scope="module")
def hf_tokenizer(tmp_path_factory, spm_model_file_module):
  import shutil
  import transformers  # installed by requirements-test.txt; a hard dependency here
  folder = tmp_path_factory.mktemp("hf_albert")
  shutil.copy(spm_model_file_module, folder / "spiece.model")
  return transformers.AlbertTokenizer.from_pretrained(str(folder))


def test_ids_equal_huggingface_albert_tokenizer(tok, hf_tokenizer):
  for line in HF_AGREES:
    ours = tok.convert_tokens_to_ids(tok.tokenize(line))
    assert ours == hf_tokenizer.encode(line, add_special_tokens=False), line


def test_known_differences_from_huggingface(tok, hf_tokenizer):
  """transformers 5.x dropped the digit-comma rule (google-research/albert#249) and
  splits around SentencePiece user-defined symbols (£ € . - ...) differently from
  the sentencepiece library; we follow the official pipeline / sentencepiece."""
  line = "in 25, and 2019, it"
  assert hf_tokenizer.tokenize(line) == tok.sp.EncodeAsPieces(line)
  assert tok.tokenize(line) != hf_tokenizer.tokenize(line)
  for text in ("£5", 'said "yes" twice'):
    assert tok.tokenize(text) == tok.sp.EncodeAsPieces(text) != hf_tokenizer.tokenize(text)


def test_special_piece_list_is_official():
  assert "'" not in tokenization._SPECIAL_PIECES
  assert {"<", "=", ">"}.isdisjoint(tokenization._SPECIAL_PIECES)


def test_encode_lines_fast_path_equals_tokenize_on_random_text(tok):
  import hypothesis
  import hypothesis.strategies as st

  @hypothesis.settings(max_examples=150, deadline=None)
  @hypothesis.given(st.lists(st.text(max_size=40), min_size=1, max_size=5))
  def check(lines):
    lines = [line.replace("\n", " ") for line in lines]
    for line, (ids, flags) in zip(lines, tok.encode_lines(lines)):
      pieces = tok.tokenize(line)
      assert ids == tok.convert_tokens_to_ids(pieces)
      assert list(flags) == [int(is_start_piece(p)) for p in pieces]
  check()
