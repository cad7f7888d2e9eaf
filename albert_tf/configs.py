"""ALBERT model configuration: the official `albert_config.json` keys plus the sharing mode.

Field names and defaults are those of google-research/ALBERT `modeling.AlbertConfig`
(docs/albert_reference.md §1.2), so a released `albert_config.json` loads as is. The keys
released files carry that the model never reads (`net_structure_type`, `gap_size`,
`num_memory_blocks`; table IGNORED_OFFICIAL_KEYS) are kept in `extra` and written back; a
value that would ask for a model the official code gives a meaning to and this one does not
build is refused. Any other key is an error naming the file, the key and the closest known
key (a typo such as `hiden_size` would otherwise leave hidden_size at its default). Errors
in a config (bad key, type or value, unreadable or non-JSON file) are `errors.UserError`s:
one line that the CLIs print as is.

One field is ours: `share_parameters` selects what is shared across layers, the paper's
Table 4 ablation (no reference release exposes it):
  - "all"        attention and FFN shared within each group (the paper's default and
                 the official code's behaviour with num_hidden_groups/inner_group_num);
  - "attention"  attention shared, FFN separate per layer;
  - "ffn"        FFN shared, attention separate per layer;
  - "none"       nothing shared (BERT).

`PretrainConfig` (end of file) is a pretraining run's config: the official run_pretraining
flags plus ours (precision spellings, sentence objective, periodic evaluation).

Example:
    >>> cfg = AlbertConfig.from_preset("albert_base")
    >>> (cfg.hidden_size, cfg.embedding_size, cfg.num_hidden_layers)
    (768, 128, 12)
    >>> cfg.replace(num_hidden_layers=24).num_hidden_layers
    24
"""
import dataclasses
import difflib
import json
import math
from typing import Any, Dict, NamedTuple

from albert_tf import errors

# share_parameters mode → (attention_shared, ffn_shared) across the layers of a group; the
# layer stack reads this table, and each checkpoint converter allow-lists the modes it can
# hold, so a new entry here is refused by a converter until it learns the mode.
SHARING = {"all": (True, True), "attention": (True, False), "ffn": (False, True),
           "none": (False, False)}
SHARE_MODES = tuple(SHARING)
ACTIVATIONS = ("gelu", "gelu_new", "gelu_exact", "relu", "tanh", "swish", "linear")


class IgnoredKey(NamedTuple):
  """An official config key the model does not read (see IGNORED_OFFICIAL_KEYS)."""
  released: Any  # the value every released albert_config.json carries
  only_released: bool  # True: any other value is refused, with `why` in the message
  why: str


# The keys of the official `AlbertConfig` and of the released albert_config.json files that
# the model never reads (docs/albert_reference.md §1.2; google-research/ALBERT modeling.py and
# run_pretraining.py are the only readers). They are accepted and written back unchanged.
# Where the official code gives a value other than the released one a meaning this project
# does not implement, that value is refused: the config asks for a model or warm start we
# would otherwise silently not build. down_scale_factor is also an AlbertConfig field (an
# official constructor argument); the others live in `extra`.
IGNORED_OFFICIAL_KEYS = {
    "down_scale_factor": IgnoredKey(
        1, True, "the official AlbertConfig documents it as 'the scale to apply' but its model "
        "never applies it, and neither does this one"),
    "net_structure_type": IgnoredKey(
        0, True, "the official run_pretraining gives values > 0 a meaning (with "
        "--init_from_group0, warm-start every layer, not every group, from group 0) that this "
        "project does not implement"),
    "gap_size": IgnoredKey(0, False, "never read by the official code"),
    "num_memory_blocks": IgnoredKey(0, False, "never read by the official code"),
}


@dataclasses.dataclass(frozen=True)
class AlbertConfig:
  """Hyperparameters of the ALBERT encoder (keys of the official albert_config.json).

  Defaults are the official constructor defaults (= ALBERT-xxlarge), except vocab_size,
  which the official class requires and which we default to the 30k SentencePiece vocab.
  `hidden_act="gelu"` is the tanh approximation, as in the official code.
  `extra` holds the values of the IGNORED_OFFICIAL_KEYS a file carried (written back).
  """
  vocab_size: int = 30000
  embedding_size: int = 128
  hidden_size: int = 4096
  num_hidden_layers: int = 12
  num_hidden_groups: int = 1
  num_attention_heads: int = 64
  intermediate_size: int = 16384
  inner_group_num: int = 1
  down_scale_factor: int = 1
  hidden_act: str = "gelu"
  hidden_dropout_prob: float = 0.0
  attention_probs_dropout_prob: float = 0.0
  max_position_embeddings: int = 512
  type_vocab_size: int = 2
  initializer_range: float = 0.02
  layer_norm_eps: float = 1e-12
  share_parameters: str = "all"
  extra: Dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

  def __post_init__(self):
    _validate(self)

  # --- construction -------------------------------------------------------------------
  @classmethod
  def from_dict(cls, values, source="config"):
    """Builds a config from a dict; raises errors.UserError naming `source`.

    Keys: the fields, plus IGNORED_OFFICIAL_KEYS (kept in `extra`); any other key is an
    error with the closest known key. Also accepts the trainer's `config.json`
    ({"albert_config": {...}, "pretraining": {...}}), whose model part is used.
    """
    if not isinstance(values, dict):
      raise errors.UserError(f"{source}: expected a JSON object of config keys, got "
                             f"{_json_type(values)}: give an albert_config.json")
    if isinstance(values.get("albert_config"), dict):
      values = values["albert_config"]
    nested = values.get("extra", {})  # dicts from older to_dict() round trips
    if not isinstance(nested, dict):
      raise errors.UserError(f"{source}: extra={nested!r} must be a JSON object")
    values = {**nested, **{k: v for k, v in values.items() if k != "extra"}}
    for key in values:
      _check_key(key, source)
    known = {k: _coerce(k, v, _FIELDS[k].type, source) for k, v in values.items()
             if k in _FIELDS}
    extra = {k: v for k, v in values.items() if k not in _FIELDS}
    try:
      return cls(extra=extra, **known)
    except errors.UserError as e:
      raise errors.UserError(f"{source}: {str(e).removeprefix(_PREFIX)}") from None

  @classmethod
  def from_json_file(cls, path):
    """Reads an `albert_config.json` (official or ours; the trainer's config.json)."""
    try:
      with open(path, encoding="utf-8") as f:
        text = f.read()
    except FileNotFoundError:
      raise errors.UserError(f"{path}: cannot read config file (no such file): check the "
                             "path") from None
    except IsADirectoryError:
      raise errors.UserError(f"{path}: is a directory, not a config file: give the path of "
                             "its albert_config.json") from None
    except UnicodeDecodeError as e:
      raise errors.UserError(f"{path}: config file is not UTF-8 text (byte {e.start}): give "
                             "a JSON albert_config.json") from None
    return cls.from_dict(parse_json(text, path), source=str(path))

  @classmethod
  def from_preset(cls, name):
    """Returns one of PRESETS by name (albert_base, ..., bert_large, albert_tiny)."""
    if name not in PRESETS:
      raise errors.UserError(f"preset={name!r} is unknown; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]

  def replace(self, **changes):
    return dataclasses.replace(self, **changes)

  # --- serialisation ------------------------------------------------------------------
  def to_dict(self):
    out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
    out.update(self.extra)
    return out

  def to_json_string(self):
    return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

  def to_json_file(self, path):
    with open(path, "w", encoding="utf-8") as f:
      f.write(self.to_json_string())

  # --- derived quantities -------------------------------------------------------------
  @property
  def head_size(self):
    return self.hidden_size // self.num_attention_heads

  def group_of_layer(self, layer_index):
    """Group used by layer `layer_index`: the official rule int(l / L * groups), exactly.

    L need not be a multiple of groups (official and HF accept it): L=5, groups=2 gives
    groups [0, 0, 0, 1, 1].
    """
    return int(layer_index / self.num_hidden_layers * self.num_hidden_groups)


_FIELDS = {f.name: f for f in dataclasses.fields(AlbertConfig) if f.name != "extra"}
_PREFIX = "AlbertConfig "  # of _validate's messages; from_dict names the file instead
KNOWN_KEYS = tuple(_FIELDS) + tuple(k for k in IGNORED_OFFICIAL_KEYS if k not in _FIELDS)


def as_config(config):
  """An AlbertConfig from an AlbertConfig or its dict (what Keras get_config round trips give)."""
  return AlbertConfig.from_dict(config) if isinstance(config, dict) else config


def parse_json(text, source):
  """json.loads(text), or errors.UserError naming `source`, line and column."""
  try:
    return json.loads(text)
  except json.JSONDecodeError as e:
    raise errors.UserError(f"{source}: not valid JSON (line {e.lineno}, column {e.colno}: "
                           f"{e.msg}): fix the file or give another config") from None


def _json_type(value):
  """The JSON name of a parsed value's type, for messages."""
  if isinstance(value, bool):
    return "a boolean"
  if isinstance(value, (int, float)):
    return "a number"
  return {str: "a string", list: "an array", dict: "an object"}.get(type(value), "null")


def _check_key(key, source):
  """errors.UserError for a key that is neither a field nor an ignored official key."""
  if key in KNOWN_KEYS:
    return
  close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
  hint = (f"did you mean {close[0]}?" if close
          else f"the known keys are {', '.join(KNOWN_KEYS)}")
  raise errors.UserError(f"{source}: unknown config key {key!r} ({hint}): fix or remove it")


def _coerce(key, value, annotation, source):
  """Checks the JSON type of one field; ints are accepted for floats, 3.0 for 3."""
  kind = {"int": int, "float": float, "str": str}.get(getattr(annotation, "__name__", annotation))
  if kind is None:
    return value
  if kind is int and isinstance(value, float) and value.is_integer():
    return int(value)
  ok = (isinstance(value, kind) and not isinstance(value, bool)) or (
      kind is float and isinstance(value, int) and not isinstance(value, bool))
  if not ok:
    wanted = {int: "an integer", float: "a number", str: "a string"}[kind]
    hint = " (write it without quotes)" if kind is not str and isinstance(value, str) else ""
    raise errors.UserError(f"{source}: {key}={json.dumps(value)} must be {wanted}, not "
                           f"{_json_type(value)}{hint}")
  return kind(value)


def _validate(c):
  """errors.UserError naming the first impossible field (from_dict adds the file)."""
  def bad(field, why, value=None):
    value = getattr(c, field) if value is None else value
    raise errors.UserError(f"{_PREFIX}{field}={value!r}: {why}")

  for field in ("vocab_size", "embedding_size", "hidden_size", "num_hidden_layers",
                "num_hidden_groups", "num_attention_heads", "intermediate_size",
                "inner_group_num", "down_scale_factor", "max_position_embeddings",
                "type_vocab_size"):
    value = getattr(c, field)
    if isinstance(value, bool) or not isinstance(value, int):
      bad(field, "must be an integer")
    if value <= 0:
      bad(field, "must be positive")
  for field in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
    value = getattr(c, field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
      bad(field, "must be a number in [0, 1)")
  for field in ("initializer_range", "layer_norm_eps"):
    value = getattr(c, field)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
      bad(field, "must be a positive number")
  if c.hidden_size % c.num_attention_heads:
    bad("hidden_size", f"must be divisible by num_attention_heads={c.num_attention_heads}")
  # Groups need not divide the layers (group_of_layer), but a group no layer would use has
  # no place in the official model (never created) and an unused one in HF's.
  if c.num_hidden_groups > c.num_hidden_layers:
    bad("num_hidden_groups", f"must be at most num_hidden_layers={c.num_hidden_layers} "
        "(each group is used by at least one layer)")
  if c.hidden_act not in ACTIVATIONS:
    bad("hidden_act", f"must be one of {', '.join(ACTIVATIONS)}")
  if c.share_parameters not in SHARING:
    bad("share_parameters", f"must be one of {', '.join(SHARING)}")
  for key in c.extra:  # only the ignored official keys live there (from_dict's check)
    if key in _FIELDS:
      raise errors.UserError(f"AlbertConfig extra key {key!r} is a field: pass it as one")
    _check_key(key, "AlbertConfig extra")
  for key, ignored in IGNORED_OFFICIAL_KEYS.items():
    value = getattr(c, key) if key in _FIELDS else c.extra.get(key, ignored.released)
    if ignored.only_released and value != ignored.released:
      bad(key, f"{ignored.why}: set it to {ignored.released} (or remove it)", value)


def _albert(hidden, layers, heads, dropout=0.0):
  return AlbertConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                      intermediate_size=4 * hidden, hidden_dropout_prob=dropout,
                      attention_probs_dropout_prob=dropout)


def _bert(hidden, layers, heads):
  return AlbertConfig(embedding_size=hidden, hidden_size=hidden, num_hidden_layers=layers,
                      num_attention_heads=heads, intermediate_size=4 * hidden,
                      hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                      share_parameters="none")


# Paper Table 1 sizes with the released v2 settings (dropout 0; v1 base/large/xlarge used 0.1).
# xlarge has 16 heads (head size 128) as released, not the paper text's H/64 = 32.
PRESETS = {
    "albert_base": _albert(768, 12, 12),
    "albert_large": _albert(1024, 24, 16),
    "albert_xlarge": _albert(2048, 24, 16),
    "albert_xxlarge": _albert(4096, 12, 64),
    "bert_base": _bert(768, 12, 12),
    "bert_large": _bert(1024, 24, 16),
    # Tiny model for tests and the CPU demo (seconds per step on 2 cores).
    "albert_tiny": AlbertConfig(embedding_size=16, hidden_size=32, num_hidden_layers=2,
                                num_attention_heads=2, intermediate_size=64,
                                max_position_embeddings=128),
}


# --- pretraining ------------------------------------------------------------------------------

# --optimizer values (optimization.py implements them).
OPTIMIZERS = ("lamb", "adamw")
# --mixed_precision spellings → Keras policy. The short names are the pretraining CLI's, the
# policy names fine-tuning's; both CLIs accept all five. Variables stay float32 in every policy.
PRECISIONS = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16",
              "mixed_bfloat16": "mixed_bfloat16", "mixed_float16": "mixed_float16"}
# The sentence-level loss. sop and nsp train the same 2-way head on the records' label
# (next_sentence_labels): what it means is decided by data_prep (--random_next_sentence writes
# NSP pairs). none = MLM only (google-research/albert#202: corpora without document order).
SENTENCE_OBJECTIVES = ("sop", "nsp", "none")


def precision_policy(name):
  """A --mixed_precision value → the Keras policy name; ValueError naming the choices.

  >>> precision_policy("bfloat16"), precision_policy("mixed_bfloat16")
  ('mixed_bfloat16', 'mixed_bfloat16')
  """
  if name not in PRECISIONS:
    raise ValueError(f"mixed_precision={name!r}; choose one of {', '.join(PRECISIONS)}")
  return PRECISIONS[name]


def recompute_check(model, what="recompute"):
  """Refuses recomputation with dropout > 0 (errors.UserError naming both).

  tf.recompute_grad reruns each block's forward pass in the backward pass, and the rerun
  draws NEW dropout masks: the loss is that of the first masks, the gradient that of others
  (wrong by up to 1.75 in a tiny model). Exact only without dropout, the ALBERT v2 setting.
  """
  model = as_config(model)
  rates = {name: getattr(model, name) for name in ("hidden_dropout_prob",
                                                   "attention_probs_dropout_prob")}
  if any(rates.values()):
    shown = ", ".join(f"{name}={value}" for name, value in rates.items())
    raise errors.UserError(
        f"{what} with dropout ({shown}) would give wrong gradients: the recomputed forward "
        f"pass draws new dropout masks; set both dropout probabilities to 0 in the model "
        f"config (the ALBERT v2 setting) or train without {what}")


@dataclasses.dataclass(frozen=True)
class PretrainConfig:
  """Everything pretraining_loop.run() needs; names and defaults are the official flags.

  >>> c = PretrainConfig(model=PRESETS["albert_tiny"], input_file="x", output_dir="out",
  ...                    max_seq_length=128)
  >>> c.validate().to_dict()["pretraining"]["train_batch_size"]
  4096
  """
  model: AlbertConfig
  input_file: str
  output_dir: str
  init_checkpoint: str = ""
  max_seq_length: int = 512
  max_predictions_per_seq: int = 20
  do_train: bool = True
  do_eval: bool = False
  eval_input_file: str = ""  # default: input_file (as the official script evaluates)
  train_batch_size: int = 4096  # GLOBAL batch per optimizer step
  eval_batch_size: int = 64
  optimizer: str = "lamb"
  learning_rate: float = 0.00176
  poly_power: float = 1.0
  num_train_steps: int = 125000
  num_warmup_steps: int = 3125
  start_warmup_step: int = 0
  save_checkpoints_steps: int = 5000
  keep_checkpoint_max: int = 5
  iterations_per_loop: int = 1000
  max_eval_steps: int = 100
  strategy: str = "auto"
  tpu: str = ""
  tpu_zone: str = ""
  gcp_project: str = ""
  mixed_precision: str = "float32"  # any key of PRECISIONS
  jit_compile: bool = False
  recompute_grad: bool = False  # recompute block activations in the backward pass (less memory)
  grad_accum_steps: int = 1
  seed: int = 12345
  deterministic: bool = False
  sentence_objective: str = "sop"  # one of SENTENCE_OBJECTIVES
  eval_every_steps: int = 0  # held-out evaluation every N steps; 0 = only at the end (do_eval)

  def to_dict(self):
    out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "model"}
    return {"albert_config": self.model.to_dict(), "pretraining": out}

  def validate(self):
    """Raises errors.UserError (a ValueError) naming the first bad flag and value; returns self.

    Refused: values no run can use (sizes and step counts ≤ 0, a non-finite or non-positive
    learning rate or poly_power, warmup that ends after training, more masked positions than
    tokens, sequences longer than the position table, ...) and --recompute_grad with
    dropout (recompute_check).
    """
    def bad(name, why):
      separator = "" if why.startswith(";") else " "
      raise errors.UserError(f"--{name}={getattr(self, name)!r}{separator}{why}")

    positive = ("max_seq_length", "max_predictions_per_seq", "train_batch_size",
                "eval_batch_size", "save_checkpoints_steps", "keep_checkpoint_max",
                "iterations_per_loop", "grad_accum_steps", "max_eval_steps")
    for name in positive:
      value = getattr(self, name)
      if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        bad(name, "must be a positive integer")
    for name in ("learning_rate", "poly_power"):
      value = getattr(self, name)
      if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
          math.isfinite(value) and value > 0):
        bad(name, "must be a finite number > 0")
    for name in ("num_warmup_steps", "start_warmup_step"):
      if getattr(self, name) < 0:
        bad(name, "must be ≥ 0")
    if self.do_train:
      if self.num_train_steps <= 0:
        bad("num_train_steps", "must be positive with --do_train")
      if self.start_warmup_step + self.num_warmup_steps > self.num_train_steps:
        bad("num_warmup_steps", f"(from --start_warmup_step={self.start_warmup_step}) ends "
            f"after --num_train_steps={self.num_train_steps}: the learning rate would never "
            f"decay; lower it or train longer")
    elif not self.do_eval:
      bad("do_train", "and --do_eval=False: nothing to do; give --do_train and/or --do_eval")
    if self.train_batch_size % self.grad_accum_steps:
      bad("train_batch_size", f"must be a multiple of --grad_accum_steps="
          f"{self.grad_accum_steps} (the global batch is split into that many micro-batches)")
    if self.max_predictions_per_seq > self.max_seq_length:
      bad("max_predictions_per_seq", f"exceeds --max_seq_length={self.max_seq_length}: "
          f"at most one prediction per token")
    if self.mixed_precision not in PRECISIONS:
      bad("mixed_precision", f"; choose one of {', '.join(PRECISIONS)}")
    if self.sentence_objective not in SENTENCE_OBJECTIVES:
      bad("sentence_objective", f"; choose one of {', '.join(SENTENCE_OBJECTIVES)}")
    if self.optimizer not in OPTIMIZERS:
      bad("optimizer", f"; choose one of {', '.join(OPTIMIZERS)}")
    if self.eval_every_steps < 0:
      bad("eval_every_steps", "must be ≥ 0 (0: only at the end)")
    if self.max_seq_length > self.model.max_position_embeddings:
      bad("max_seq_length", f"exceeds the model's max_position_embeddings="
          f"{self.model.max_position_embeddings}: give --max_seq_length ≤ it (the records' "
          f"length) or a model with a longer position table")
    if not self.output_dir:
      raise errors.UserError("--output_dir is required")
    if (self.do_train or self.do_eval) and not self.input_file:
      raise errors.UserError("--input_file is required")
    if self.recompute_grad:
      recompute_check(self.model, "--recompute_grad")
    return self
