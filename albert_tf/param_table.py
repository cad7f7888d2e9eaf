"""Prints exact parameter counts for the paper's presets beside the paper's Table 1.

COMMAND: python -m albert_tf.param_table        (about 20 s on 2 cores: builds each model)

Encoder = embeddings + layer stack + pooler (no heads), counted from the built tf-keras
model, not from a formula. Heads are counted separately (MLM: H·E + E + 2E + V, tied
decoder; SOP: 2H + 2). The last table shows that under full sharing the encoder count does
not change with num_hidden_layers.

Example:
    >>> rows = parameter_rows(["albert_tiny"])
    >>> rows[0]["preset"], rows[0]["encoder"] > 0
    ('albert_tiny', True)
"""
import os

from absl import app

# Paper Table 1 "Parameters" column (rounded, in millions). BERT uses V = 30522 there;
# we count with V = 30000 (the ALBERT vocab), so BERT rows differ slightly.
PAPER_TABLE1_MILLIONS = {
    "albert_base": 12, "albert_large": 18, "albert_xlarge": 60, "albert_xxlarge": 235,
    "bert_base": 108, "bert_large": 334,
}


def parameter_rows(presets):
  """Returns [{"preset", "encoder", "mlm_head", "sop_head", "paper_millions"}] from built models."""
  from albert_tf.configs import AlbertConfig
  from albert_tf.pretrainer import AlbertPretrainer
  rows = []
  for name in presets:
    model = AlbertPretrainer(AlbertConfig.from_preset(name)).ensure_built()
    rows.append({
        "preset": name,
        "encoder": model.encoder.count_params(),
        "mlm_head": model.masked_lm.count_params(),
        "sop_head": model.sentence_order.count_params(),
        "paper_millions": PAPER_TABLE1_MILLIONS.get(name),
    })
  return rows


def depth_rows(preset="albert_base", depths=(1, 6, 12, 24, 48)):
  """Encoder count of `preset` at several num_hidden_layers (full sharing ⇒ constant)."""
  from albert_tf.configs import AlbertConfig
  from albert_tf.encoder import AlbertEncoder
  base = AlbertConfig.from_preset(preset)
  return [(d, AlbertEncoder(base.replace(num_hidden_layers=d)).ensure_built().count_params())
          for d in depths]


def format_tables(rows, depths):
  lines = ["| preset | encoder params (exact) | paper Table 1 | MLM head | SOP head |",
           "|---|---:|---:|---:|---:|"]
  for r in rows:
    paper = f"{r['paper_millions']}M" if r["paper_millions"] else "-"
    lines.append(f"| {r['preset']} | {r['encoder']:,} | {paper} | {r['mlm_head']:,} | "
                 f"{r['sop_head']:,} |")
  lines += ["", "| albert_base, num_hidden_layers | encoder params |", "|---:|---:|"]
  lines += [f"| {d} | {n:,} |" for d, n in depths]
  return "\n".join(lines)


def main(argv):
  del argv
  presets = ["albert_base", "albert_large", "albert_xlarge", "albert_xxlarge",
             "bert_base", "bert_large"]
  print(format_tables(parameter_rows(presets), depth_rows()))


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  app.run(main)


if __name__ == "__main__":
  cli_main()
