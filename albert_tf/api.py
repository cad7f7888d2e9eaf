"""The short Python API: text in, ALBERT encoder outputs out (issue 14 item 5).

  load_encoder(path_or_export) → TextEncoder; TextEncoder(list of str) → {
      "pooled_output":   [B, H] float32   (tanh(W·h_[CLS]), the pooler)
      "sequence_output": [B, T, H] float32, T = the longest input in the batch (≤ max_seq_length)
      "input_mask":      [B, T] int32     (1 for real tokens, 0 for padding)}

path_or_export is any checkpoint the front door reads (albert_tf/checkpoints/load.py: ours,
Google's TF1 releases, tf-models-official, an HF directory; the config from beside it unless
`albert_config_file` or `preset` is given), a TF Hub encoder export directory (saved_model.pb;
text through `hub_preprocessor` if given, else albert_tf.tokenization with the SentencePiece
model inside the export), or a preset name (albert_tiny, albert_base, ...: random init).
Text → ids as the classifier does (finetune/classifier_data.pack): preprocess_text +
SentencePiece pieces, [CLS] text [SEP], cut to max_seq_length.

Example (the README's "Python API" section runs the same lines):
    >>> import albert_tf
    >>> enc = albert_tf.load_encoder("albert_tiny")  # or "runs/demo/model", a TF Hub export, ...
    >>> out = enc(["hello world", "a longer second sentence"])
    >>> out["pooled_output"].shape, out["sequence_output"].shape
    ((2, 32), (2, 6, 32))
"""
import os

import numpy as np
import tensorflow as tf

from albert_tf import configs
from albert_tf.finetune import classifier_data
from albert_tf.finetune import encoders

INPUTS = ("input_word_ids", "input_mask", "input_type_ids")


class TextEncoder:
  """Callable: list of strings → dict of numpy encoder outputs (see the module docstring).

  Attributes: encoder (the Keras layer: AlbertEncoder or hub.KerasLayer), tokenizer (None when
  a Hub preprocessor tokenizes), description ("random-init", "checkpoint:...", "hub:...";
  encoders.build_encoder's).
  """

  def __init__(self, encoder, tokenizer, description, max_seq_length=128, preprocessor=None):
    self.encoder, self.tokenizer, self.description = encoder, tokenizer, description
    self.max_seq_length = max_seq_length
    self._preprocessor = preprocessor
    self._call = tf.function(lambda inputs: encoder(inputs, training=False),
                             reduce_retracing=True)

  def encode_text(self, texts):
    """[CLS] text [SEP] ids, padded to the longest in the batch: dict of [B, T] int32."""
    if self._preprocessor is not None:   # fixed length, the preprocessor's own seq_length
      out = self._preprocessor(tf.constant(list(texts)))
      return {k: np.asarray(out[k], np.int32) for k in INPUTS}
    rows = [classifier_data.pack(self.tokenizer, self.tokenizer.tokenize(t), None,
                                 self.max_seq_length) for t in texts]
    width = max(sum(mask) for _, mask, _ in rows)
    return {name: np.asarray([row[i][:width] for row in rows], np.int32)
            for i, name in enumerate(INPUTS)}

  def __call__(self, texts):
    if isinstance(texts, str):
      raise TypeError("give a list of strings, e.g. enc([\"hello world\"])")
    inputs = self.encode_text(texts)
    out = self._call({k: tf.constant(v) for k, v in inputs.items()})
    return {"pooled_output": out["pooled_output"].numpy().astype(np.float32),
            "sequence_output": out["sequence_output"].numpy().astype(np.float32),
            "input_mask": inputs["input_mask"]}


def _is_hub_export(path):
  return os.path.isdir(path) and os.path.exists(os.path.join(path, "saved_model.pb"))


def load_encoder(path_or_export, hub_preprocessor=None, albert_config_file=None, preset=None,
                 spm_model_file=None, do_lower_case=True, max_seq_length=128):
  """A TextEncoder for a checkpoint, a TF Hub encoder export or a preset name (random init)."""
  if path_or_export in configs.PRESETS:
    spec = encoders.EncoderSpec(preset=path_or_export, spm_model_file=spm_model_file,
                                do_lower_case=do_lower_case)
  elif _is_hub_export(path_or_export):
    spec = encoders.EncoderSpec(hub_encoder=path_or_export, hub_preprocessor=hub_preprocessor,
                                spm_model_file=spm_model_file, do_lower_case=do_lower_case)
  else:
    spec = encoders.EncoderSpec(init_checkpoint=path_or_export, preset=preset,
                                albert_config_file=albert_config_file,
                                spm_model_file=spm_model_file, do_lower_case=do_lower_case)
  encoder, description = encoders.build_encoder(spec, max_seq_length, warn_random_init=False)
  preprocessor = None
  if hub_preprocessor:
    import tensorflow_text  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    preprocessor = tf.saved_model.load(hub_preprocessor)
  tokenizer = None if preprocessor is not None else encoders.make_tokenizer(spec)
  return TextEncoder(encoder, tokenizer, description, max_seq_length, preprocessor)
