"""Fine-tuning and evaluation: GLUE classifiers, SQuAD v1.1/v2.0, RACE (albert_spec.md §9).

Library modules (no flags, nothing runs on import):
  glue           task registry, GLUE TSV readers (header-detected column layouts), per-task
                 hyperparameters of the paper
  metrics        accuracy, F1, Matthews correlation, Pearson/Spearman (NumPy only)
  squad_metrics  the official SQuAD v1.1 / v2.0 evaluation (EM/F1, no-answer threshold search)
  squad_data     SQuAD JSON → examples → doc-stride features (piece ↔ character mapping)
  squad_decode   n-best span decoding for the v1.1 and v2.0 heads
  race_data      RACE JSON → 4-choice features
  heads          classifier / SQuAD v1 / SQuAD v2 / multiple-choice heads on the encoder
  encoders       builds the encoder: config + checkpoint (ours or TF1), TF Hub, or random init
  training       the shared fine-tuning loop (AdamW, eval every N steps, best checkpoint, seeds)

Entry points: `python -m albert_tf.finetune.run_classifier`, `...run_squad`, `...run_race`.
"""
