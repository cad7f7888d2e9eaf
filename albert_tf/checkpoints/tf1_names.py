"""Official TF1 variable names (google-research/ALBERT) ↔ our model; TF1 checkpoint I/O.

Names (docs/albert_reference.md §2.1) are produced by walking the model, so every size, group
count and sharing mode gets its names without a table:

  bert/embeddings/{word,token_type,position}_embeddings, bert/embeddings/LayerNorm/*
  bert/encoder/embedding_hidden_mapping_in/*                  (only when E != H)
  bert/encoder/transformer/group_{g}/inner_group_{i}/ + (with index j of the sublayer)
    attention_{j}/self/{query,key,value}/*, attention_{j}/output/dense/*
    ffn_{j}/intermediate/dense/*, ffn_{j}/intermediate/output/dense/*
    LayerNorm/* (after attention) and LayerNorm_1/* (after FFN)       when j == 1
  bert/pooler/dense/*
  cls/predictions/transform/{dense,LayerNorm}/*, cls/predictions/output_bias
  cls/seq_relationship/output_weights [2,H], cls/seq_relationship/output_bias [2]

Index j is 1 for shared sublayers (the only case in released checkpoints). Our
extension for the partial-sharing modes ("attention", "ffn"), whose per-layer sublayers
get j = layer + 1: their LayerNorms live *inside* the sublayer scope, at
`attention_{j}/LayerNorm` and `ffn_{j}/LayerNorm_1`, so they cannot collide with the
shared block's `LayerNorm` / `LayerNorm_1`. Mode "none" is exactly a TF1 checkpoint with
num_hidden_groups = num_hidden_layers (every sublayer has j = 1 in its own group).

All Dense kernels are [in, out] in both TF1 and tf-keras, so no transposes are needed.

Reading strips a `module/` prefix (TF-Hub v1 exports) and ignores optimizer state
(`*/adam_m`, `*/adam_v`, `*/Adam`, `*/Adam_1`, ...), `global_step` and loss-scale
variables; anything else that has no place in the model is reported as unexpected.
Writing produces a name-keyed V2 checkpoint (the format TF1's Saver writes) with exactly
these names plus `global_step`, readable by `tf.train.load_checkpoint` and by the official
code's `init_checkpoint`.

Example:
    >>> from albert_tf.configs import AlbertConfig
    >>> from albert_tf.pretrainer import AlbertPretrainer
    >>> model = AlbertPretrainer(AlbertConfig.from_preset("albert_tiny")).ensure_built()
    >>> names = [e.name for e in tf1_entries(model)]
    >>> len(names), names[0]
    (32, 'bert/embeddings/word_embeddings')
"""
import os
import re

import numpy as np
import tensorflow as tf

from albert_tf import errors
from albert_tf.checkpoints import config_files
from albert_tf.checkpoints import paths
from albert_tf.checkpoints import variable_map
from albert_tf.checkpoints.variable_map import Entry

TRANSFORMER = "bert/encoder/transformer"
# The sharing modes these names can hold (an allow-list: a mode added to configs.SHARING is
# refused until its naming is decided here; released checkpoints are all "all").
SHARE_MODES = ("all", "attention", "ffn", "none")
_OPTIMIZER_SUFFIX = re.compile(
    r"/(adam_m|adam_v|Adam|Adam_1|Momentum|RMSProp|RMSProp_1|Adagrad|lamb_m|lamb_v|"
    r"ExponentialMovingAverage)$")
_NON_MODEL = re.compile(
    r"^(global_step|beta1_power|beta2_power|current_loss_scale|good_steps|loss_scale.*)$"
    r"|AdamWeightDecayOptimizer|LAMBOptimizer")


def is_training_state(name):
  """True for optimizer slots, global_step and loss-scale variables (never loaded)."""
  return bool(_OPTIMIZER_SUFFIX.search(name) or _NON_MODEL.search(name))


def check_representable(config):
  """Raises ValueError unless the TF1 names can hold this config's sharing mode."""
  if config.share_parameters not in SHARE_MODES:
    raise errors.UserError(f"TF1 checkpoint names cannot represent share_parameters="
                           f"{config.share_parameters!r} (only {', '.join(SHARE_MODES)})")


# --- the name map ---------------------------------------------------------------------
def _dense(prefix, layer):
  return [Entry(f"{prefix}/kernel", layer.kernel), Entry(f"{prefix}/bias", layer.bias)]


def _layer_norm(prefix, layer):
  return [Entry(f"{prefix}/gamma", layer.gamma), Entry(f"{prefix}/beta", layer.beta)]


def _attention(scope, index, layer):
  base = f"{TRANSFORMER}/{scope}/attention_{index}"
  ln = f"{TRANSFORMER}/{scope}/LayerNorm" if index == 1 else f"{base}/LayerNorm"
  return (_dense(f"{base}/self/query", layer.query) + _dense(f"{base}/self/key", layer.key)
          + _dense(f"{base}/self/value", layer.value)
          + _dense(f"{base}/output/dense", layer.output_dense) + _layer_norm(ln, layer.layer_norm))


def _ffn(scope, index, layer):
  base = f"{TRANSFORMER}/{scope}/ffn_{index}"
  ln = f"{TRANSFORMER}/{scope}/LayerNorm_1" if index == 1 else f"{base}/LayerNorm_1"
  return (_dense(f"{base}/intermediate/dense", layer.intermediate)
          + _dense(f"{base}/intermediate/output/dense", layer.output_dense)
          + _layer_norm(ln, layer.layer_norm))


def encoder_entries(encoder):
  """Name map of an AlbertEncoder (embeddings, stack, pooler)."""
  check_representable(encoder.config)
  encoder.ensure_built()
  emb = encoder.embeddings
  entries = [Entry("bert/embeddings/word_embeddings", emb.word_embeddings),
             Entry("bert/embeddings/token_type_embeddings", emb.token_type_embeddings),
             Entry("bert/embeddings/position_embeddings", emb.position_embeddings)]
  entries += _layer_norm("bert/embeddings/LayerNorm", emb.layer_norm)
  if emb.projection is not None:
    entries += _dense("bert/encoder/embedding_hidden_mapping_in", emb.projection)
  for (scope, index), layer in encoder.transformer.attention_sublayers:
    entries += _attention(scope, index, layer)
  for (scope, index), layer in encoder.transformer.ffn_sublayers:
    entries += _ffn(scope, index, layer)
  return entries + _dense("bert/pooler/dense", encoder.pooler.dense)


def head_entries(pretrainer):
  """Name map of the MLM and SOP heads (`cls/...`)."""
  pretrainer.ensure_built()
  mlm, sop = pretrainer.masked_lm, pretrainer.sentence_order
  return (_dense("cls/predictions/transform/dense", mlm.dense)
          + _layer_norm("cls/predictions/transform/LayerNorm", mlm.layer_norm)
          + [Entry("cls/predictions/output_bias", mlm.output_bias),
             Entry("cls/seq_relationship/output_weights", sop.output_weights),
             Entry("cls/seq_relationship/output_bias", sop.output_bias)])


def tf1_entries(model):
  """Name map of an AlbertPretrainer (encoder + heads) or an AlbertEncoder (no heads)."""
  if hasattr(model, "masked_lm"):
    return encoder_entries(model.encoder) + head_entries(model)
  return encoder_entries(model)


# --- reading and writing --------------------------------------------------------------
def read_shapes(prefix):
  """{model-relevant name: shape} of a TF1 checkpoint; returns (shapes, original names)."""
  reader = tf.train.load_checkpoint(prefix)
  shapes, originals = {}, {}
  for name, shape in reader.get_variable_to_shape_map().items():
    if is_training_state(name):
      continue
    clean = name[len("module/"):] if name.startswith("module/") else name
    shapes[clean], originals[clean] = tuple(shape), name
  return reader, shapes, originals


def load_tf1(model, path):
  """Loads a TF1-named checkpoint (directory or prefix) into `model`; strict.

  For an AlbertEncoder target the `cls/` head variables are ignored; every other
  name must match. Returns the resolved checkpoint prefix.
  """
  prefix = paths.resolve_prefix(path)
  reader, shapes, originals = read_shapes(prefix)
  entries = tf1_entries(model)
  ignore = (lambda n: False) if hasattr(model, "masked_lm") else (
      lambda n: n.startswith("cls/"))
  variable_map.check(entries, shapes, prefix, ignore)
  arrays = {e.name: reader.get_tensor(originals[e.name]) for e in entries}
  variable_map.assign(entries, arrays, prefix)
  return prefix


def save_tf1(model, path, global_step=0, config_name="albert_config.json"):
  """Writes `model` under the official TF1 names (+ global_step); returns the prefix.

  `path` is a prefix, or a directory (then `model.ckpt-{global_step}` inside it). The
  model's config is written beside it as `albert_config.json` (the released name).
  """
  prefix = paths.output_prefix(path, f"model.ckpt-{global_step}")
  arrays = variable_map.export_arrays(tf1_entries(model))
  arrays["global_step"] = np.asarray(global_step, np.int64)
  write_name_keyed(prefix, arrays)
  if config_name:
    config_files.write_config(os.path.dirname(prefix) or ".", model.config, filename=config_name)
  return prefix


def write_name_keyed(prefix, arrays):
  """Writes {name: array} as a name-keyed TF checkpoint (V2 format, as TF1's Saver)."""
  names = sorted(arrays)
  tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names),
                    tensors=[tf.convert_to_tensor(arrays[n]) for n in names])
  paths.write_state_file(prefix)
