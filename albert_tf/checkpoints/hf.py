"""HF transformers `AlbertModel` / `AlbertForPreTraining` state dicts ↔ our model.

Arrays in and out are numpy; torch is imported only to read or write `pytorch_model.bin`
(safetensors files are read and written with `safetensors.numpy`).

Names (AlbertForPreTraining prefixes the encoder with `albert.`; AlbertModel does not):
  embeddings.{word,position,token_type}_embeddings.weight, embeddings.LayerNorm.*
  encoder.embedding_hidden_mapping_in.*
  encoder.albert_layer_groups.{g}.albert_layers.{i}.attention.{query,key,value,dense}.*,
      ...attention.LayerNorm.*, ...ffn.*, ...ffn_output.*, ...full_layer_layer_norm.*
  pooler.*
  predictions.{dense,LayerNorm}.*, predictions.bias, sop_classifier.classifier.*
  predictions.decoder.{weight,bias}: tied to the word table / predictions.bias
torch `Linear.weight` is [out, in], so Dense kernels are transposed; embeddings are not;
the SOP `output_weights` [2, H] is already [out, in].

What HF can hold: num_hidden_groups / inner_group_num as in TF1 (L need not be a multiple of
the groups), except where HF's group rule int(i / (L / G)) and the official int(i / L * G)
round differently (e.g. L=18, G=14: refused, errors.UserError); share_parameters="none" is
written as num_hidden_groups = num_hidden_layers (the same model; read back as "none" where
the official rule with G = L would differ); the partial sharing modes "attention" / "ffn"
have no HF equivalent (errors.UserError).
HF always has `embedding_hidden_mapping_in`, even when E == H, where ours (like TF1)
has no projection: we write an exact identity (weight I, bias 0), and on reading accept
only an identity with zero bias (anything else raises CheckpointMismatchError: the
model would not be the same). Our hidden_act "gelu" (tanh approximation) is HF's
"gelu_new"; HF's "gelu" is the erf form, our "gelu_exact".
HF's SOP head applies dropout (classifier_dropout_prob) in training; the official head
has none; in eval mode they agree.
"""
import json
import os

import numpy as np

from albert_tf import configs
from albert_tf import errors
from albert_tf.checkpoints import variable_map
from albert_tf.checkpoints.errors import CheckpointMismatchError
from albert_tf.checkpoints.variable_map import Entry

CONFIG_NAME = "config.json"
SAFETENSORS_NAME = "model.safetensors"
BIN_NAME = "pytorch_model.bin"
_ACT_TO_HF = {"gelu": "gelu_new", "gelu_new": "gelu_new", "gelu_exact": "gelu", "relu": "relu",
              "tanh": "tanh", "swish": "silu", "linear": "linear"}
_ACT_FROM_HF = {"gelu_new": "gelu", "gelu_pytorch_tanh": "gelu", "gelu": "gelu_exact",
                "relu": "relu", "tanh": "tanh", "silu": "swish", "swish": "swish",
                "linear": "linear"}
_TIED = {"predictions.decoder.weight": "albert.embeddings.word_embeddings.weight",
         "predictions.decoder.bias": "predictions.bias"}
_PROJECTION = "encoder.embedding_hidden_mapping_in"
# The sharing modes HF can hold (an allow-list: a mode added to configs.SHARING is refused
# until it is mapped here). "none" is written as num_hidden_groups = num_hidden_layers.
SHARE_MODES = ("all", "none")


# --- configs ----------------------------------------------------------------------------
def hf_group_of_layer(num_hidden_layers, num_hidden_groups, layer_index):
  """The group HF's AlbertTransformer runs at `layer_index`: int(i / (L / G)).

  Mathematically the official int(l / L * G) (AlbertConfig.group_of_layer), but the float
  roundings differ for some L, G (e.g. L=18, G=14; L=22, G=22): there the two models differ.
  """
  return int(layer_index / (num_hidden_layers / num_hidden_groups))


def _first_group_difference(config):
  """(layer, HF group, official group) of the first layer the two rules assign differently
  in a share_parameters="all" config, or None."""
  for layer in range(config.num_hidden_layers):
    theirs = hf_group_of_layer(config.num_hidden_layers, config.num_hidden_groups, layer)
    if theirs != config.group_of_layer(layer):
      return layer, theirs, config.group_of_layer(layer)
  return None


def check_representable(config):
  """Raises errors.UserError unless HF's AlbertModel can hold this config (see SHARE_MODES):
  a partial sharing mode, or groups that HF's rule assigns to layers differently."""
  if config.share_parameters not in SHARE_MODES:
    raise errors.UserError(f"HF transformers ALBERT cannot represent share_parameters="
                           f"{config.share_parameters!r} (only 'all' with groups, or 'none')")
  difference = (_first_group_difference(config) if config.share_parameters == "all"
                else None)  # "none" is written as G = L, which HF maps exactly: i / 1.0
  if difference:
    layer, theirs, ours = difference
    raise errors.UserError(
        f"HF transformers ALBERT cannot represent num_hidden_layers={config.num_hidden_layers} "
        f"with num_hidden_groups={config.num_hidden_groups}: its rule int(i / (L / G)) puts "
        f"layer {layer} in group {theirs}, the official int(i / L * G) in group {ours} "
        "(float rounding); choose another num_hidden_groups to exchange weights with HF")


def hf_config_dict(config, architecture="AlbertForPreTraining"):
  """The HF `config.json` content for our AlbertConfig."""
  check_representable(config)
  groups = (config.num_hidden_layers if config.share_parameters == "none"
            else config.num_hidden_groups)
  return {
      "architectures": [architecture], "model_type": "albert",
      "vocab_size": config.vocab_size, "embedding_size": config.embedding_size,
      "hidden_size": config.hidden_size, "num_hidden_layers": config.num_hidden_layers,
      "num_hidden_groups": groups, "num_attention_heads": config.num_attention_heads,
      "intermediate_size": config.intermediate_size, "inner_group_num": config.inner_group_num,
      "hidden_act": _ACT_TO_HF[config.hidden_act],
      "hidden_dropout_prob": config.hidden_dropout_prob,
      "attention_probs_dropout_prob": config.attention_probs_dropout_prob,
      "max_position_embeddings": config.max_position_embeddings,
      "type_vocab_size": config.type_vocab_size, "initializer_range": config.initializer_range,
      "layer_norm_eps": config.layer_norm_eps,
      "classifier_dropout_prob": config.extra.get("classifier_dropout_prob", 0.1),
      "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3, "tie_word_embeddings": True,
  }


def config_from_hf(values, source="HF config"):
  """Our AlbertConfig from an HF ALBERT config dict (HF-only keys are dropped)."""
  act = values.get("hidden_act", "gelu_new")
  if act not in _ACT_FROM_HF:
    raise errors.UserError(f"{source}: field hidden_act={act!r} has no equivalent here")
  names = {f for f in configs.AlbertConfig.__dataclass_fields__} - {"extra", "share_parameters"}
  known = {k: v for k, v in values.items() if k in names}
  known["hidden_act"] = _ACT_FROM_HF[act]
  config = configs.AlbertConfig.from_dict(known, source=source)
  if (config.num_hidden_groups == config.num_hidden_layers
      and _first_group_difference(config) is not None):
    # One group per layer is HF's (exact) spelling of nothing shared, but the official rule
    # with G = L skips a group at some depths (L=22, ...): build it as share "none".
    config = config.replace(share_parameters="none")
  try:
    check_representable(config)
  except errors.UserError as e:
    raise errors.UserError(f"{source}: {e}") from None
  return config


def is_hf_config(values):
  return isinstance(values, dict) and values.get("model_type") == "albert"


# --- the name map -------------------------------------------------------------------------
def _linear(prefix, layer):
  return [Entry(f"{prefix}.weight", layer.kernel, variable_map.transpose, variable_map.transpose),
          Entry(f"{prefix}.bias", layer.bias)]


def _layer_norm(prefix, layer):
  return [Entry(f"{prefix}.weight", layer.gamma), Entry(f"{prefix}.bias", layer.beta)]


def _block_prefix(scope, index):
  if index != 1:
    raise ValueError("HF transformers ALBERT has no per-layer sublayers (partial sharing)")
  group, inner = (part.rsplit("_", 1)[1] for part in scope.split("/"))
  return f"encoder.albert_layer_groups.{group}.albert_layers.{inner}"


def encoder_entries(encoder, prefix=""):
  """HF names of an AlbertEncoder (AlbertModel layout; `prefix` "albert." for pretraining)."""
  encoder.ensure_built()
  check_representable(encoder.config)
  emb, p = encoder.embeddings, prefix
  entries = [Entry(f"{p}embeddings.word_embeddings.weight", emb.word_embeddings),
             Entry(f"{p}embeddings.position_embeddings.weight", emb.position_embeddings),
             Entry(f"{p}embeddings.token_type_embeddings.weight", emb.token_type_embeddings)]
  entries += _layer_norm(f"{p}embeddings.LayerNorm", emb.layer_norm)
  if emb.projection is not None:
    entries += _linear(f"{p}{_PROJECTION}", emb.projection)
  for (scope, index), att in encoder.transformer.attention_sublayers:
    block = p + _block_prefix(scope, index)
    for part, name in (("query", "query"), ("key", "key"), ("value", "value"),
                       ("output_dense", "dense")):
      entries += _linear(f"{block}.attention.{name}", getattr(att, part))
    entries += _layer_norm(f"{block}.attention.LayerNorm", att.layer_norm)
  for (scope, index), ffn in encoder.transformer.ffn_sublayers:
    block = p + _block_prefix(scope, index)
    entries += _linear(f"{block}.ffn", ffn.intermediate)
    entries += _linear(f"{block}.ffn_output", ffn.output_dense)
    entries += _layer_norm(f"{block}.full_layer_layer_norm", ffn.layer_norm)
  return entries + _linear(f"{p}pooler", encoder.pooler.dense)


def hf_entries(model):
  """AlbertPretrainer → AlbertForPreTraining names; AlbertEncoder → AlbertModel names."""
  if not hasattr(model, "masked_lm"):
    return encoder_entries(model)
  model.ensure_built()
  mlm, sop = model.masked_lm, model.sentence_order
  return (encoder_entries(model.encoder, "albert.") + _linear("predictions.dense", mlm.dense)
          + _layer_norm("predictions.LayerNorm", mlm.layer_norm)
          + [Entry("predictions.bias", mlm.output_bias),
             Entry("sop_classifier.classifier.weight", sop.output_weights),
             Entry("sop_classifier.classifier.bias", sop.output_bias)])


def _prefix(model):
  return "albert." if hasattr(model, "masked_lm") else ""


# --- state dicts --------------------------------------------------------------------------
def state_dict_from_ours(model, include_tied=True):
  """{HF name: np.ndarray}; `include_tied` adds predictions.decoder.* (as state_dict())."""
  arrays = variable_map.export_arrays(hf_entries(model))
  config, p = model.config, _prefix(model)
  if config.embedding_size == config.hidden_size:  # identity projection, exact
    arrays[f"{p}{_PROJECTION}.weight"] = np.eye(config.hidden_size, dtype=np.float32)
    arrays[f"{p}{_PROJECTION}.bias"] = np.zeros([config.hidden_size], np.float32)
  if include_tied and p:
    for tied, source in _TIED.items():
      arrays[tied] = arrays[source]
  return arrays


def _to_numpy(value):
  if hasattr(value, "detach"):  # a torch tensor; no torch import needed
    value = value.detach().cpu().float().numpy()
  return np.asarray(value)


def _ignorable(name):
  return name.endswith((".position_ids", ".token_type_ids"))


def load_state_dict(model, state_dict, source="HF state dict"):
  """Assigns an HF state dict (numpy or torch values) to our model; strict.

  An AlbertEncoder target accepts AlbertModel names, or AlbertForPreTraining names
  (whose heads are then ignored); an AlbertPretrainer needs the heads.
  """
  arrays = {k: _to_numpy(v) for k, v in state_dict.items() if not _ignorable(k)}
  pretraining = hasattr(model, "masked_lm")
  ignore = lambda name: False  # noqa: E731
  if pretraining and not any(k.startswith("albert.") for k in arrays):
    arrays = {f"albert.{k}": v for k, v in arrays.items()}  # an AlbertModel state dict
  if not pretraining and any(k.startswith("albert.") for k in arrays):
    arrays = {k[len("albert."):] if k.startswith("albert.") else k: v for k, v in arrays.items()}
    ignore = lambda name: name.startswith(("predictions.", "sop_classifier."))  # noqa: E731
  _drop_tied(arrays, source, pretraining)
  _drop_identity_projection(model.config, arrays, _prefix(model), source)
  variable_map.assign(hf_entries(model), arrays, source, ignore)


def _drop_tied(arrays, source, pretraining):
  for tied, origin in _TIED.items():
    if tied in arrays:
      value = arrays.pop(tied)
      if pretraining and origin in arrays and not np.array_equal(value, arrays[origin]):
        raise CheckpointMismatchError(
            source, detail=f"{tied} differs from {origin}: untied MLM decoder weights "
                           "cannot be represented (the official decoder is tied)")


def _drop_identity_projection(config, arrays, prefix, source):
  if config.embedding_size != config.hidden_size:
    return
  weight = arrays.pop(f"{prefix}{_PROJECTION}.weight", None)
  bias = arrays.pop(f"{prefix}{_PROJECTION}.bias", None)
  if weight is None and bias is None:
    return
  eye = np.eye(config.hidden_size, dtype=np.float32)
  if (weight is None or bias is None or weight.shape != eye.shape
      or not np.array_equal(weight, eye) or np.any(bias)):
    raise CheckpointMismatchError(
        source, detail=f"{prefix}{_PROJECTION} is not an identity with zero bias, but "
                       "embedding_size == hidden_size means no projection here (as in TF1); "
                       "use a config with embedding_size != hidden_size")


# --- files ----------------------------------------------------------------------------------
def _weights_file(path):
  path = os.fspath(path)
  if not os.path.isdir(path):
    if os.path.isfile(path):
      return path
    raise errors.UserError(f"no HF checkpoint at {path} (expected a directory or a "
                           f"{SAFETENSORS_NAME} / {BIN_NAME} file)")
  for name in (SAFETENSORS_NAME, SAFETENSORS_NAME + ".index.json", BIN_NAME):
    if os.path.isfile(os.path.join(path, name)):
      return os.path.join(path, name)
  raise errors.UserError(f"no {SAFETENSORS_NAME} or {BIN_NAME} in directory {path}")


def read_state_dict(path):
  """{name: np.ndarray} from an HF directory, .safetensors (or sharded index) or .bin."""
  weights = _weights_file(path)
  if weights.endswith(".index.json"):
    with open(weights, encoding="utf-8") as f:
      shards = sorted(set(json.load(f)["weight_map"].values()))
    out = {}
    for shard in shards:
      out.update(read_state_dict(os.path.join(os.path.dirname(weights), shard)))
    return out
  if weights.endswith(".safetensors"):
    from safetensors.numpy import load_file  # pylint: disable=g-import-not-at-top
    return load_file(weights)
  import torch  # pylint: disable=g-import-not-at-top
  state = torch.load(weights, map_location="cpu", weights_only=True)
  return {k: _to_numpy(v) for k, v in state.items()}


def load_hf(model, path):
  """Loads an HF checkpoint (directory or weights file) into our model; strict."""
  model.ensure_built()
  weights = _weights_file(path)
  load_state_dict(model, read_state_dict(weights), source=weights)
  return weights


def save_hf(model, path, weights_format="safetensors"):
  """Writes `path/config.json` + model.safetensors (or pytorch_model.bin); returns the dir.

  The file holds what `save_pretrained` writes (tied decoder weights left out), so
  `AlbertForPreTraining.from_pretrained(path)` (or AlbertModel for an encoder) loads it.
  """
  model.ensure_built()
  architecture = "AlbertForPreTraining" if hasattr(model, "masked_lm") else "AlbertModel"
  config = hf_config_dict(model.config, architecture)
  arrays = {k: np.ascontiguousarray(v) for k, v in
            state_dict_from_ours(model, include_tied=False).items()}
  path = os.fspath(path)
  os.makedirs(path, exist_ok=True)
  if weights_format == "safetensors":
    from safetensors.numpy import save_file  # pylint: disable=g-import-not-at-top
    save_file(arrays, os.path.join(path, SAFETENSORS_NAME), metadata={"format": "pt"})
  elif weights_format == "bin":
    import torch  # pylint: disable=g-import-not-at-top
    torch.save({k: torch.from_numpy(v) for k, v in arrays.items()}, os.path.join(path, BIN_NAME))
  else:
    raise errors.UserError(f"weights_format={weights_format!r} must be 'safetensors' or 'bin'")
  with open(os.path.join(path, CONFIG_NAME), "w", encoding="utf-8") as f:
    json.dump(config, f, indent=2, sort_keys=True)
    f.write("\n")
  return path
