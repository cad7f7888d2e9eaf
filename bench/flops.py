"""Training FLOPs per sequence (docs/perf_reference.md B2), counting every layer application.

Forward matmul FLOPs (2 per multiply-add), training = 3 × forward (backward ≈ 2 × forward):
  per token and block application: 2·(4H² + 2HF)   (Q, K, V, output; FFN in and out)
                                  + 4·T·H          (Q·Kᵀ and probs·V)
  per token, once:                 2·E·H           (embedding projection, when E ≠ H)
  per masked position:             2·(H·E + E·V)   (MLM transform + tied decoder)
  per sequence:                    2·H² + 4H       (pooler + SOP)
Shared layers are counted once per application: sharing saves parameters, not FLOPs.
For albert_base, T=128, 20 masked positions this gives ≈ 67.6 GFLOP per sequence.

Example:
    >>> from albert_tf.configs import AlbertConfig
    >>> round(training_flops_per_sequence(AlbertConfig.from_preset("albert_base"), 128, 20) / 1e9, 1)
    67.6
"""


def training_flops_per_sequence(config, seq_length, masked_positions):
  H, E, V, F, T = (config.hidden_size, config.embedding_size, config.vocab_size,
                   config.intermediate_size, seq_length)
  applications = config.num_hidden_layers * config.inner_group_num
  per_token = applications * (2 * (4 * H * H + 2 * H * F) + 4 * T * H)
  if E != H:
    per_token += 2 * E * H
  forward = T * per_token + masked_positions * 2 * (H * E + E * V) + 2 * H * H + 4 * H
  return 3 * forward
