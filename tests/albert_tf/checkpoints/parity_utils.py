"""Shared helpers of the checkpoint / parity tests: tiny configs, random weights and
inputs with padding, and max-abs-diff reporting (printed, visible with `pytest -s`)."""
import numpy as np

from albert_tf.configs import AlbertConfig

TOLERANCE = 1e-5
# The tiny preset with a small vocabulary, dropout 0 (tests must not download or be slow).
TINY = AlbertConfig.from_preset("albert_tiny").replace(vocab_size=99, max_position_embeddings=40)
TINY_GROUPS = TINY.replace(num_hidden_layers=4, num_hidden_groups=2, inner_group_num=2)


def randomize(model, seed=0, stddev=0.1):
  """Random values for every variable (LayerNorm gamma around 1), so no weight is trivial."""
  rng = np.random.default_rng(seed)
  for v in model.weights:
    value = rng.normal(0.0, stddev, v.shape)
    if "gamma" in v.name:
      value += 1.0
    v.assign(value.astype(np.float32))
  return model


def random_inputs(config, batch=3, seq_len=12, num_masked=4, seed=1):
  """Encoder inputs + masked_lm_positions; rows 1 and 2 are padded at the tail."""
  rng = np.random.default_rng(seed)
  lengths = [seq_len, seq_len - 4, 5][:batch] + [seq_len] * max(0, batch - 3)
  mask = np.zeros([batch, seq_len], np.int32)
  for row, length in enumerate(lengths):
    mask[row, :length] = 1
  return {
      "input_word_ids": (rng.integers(1, config.vocab_size, [batch, seq_len]) * mask).astype(np.int32),
      "input_mask": mask,
      "input_type_ids": (rng.integers(0, config.type_vocab_size, [batch, seq_len]) * mask).astype(np.int32),
      "masked_lm_positions": np.stack(
          [rng.integers(0, length, [num_masked]) for length in lengths]).astype(np.int32),
  }


def max_diff(a, b):
  return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def report(label, diffs):
  """Prints `[parity] label: key=diff ...` and returns the largest diff."""
  print(f"\n[parity] {label}: " + ", ".join(f"{k} max|diff|={v:.3g}" for k, v in diffs.items()))
  return max(diffs.values())


def outputs(model, inputs):
  """numpy outputs of our AlbertPretrainer (or AlbertEncoder) in inference mode."""
  out = model(inputs, training=False)
  return {k: v.numpy() for k, v in out.items() if k != "encoder_outputs" and k != "default"}
