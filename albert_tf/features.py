"""The one TFRecord schema for ALBERT pretraining examples (docs/albert_reference.md §3.5).

Every writer (data_prep), reader (albert_tf.input_pipeline), and test imports
names, dtypes and lengths from here. Feature names are the official
google-research/ALBERT ones so records are interchangeable with the official
`create_pretraining_data.py` and tf-models-official's `BertPretrainDataLoader`.

| key                    | dtype   | length                   |
|------------------------|---------|--------------------------|
| input_ids              | int64   | max_seq_length           |
| input_mask             | int64   | max_seq_length           |
| segment_ids            | int64   | max_seq_length           |
| token_boundary         | int64   | max_seq_length           |
| masked_lm_positions    | int64   | max_predictions_per_seq  |
| masked_lm_ids          | int64   | max_predictions_per_seq  |
| masked_lm_weights      | float32 | max_predictions_per_seq  |
| next_sentence_labels   | int64   | 1 (holds the SOP label: 1 = swapped) |

Example:
    >>> spec = feature_spec(max_seq_length=128, max_predictions_per_seq=20)
    >>> sorted(spec)[:2]
    ['input_ids', 'input_mask']
"""

# Order in which writers emit features (protobuf map order is made deterministic
# by serialising with sorted keys; this tuple is the documented field order).
SEQ_INT_FEATURES = ("input_ids", "input_mask", "segment_ids", "token_boundary")
PRED_INT_FEATURES = ("masked_lm_positions", "masked_lm_ids")
PRED_FLOAT_FEATURES = ("masked_lm_weights",)
LABEL_FEATURE = "next_sentence_labels"  # holds the SOP label; name kept for compatibility
ALL_FEATURES = SEQ_INT_FEATURES + PRED_INT_FEATURES + PRED_FLOAT_FEATURES + (LABEL_FEATURE,)

# Model-side names (TF Hub BERT-family encoder inputs) for the record features.
MODEL_INPUT_NAMES = {
    "input_ids": "input_word_ids",
    "input_mask": "input_mask",
    "segment_ids": "input_type_ids",
    "masked_lm_positions": "masked_lm_positions",
    "masked_lm_ids": "masked_lm_ids",
    "masked_lm_weights": "masked_lm_weights",
    "next_sentence_labels": "sentence_order_label",
}


def feature_lengths(max_seq_length, max_predictions_per_seq):
  """Returns {feature name: fixed length}."""
  lengths = {name: max_seq_length for name in SEQ_INT_FEATURES}
  lengths.update({name: max_predictions_per_seq
                  for name in PRED_INT_FEATURES + PRED_FLOAT_FEATURES})
  lengths[LABEL_FEATURE] = 1
  return lengths


def feature_spec(max_seq_length, max_predictions_per_seq, include_token_boundary=True):
  """Returns the `tf.io.parse_single_example` spec: {name: tf.io.FixedLenFeature}."""
  import tensorflow as tf  # local import: importing this module stays cheap.
  spec = {}
  for name, length in feature_lengths(max_seq_length, max_predictions_per_seq).items():
    if name == "token_boundary" and not include_token_boundary:
      continue
    dtype = tf.float32 if name in PRED_FLOAT_FEATURES else tf.int64
    spec[name] = tf.io.FixedLenFeature([length], dtype)
  return spec
