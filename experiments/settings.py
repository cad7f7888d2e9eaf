"""The knobs of the paper-in-miniature matrix: the full CPU recipe and the --quick one.

Every pretraining arm gets the same budget (steps × batch × seq), every fine-tuning cell the
same steps and seeds, so arms differ only in what the claim varies (init, sentence
objective, sharing).

Example:
    >>> quick = MiniatureSettings.quick()
    >>> quick.pretrain_steps < MiniatureSettings().pretrain_steps
    True
"""
import dataclasses
from typing import Tuple


@dataclasses.dataclass(frozen=True)
class MiniatureSettings:
  """Defaults: the CPU recipe (recipe_search r2) cut to 800 steps per arm so the whole
  matrix runs in about 2 hours on the 2-core CPU; `quick()`: minutes, for tests/CI."""
  # Corpus: shipped files (albert_tf/assets); every `heldout_every`-th document is held out.
  corpora: Tuple[str, ...] = ("books.txt.gz", "wiki.txt.gz", "news.txt.gz")
  heldout_every: int = 25
  max_documents: int = 0             # 0: all documents of each corpus
  max_seq_length: int = 64
  max_predictions_per_seq: int = 10
  dupe_factor: int = 5
  # Model (share_parameters=all for the recipe; E < H as ALBERT). The recipe so far
  # (experiments/results/recipe_search, r2): 174.5 sequences/s at T=64 on the 2-core CPU, so
  # 2,000 steps × 128 is the 25-minute budget; the matrix gives each of its six pretraining
  # arms 800 steps (≈ 10 minutes) so the whole matrix fits one ~2-hour sitting.
  embedding_size: int = 64
  hidden_size: int = 128
  num_hidden_layers: int = 4
  num_attention_heads: int = 2
  intermediate_size: int = 512
  # Pretraining (LAMB, warmup then linear decay).
  pretrain_steps: int = 800
  pretrain_batch_size: int = 128
  learning_rate: float = 1e-2
  warmup_steps: int = 100
  eval_every_steps: int = 200
  max_eval_steps: int = 9   # 9 × 128 = the 1,152 held-out pairs
  eval_batch_size: int = 128
  # Fine-tuning (GLUE, from ../shared/data/glue copied into the repo's testdata or given).
  tasks: Tuple[str, ...] = ("SST-2", "STS-B", "CoLA")
  seeds: int = 5
  # 150 steps × 32 (≈ 25 s per seed on the 2-core CPU). Measured on SST-2 from the r2
  # encoder (one seed): lr 1e-4 → 0.666, 5e-4 → 0.679, 1e-3 → 0.509 (collapsed to majority).
  finetune_steps: int = 150
  finetune_batch_size: int = 32
  finetune_learning_rate: float = 1e-4
  finetune_warmup_steps: int = 30
  finetune_seq_length: int = 64
  max_train_examples: int = 4000
  # Linear probe of the sentence-pair objectives on frozen pooled outputs.
  probe_examples: int = 2000

  @classmethod
  def quick(cls):
    """Tiny everything: the whole matrix in a few minutes (what CI runs)."""
    return cls(corpora=("news.txt.gz",), heldout_every=5, max_documents=60, max_seq_length=32,
               max_predictions_per_seq=5, dupe_factor=1, embedding_size=16, hidden_size=32,
               num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
               pretrain_steps=20, pretrain_batch_size=8, warmup_steps=2, eval_every_steps=10,
               max_eval_steps=2, eval_batch_size=8, tasks=("SST-2",), seeds=2,
               finetune_steps=6, finetune_batch_size=8, finetune_warmup_steps=0,
               finetune_seq_length=32, max_train_examples=64, probe_examples=64)

  def model_config(self, share_parameters="all"):
    """albert_config.json values for one pretraining arm (dropout 0, the ALBERT v2 setting)."""
    return {"vocab_size": 30000, "embedding_size": self.embedding_size,
            "hidden_size": self.hidden_size, "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "intermediate_size": self.intermediate_size,
            "max_position_embeddings": max(self.max_seq_length, self.finetune_seq_length),
            "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0,
            "share_parameters": share_parameters}
