"""In-graph ALBERT tokenizer: normalization → SentencePiece → the digit-comma rule.

Produces the same ids as data_prep's `SentencePieceTokenizer` (official
`FullTokenizer` with an spm model, do_lower_case=True) using only `NormalizeUTF8`,
`SentencepieceOp`, `SentencepieceTokenizeOp` (TF Text ops in the stock model server's
regression list, docs/serving_reference.md C9) and core TF ops.

The digit-comma rule (official `encode_pieces`, google-research/albert#249): a piece
longer than one character that ends in "," preceded by a digit is re-encoded without
the comma ("▁" removed, and a leading "▁" dropped again when the piece had none), and
"," is appended as its own piece. The replacement depends only on the piece, so it is a
fixed table computed once at export time: `expansion[id]` is `[id]` for ordinary pieces
and the re-encoded ids + the "," id for the affected ones (141 of the 30k-clean pieces).
In-graph it is one ragged gather, so no lookup table or Python runs at serving time.

Shape legend: B batch, N pieces per text (ragged).

Example:
    >>> from albert_tf.resources import DEFAULT_SPM_MODEL
    >>> tok = AlbertSentencepieceTokenizer(DEFAULT_SPM_MODEL)
    >>> tok.tokenize(tf.constant(["Hello World!", "costs 3,"])).to_list()
    [[10975, 126, 187], [4227, 203, 15]]
    >>> tok.special_tokens_dict()["start_of_sequence_id"], tok.special_tokens_dict()["padding_id"]
    (2, 0)
"""
import tensorflow as tf
import tensorflow_text as tf_text

from albert_tf import errors
from export import text_normalization

SPIECE_UNDERLINE = "\u2581"


def _needs_digit_comma_split(piece):
  return len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit()


class AlbertSentencepieceTokenizer(tf.Module):
  """Strings [B] → int32 RaggedTensor [B,(N)] of ALBERT SentencePiece ids.

  Args:
    spm_model_file: path of the SentencePiece `.model` (read once; its bytes become the
      `SentencepieceOp` attribute, so the graph needs no file at serving time).
    lower_case: lowercase during normalization (all public ALBERTs: True).
  """

  def __init__(self, spm_model_file, lower_case=True, name=None):
    super().__init__(name=name)
    where = f"--spm_model_file={spm_model_file}"
    if not tf.io.gfile.exists(spm_model_file) or tf.io.gfile.isdir(spm_model_file):
      raise errors.UserError(f"{where}: no such file: give the SentencePiece .model file "
                             "(e.g. 30k-clean.model)")
    with tf.io.gfile.GFile(spm_model_file, "rb") as f:
      model_proto = f.read()
    self.lower_case = lower_case
    self._normalize = text_normalization.make_normalizer(lower_case)
    try:
      # The op parses the model lazily: vocab_size() is the first call that runs it.
      self._sp = tf_text.SentencepieceTokenizer(model=model_proto, out_type=tf.int32)
      self.vocab_size = int(self._sp.vocab_size())
    except tf.errors.InternalError as e:
      if "ParseFromArray" not in e.message:
        raise
      raise errors.UserError(f"{where}: not a SentencePiece model (it does not parse; "
                             f"{len(model_proto)} bytes, truncated or another file?): give the "
                             ".model file that spm_train wrote") from None
    pieces = [p.decode("utf-8") for p in
              self._sp.id_to_string(tf.range(self.vocab_size)).numpy().tolist()]
    self._piece_to_id = {p: i for i, p in enumerate(pieces)}
    self._expansion = self._digit_comma_table(pieces)

  def _lookup(self, piece):
    return self._piece_to_id.get(piece, self._piece_to_id["<unk>"])

  def _digit_comma_table(self, pieces):
    """RaggedTensor [V,(k)]: the ids each vocabulary id stands for after the rule."""
    affected = [i for i, p in enumerate(pieces) if _needs_digit_comma_split(p)]
    texts = [pieces[i][:-1].replace(SPIECE_UNDERLINE, "") for i in affected]
    sub_ids = self._sp.tokenize(tf.constant(texts, tf.string)).to_list() if texts else []
    rows = [[i] for i in range(len(pieces))]
    for i, ids in zip(affected, sub_ids):
      sub = [pieces[j] for j in ids]
      if pieces[i][0] != SPIECE_UNDERLINE and sub and sub[0][0] == SPIECE_UNDERLINE:
        sub = sub[1:] if len(sub[0]) == 1 else [sub[0][1:]] + sub[1:]
      rows[i] = [self._lookup(p) for p in sub] + [self._lookup(",")]
    self.num_digit_comma_pieces = len(affected)
    return tf.ragged.constant(rows, dtype=tf.int32)

  def special_tokens_dict(self):
    """Python ints: vocab_size and the ids of [CLS], [SEP], <pad>, [MASK]."""
    return {"vocab_size": self.vocab_size,
            "start_of_sequence_id": self._lookup("[CLS]"),
            "end_of_segment_id": self._lookup("[SEP]"),
            "padding_id": self._lookup("<pad>"),
            "mask_id": self._lookup("[MASK]")}

  def tokenize(self, strings):
    """strings [B] → int32 RaggedTensor [B,(N)] (usable inside tf.function)."""
    strings = tf.convert_to_tensor(strings, tf.string)
    ids = self._sp.tokenize(self._normalize(strings))             # [B,(n)]
    expanded = tf.gather(self._expansion, ids.flat_values)         # [Σn,(k)]
    row_lengths = tf.math.segment_sum(                             # k summed per text
        expanded.row_lengths(), ids.value_rowids())
    # segment_sum drops trailing empty texts; pad the lengths back to B rows.
    row_lengths = tf.concat([row_lengths, tf.zeros(
        [ids.nrows() - tf.shape(row_lengths, out_type=tf.int64)[0]], tf.int64)], 0)
    return tf.RaggedTensor.from_row_lengths(expanded.flat_values, row_lengths)
