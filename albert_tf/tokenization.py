"""② ALBERT text normalization and SentencePiece tokenization (docs/albert_reference.md §5).

Matches the official pipeline: `preprocess_text` (whitespace collapse, NFKD,
combining marks dropped, lowercase under do_lower_case) runs before
SentencePiece, and a piece that ends in "," after a digit is re-encoded
without the comma ("3.0," → "▁3.0" + ","; google-research/albert#249).

The tokenizer is built lazily in each process (it pickles as its arguments),
so multiprocessing and Beam workers can receive it.

Example:
    >>> from albert_tf.resources import DEFAULT_SPM_MODEL
    >>> tok = SentencePieceTokenizer(DEFAULT_SPM_MODEL)
    >>> tok.tokenize("Hello World! This is ALBERT.")
    ['▁hello', '▁world', '!', '▁this', '▁is', '▁albert', '.']
"""
import unicodedata
from itertools import chain

from albert_tf import errors

SPIECE_UNDERLINE = "\u2581"
# Official `_is_start_piece_sp` list: ASCII punctuation without ' < = > (sic).
# € and £ are listed there as bytes, so in Python 3 they count as "foreign"
# characters, which also makes them start pieces.
_SPECIAL_PIECES = frozenset('!"#$%&()*+,-./:;?@[\\]^_`{|}~')
_ENGLISH_AND_SPECIAL = frozenset("abcdefghijklmnopqrstuvwxyz") | _SPECIAL_PIECES

PAD, UNK, CLS, SEP, MASK = "<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"


class SentencePieceModelError(errors.UserError):
  """The SentencePiece model file is missing, unreadable, corrupt or truncated."""


def preprocess_text(text, remove_space=True, lower=False):
  """Official ALBERT text normalization (tokenization.preprocess_text)."""
  if remove_space:
    text = " ".join(text.strip().split())
  text = unicodedata.normalize("NFKD", text)
  if not text.isascii():
    text = "".join(c for c in text if not unicodedata.combining(c))
  if lower:
    text = text.lower()
  return text


def is_start_piece(piece):
  """Whether a SentencePiece piece starts a word (official `_is_start_piece_sp`).

  True for pieces starting with "▁" or "<", single special punctuation, and any
  piece with a character outside a–z (case-folded) and the special list:
  foreign text is always treated as its own word.
  """
  if piece.startswith(SPIECE_UNDERLINE) or piece.startswith("<"):
    return True
  if piece in _SPECIAL_PIECES:
    return True
  return not all(c.lower() in _ENGLISH_AND_SPECIAL for c in piece)


def _needs_digit_comma_split(piece):
  return len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit()


class SentencePieceTokenizer:
  """SentencePiece wrapper with ALBERT's normalization and piece rules.

  Args:
    model_file: path of a SentencePiece `.model` file.
    do_lower_case: lowercase in `preprocess_text` (all public ALBERTs: True).
  """

  def __init__(self, model_file, do_lower_case=True):
    self.model_file = model_file
    self.do_lower_case = do_lower_case
    self._sp = None

  def __getstate__(self):
    return {"model_file": self.model_file, "do_lower_case": self.do_lower_case,
            "_sp": None}

  @property
  def sp(self):
    if self._sp is None:
      self._load()
    return self._sp

  def _load(self):
    import sentencepiece as spm  # pylint: disable=import-outside-toplevel
    sp = spm.SentencePieceProcessor()
    what_to_do = ("give a SentencePiece .model file (the binary beside the .vocab, e.g. "
                  "30k-clean.model, or one from data_prep.train_sentencepiece)")
    try:
      with open(self.model_file, "rb") as f:
        data = f.read()
    except OSError as e:
      raise SentencePieceModelError(f"cannot read SentencePiece model {self.model_file!r}: "
                                    f"{e.strerror}: {what_to_do}") from e
    try:
      sp.LoadFromSerializedProto(data)
    except RuntimeError as e:
      # SentencePiece says only "ParseFromArray failed" for truncated and corrupt files.
      raise SentencePieceModelError(
          f"{self.model_file!r} ({len(data)} bytes) is not a valid SentencePiece model "
          f"(truncated, corrupt, or another kind of file): {what_to_do}") from e
    size = sp.GetPieceSize()
    pieces = [sp.IdToPiece(i) for i in range(size)]
    # Per-id tables, built once: word-start flag and "needs the comma rule".
    self._start_by_id = bytes(1 if is_start_piece(p) else 0 for p in pieces)
    # Ids whose line must take the piece path: <unk> (the official rule looks at
    # the unknown piece's text) and pieces the digit-comma rule splits.
    self._redo_ids = frozenset([sp.unk_id()] + [i for i, p in enumerate(pieces)
                                                 if _needs_digit_comma_split(p)])
    self._sp = sp

  @property
  def vocab_size(self):
    return self.sp.GetPieceSize()

  def piece_to_id(self, piece):
    return self.sp.PieceToId(piece)

  def id_to_piece(self, i):
    return self.sp.IdToPiece(i)

  @property
  def special_ids(self):
    """(cls_id, sep_id, mask_id) of this vocabulary."""
    return tuple(self.piece_to_id(p) for p in (CLS, SEP, MASK))

  def encode_pieces(self, normalized_text):
    """Pieces of already-normalized text, with the digit-comma rule applied."""
    pieces = self.sp.EncodeAsPieces(normalized_text)
    out = []
    for piece in pieces:
      if not _needs_digit_comma_split(piece):
        out.append(piece)
        continue
      sub = self.sp.EncodeAsPieces(piece[:-1].replace(SPIECE_UNDERLINE, ""))
      # Keep the original "no leading ▁" when the piece had none. (Under Python 3
      # the official script's str/bytes comparison skips this strip; we follow
      # the intended rule, which HF's AlbertTokenizer also implements.)
      if piece[0] != SPIECE_UNDERLINE and sub and sub[0][0] == SPIECE_UNDERLINE:
        sub = sub[1:] if len(sub[0]) == 1 else [sub[0][1:]] + sub[1:]
      out.extend(sub)
      out.append(piece[-1])
    return out

  def tokenize(self, text):
    """Raw text → pieces (preprocess_text + encode_pieces)."""
    return self.encode_pieces(preprocess_text(text, lower=self.do_lower_case))

  def convert_tokens_to_ids(self, pieces):
    return [self.sp.PieceToId(p) for p in pieces]

  def encode_lines(self, lines):
    """Raw lines → list of (ids, word_start_flags) per line, flags as bytes.

    Fast path: batch-encode ids and look flags up per id. Lines with an
    `<unk>` piece or a digit-comma piece are redone piece by piece, so results
    equal `tokenize` + `is_start_piece` on every piece exactly.
    """
    sp = self.sp
    lower = self.do_lower_case
    normalized = [(" ".join(line.split()).lower() if lower else " ".join(line.split()))
                  if line.isascii() else preprocess_text(line, lower=lower)
                  for line in lines]  # ASCII: NFKD and combining-mark removal are no-ops
    # One thread: parallelism comes from worker processes.
    all_ids = sp.encode(normalized, out_type=int, num_threads=1) if normalized else []
    flat_flags = bytes(map(self._start_by_id.__getitem__, chain.from_iterable(all_ids)))
    redo = self._redo_ids
    out, offset = [], 0
    for text, ids in zip(normalized, all_ids):
      end = offset + len(ids)
      if redo.isdisjoint(ids):
        out.append((ids, flat_flags[offset:end]))
      else:
        pieces = self.encode_pieces(text)
        out.append(([sp.PieceToId(p) for p in pieces],
                    bytes(1 if is_start_piece(p) else 0 for p in pieces)))
      offset = end
    return out
