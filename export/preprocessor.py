"""The TF Hub preprocessor SavedModel.

Conventions: docs/serving_reference.md C8, docs/albert_reference.md §6.3.

Saved object (all in-graph, no Python tokenizer at load time):
  preprocessor(sentences)             string [B] → {"input_word_ids", "input_mask",
                                      "input_type_ids"}: int32 [B, default_seq_length]
  preprocessor.tokenize(sentences)    string [B] → int32 RaggedTensor [B,(N)]
  preprocessor.tokenize.get_special_tokens_dict()
                                      → int32 scalars vocab_size, start_of_sequence_id,
                                        end_of_segment_id, padding_id, mask_id
  preprocessor.bert_pack_inputs(segments, seq_length=N)
                                      list of 1 or 2 int32 RaggedTensors [B,(N)]
                                      (row_splits int64) → the three int32 [B, N] inputs
  preprocessor.sp_model_file          the SentencePiece model, a SavedModel asset
                                      (assets/<name>; paths stay relative, so a moved or
                                      copied export keeps working)

Texts longer than seq_length are truncated (round robin between segments); an empty
batch gives [0, seq_length] outputs. It has no variables and ignores `training`.

Usage (tf_keras): `hub.KerasLayer(path)` on a string Input, or
`hub.KerasLayer(hub.load(path).bert_pack_inputs, arguments={"seq_length": 64})`.
"""
import tensorflow as tf

from export import packing
from export.sentencepiece_tokenizer import AlbertSentencepieceTokenizer

AutoTrackable = tf.__internal__.tracking.AutoTrackable
DEFAULT_SEQ_LENGTH = 128
_STRINGS = tf.TensorSpec([None], tf.string, name="sentences")
_SEGMENT = tf.RaggedTensorSpec([None, None], tf.int32, ragged_rank=1, row_splits_dtype=tf.int64)
_SEQ_LENGTH = tf.TensorSpec([], tf.int32, name="seq_length")


class _Tokenize(AutoTrackable):
  """`.tokenize`: callable, with `get_special_tokens_dict()`."""

  def __init__(self, tokenizer):
    self.tokenizer = tokenizer
    special = tokenizer.special_tokens_dict()
    self.__call__ = tf.function(tokenizer.tokenize, input_signature=[_STRINGS])
    self.get_special_tokens_dict = tf.function(
        lambda: {k: tf.constant(v, tf.int32) for k, v in special.items()}, input_signature=[])


class _BertPackInputs(AutoTrackable):
  """`.bert_pack_inputs(segments, seq_length)`, traced for 1 and 2 segments."""

  def __init__(self, special):
    def pack(segments, seq_length=DEFAULT_SEQ_LENGTH):
      return packing.bert_pack_inputs(
          list(segments), seq_length, cls_id=special["start_of_sequence_id"],
          sep_id=special["end_of_segment_id"], pad_id=special["padding_id"])

    self.__call__ = tf.function(pack)
    for num_segments in (1, 2):
      self.__call__.get_concrete_function([_SEGMENT] * num_segments, _SEQ_LENGTH)


class AlbertPreprocessor(AutoTrackable):
  """Builds the preprocessor object; save it with `save_preprocessor`.

  Args:
    spm_model_file: SentencePiece model (copied into the export's assets/).
    lower_case: lowercase during normalization (True for all public ALBERTs).
    default_seq_length: T of the root call (128, as the TF Hub preprocessors).
  """

  def __init__(self, spm_model_file, lower_case=True, default_seq_length=DEFAULT_SEQ_LENGTH):
    tokenizer = AlbertSentencepieceTokenizer(spm_model_file, lower_case=lower_case)
    special = tokenizer.special_tokens_dict()
    self.special_tokens = special  # Python ints, also for in-process users
    self.sp_model_file = tf.saved_model.Asset(spm_model_file)
    self.tokenize = _Tokenize(tokenizer)
    self.bert_pack_inputs = _BertPackInputs(special)
    self.default_seq_length = default_seq_length

    def call(sentences):
      return self.pack_text([sentences], default_seq_length)

    self._tokenizer = tokenizer
    self.__call__ = tf.function(call, input_signature=[_STRINGS])

  def pack_text(self, texts, seq_length):
    """List of 1–2 string tensors [B] → encoder inputs [B, seq_length] (in-graph)."""
    special = self.special_tokens
    return packing.bert_pack_inputs(
        [self._tokenizer.tokenize(t) for t in texts], seq_length,
        cls_id=special["start_of_sequence_id"], sep_id=special["end_of_segment_id"],
        pad_id=special["padding_id"])


def save_preprocessor(preprocessor, export_dir):
  tf.saved_model.save(preprocessor, export_dir,
                      signatures={"serving_default": preprocessor.__call__.get_concrete_function()})
