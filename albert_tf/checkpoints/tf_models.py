"""tf-models-official `AlbertEncoder` + `BertPretrainerV2` MLM head ↔ our model.

Representable configs: share_parameters="all" with num_hidden_groups = inner_group_num = 1
(tf-models applies ONE shared `TransformerEncoderBlock` num_layers times) and
layer_norm_eps = 1e-12 (hard-coded there). Anything else raises a ValueError.

Layouts (tf-models uses EinsumDense; N heads, D = H/N head size):
  query/key/value kernel  ours [H, H]  ↔ [H, N, D];   bias [H] ↔ [N, D]
  attention_output kernel ours [H, H]  ↔ [N, D, H];   bias [H]
  everything else has the same shape (Dense kernels are [in, out] on both sides).

The MLM head is `BertPretrainerV2.masked_lm` (layers.MaskedLM, scope `cls/predictions`),
tied to the encoder's word table like ours. tf-models has no equivalent of ALBERT's
SOP head (its `next_sentence` ClsHead adds a tanh dense layer), so SOP weights are not
written, and loading into an AlbertPretrainer requires `allow_missing_sop=True` (the
SOP head then keeps its initial values, and a warning names it).

On disk: `tf.train.Checkpoint(encoder=..., masked_lm=...)`, i.e. the
`BertPretrainerV2.checkpoint_items` that tf-models' export_tfhub restores, plus our
albert_config.json (and, as before, config.json) beside it.
"""
import logging
import os
import warnings

import tensorflow as tf
import tf_keras

from albert_tf import errors
from albert_tf.checkpoints import config_files
from albert_tf.checkpoints import object_checkpoint
from albert_tf.checkpoints import variable_map
from albert_tf.checkpoints.errors import CheckpointMismatchError
from albert_tf.checkpoints.variable_map import Entry

CONFIG_NAME = "config.json"  # written beside albert_config.json, as this format always had
# The sharing modes tf-models can hold (an allow-list; see configs.SHARING).
SHARE_MODES = ("all",)
_ROOTS = ("word_embeddings/", "position_embedding/", "type_embeddings/",
          "embeddings/layer_norm/", "embedding_projection/", "transformer/",
          "pooler_transform/", "cls/predictions/")


def check_representable(config):
  """Raises ValueError unless tf-models' AlbertEncoder can hold this config."""
  problems = []
  if config.share_parameters not in SHARE_MODES:
    problems.append(f"share_parameters={config.share_parameters!r} (needs 'all')")
  if config.num_hidden_groups != 1:
    problems.append(f"num_hidden_groups={config.num_hidden_groups} (needs 1)")
  if config.inner_group_num != 1:
    problems.append(f"inner_group_num={config.inner_group_num} (needs 1)")
  if config.layer_norm_eps != 1e-12:
    problems.append(f"layer_norm_eps={config.layer_norm_eps} (tf-models uses 1e-12)")
  if problems:
    raise errors.UserError("tf-models-official AlbertEncoder cannot represent this config: "
                           + ", ".join(problems))


def _activation(name):
  from official.modeling import activations  # pylint: disable=g-import-not-at-top
  table = {"gelu": activations.gelu, "gelu_new": activations.gelu,
           "gelu_exact": tf_keras.activations.gelu, "relu": "relu", "tanh": "tanh",
           "swish": "swish", "linear": "linear"}
  return table[name]


def encoder_kwargs(config):
  """Constructor arguments of `official.nlp.modeling.networks.AlbertEncoder` for config."""
  check_representable(config)
  return dict(vocab_size=config.vocab_size, embedding_width=config.embedding_size,
              hidden_size=config.hidden_size, num_layers=config.num_hidden_layers,
              num_attention_heads=config.num_attention_heads,
              max_sequence_length=config.max_position_embeddings,
              type_vocab_size=config.type_vocab_size,
              intermediate_size=config.intermediate_size,
              activation=_activation(config.hidden_act),
              dropout_rate=config.hidden_dropout_prob,
              attention_dropout_rate=config.attention_probs_dropout_prob,
              initializer=tf_keras.initializers.TruncatedNormal(stddev=config.initializer_range),
              dict_outputs=True)


def build_tf_models(config):
  """Returns (AlbertEncoder, BertPretrainerV2) of tf-models-official, built."""
  from official.nlp.modeling import models, networks  # pylint: disable=g-import-not-at-top
  encoder = networks.AlbertEncoder(**encoder_kwargs(config))
  pretrainer = models.BertPretrainerV2(
      encoder, mlm_activation=_activation(config.hidden_act),
      mlm_initializer=tf_keras.initializers.TruncatedNormal(stddev=config.initializer_range))
  ids = tf.zeros([1, 2], tf.int32)
  with warnings.catch_warnings():  # BertPretrainerV2 passes masked_lm_positions on; harmless
    warnings.filterwarnings("ignore", message="Input dict contained keys")
    pretrainer({"input_word_ids": ids, "input_mask": tf.ones_like(ids), "input_type_ids": ids,
                "masked_lm_positions": tf.zeros([1, 1], tf.int32)})
  return encoder, pretrainer


def _tm_name(variable):
  """Short tf-models name, e.g. 'transformer/self_attention/query/kernel'."""
  name = variable.name.split(":")[0]
  starts = [i for root in _ROOTS for i in [name.find(root)]
            if i == 0 or (i > 0 and name[i - 1] == "/")]
  return name[min(starts):] if starts else name


def tf_models_variables(tm_encoder, tm_masked_lm=None):
  """{short name: variable} of a tf-models encoder (+ MaskedLM head, tied table once)."""
  out = {_tm_name(v): v for v in tm_encoder.weights}
  if tm_masked_lm is not None:
    table = tm_encoder.get_embedding_table()
    out.update({_tm_name(v): v for v in tm_masked_lm.weights if v is not table})
  return out


def _dense(name, layer, kernel_shape=None, bias_shape=None):
  """Entries of a Dense layer; a shape given means tf-models stores it reshaped."""
  entries = []
  for suffix, var, shape in (("kernel", layer.kernel, kernel_shape),
                             ("bias", layer.bias, bias_shape)):
    if shape is None:
      entries.append(Entry(f"{name}/{suffix}", var))
    else:
      entries.append(Entry(f"{name}/{suffix}", var, to_external=variable_map.reshaper(shape),
                           from_external=variable_map.reshaper(tuple(var.shape))))
  return entries


def _layer_norm(name, layer):
  return [Entry(f"{name}/gamma", layer.gamma), Entry(f"{name}/beta", layer.beta)]


def tf_models_entries(model):
  """Name map ours → tf-models short names (AlbertPretrainer: + MLM head; no SOP)."""
  pretrainer = model if hasattr(model, "masked_lm") else None
  encoder = model.encoder if pretrainer is not None else model
  model.ensure_built()
  check_representable(encoder.config)
  c = encoder.config
  n, d, h = c.num_attention_heads, c.head_size, c.hidden_size
  emb = encoder.embeddings
  entries = [Entry("word_embeddings/embeddings", emb.word_embeddings),
             Entry("position_embedding/embeddings", emb.position_embeddings),
             Entry("type_embeddings/embeddings", emb.token_type_embeddings)]
  entries += _layer_norm("embeddings/layer_norm", emb.layer_norm)
  if emb.projection is not None:
    entries += _dense("embedding_projection", emb.projection)
  [(_, att)] = encoder.transformer.attention_sublayers
  [(_, ffn)] = encoder.transformer.ffn_sublayers
  for part in ("query", "key", "value"):
    entries += _dense(f"transformer/self_attention/{part}", getattr(att, part), (h, n, d), (n, d))
  entries += _dense("transformer/self_attention/attention_output", att.output_dense, (n, d, h))
  entries += _layer_norm("transformer/self_attention_layer_norm", att.layer_norm)
  entries += _dense("transformer/intermediate", ffn.intermediate)
  entries += _dense("transformer/output", ffn.output_dense)
  entries += _layer_norm("transformer/output_layer_norm", ffn.layer_norm)
  entries += _dense("pooler_transform", encoder.pooler.dense)
  if pretrainer is not None:
    mlm = pretrainer.masked_lm
    entries += _dense("cls/predictions/transform/dense", mlm.dense)
    entries += _layer_norm("cls/predictions/transform/LayerNorm", mlm.layer_norm)
    entries.append(Entry("cls/predictions/output_bias/bias", mlm.output_bias))
  return entries


def copy_to_tf_models(model, tm_encoder, tm_masked_lm=None):
  """Assigns our weights to a tf-models encoder (and MLM head if given); strict."""
  entries = tf_models_entries(model)
  if tm_masked_lm is None:
    entries = [e for e in entries if not e.name.startswith("cls/")]
  targets = tf_models_variables(tm_encoder, tm_masked_lm)
  variable_map.check(entries, {k: tuple(v.shape) for k, v in targets.items()},
                     "tf-models AlbertEncoder")
  for name, value in variable_map.export_arrays(entries).items():
    targets[name].assign(value)


def copy_from_tf_models(model, tm_encoder, tm_masked_lm=None, allow_missing_sop=False):
  """Assigns a tf-models encoder (+ MLM head) to our model; strict (see module doc)."""
  entries = tf_models_entries(model)
  if hasattr(model, "sentence_order"):
    if tm_masked_lm is None:
      raise CheckpointMismatchError(
          "tf-models model", missing=[e.name for e in entries if e.name.startswith("cls/")])
    _check_sop(model, allow_missing_sop)
  sources = tf_models_variables(tm_encoder, tm_masked_lm)
  variable_map.assign(entries, {k: v.numpy() for k, v in sources.items()}, "tf-models model")


def _check_sop(model, allow_missing_sop):
  names = ["cls/seq_relationship/output_weights", "cls/seq_relationship/output_bias"]
  if not allow_missing_sop:
    raise CheckpointMismatchError(
        "tf-models checkpoint", missing=names,
        detail="tf-models-official has no ALBERT SOP head; allow_missing_sop=True "
               "(CLI --allow_missing_sop) keeps our SOP head at its initial values")
  logging.warning("tf-models has no SOP head: %s keep their initial values", ", ".join(names))


def save_tf_models(model, path):
  """Writes our weights as tf-models `Checkpoint(encoder=, masked_lm=)`; returns prefix."""
  tm_encoder, tm_pretrainer = build_tf_models(model.config)
  has_heads = hasattr(model, "masked_lm")
  copy_to_tf_models(model, tm_encoder, tm_pretrainer.masked_lm if has_heads else None)
  if has_heads:
    logging.info("tf-models has no SOP head: cls/seq_relationship/* are not written")
  roots = {"encoder": tm_encoder}
  if has_heads:
    roots["masked_lm"] = tm_pretrainer.masked_lm
  prefix = object_checkpoint.write(roots, path)
  directory = os.path.dirname(prefix) or "."
  config_files.write_config(directory, model.config)
  config_files.write_config(directory, model.config, filename=CONFIG_NAME)
  return prefix


def load_tf_models(model, path, allow_missing_sop=False):
  """Loads a tf-models `Checkpoint(encoder=, masked_lm=)` into our model; strict."""
  model.ensure_built()
  has_heads = hasattr(model, "masked_lm")
  if has_heads and not allow_missing_sop:
    _check_sop(model, allow_missing_sop)
  tm_encoder, tm_pretrainer = build_tf_models(model.config)
  roots = {"encoder": tm_encoder}
  if has_heads:
    roots["masked_lm"] = tm_pretrainer.masked_lm
  prefix = object_checkpoint.strict_read(roots, path)
  copy_from_tf_models(model, tm_encoder, roots.get("masked_lm"), allow_missing_sop=True)
  return prefix
