"""Fine-tuning and evaluation: GLUE classifiers, SQuAD v1.1/v2.0, RACE.

Paper hyperparameters: docs/albert_reference.md §9.

Library modules (no flags, nothing runs on import):
  tasks/         the Task interface (base.py) and one file per task type (glue_task,
                 squad_task, race_task), registered in tasks/__init__.py:TASK_TYPES
  runner         run(config): the seed loop, best checkpoints, results.json, for every task
  finetuning_loop  one model, one seed: AdamW, eval every N steps, best/last checkpoints
  hparams        the paper's hyperparameters of every task, one table (PAPER)
  glue           GLUE task table (labels, layouts, metrics), TSV readers (header-detected
                 column layouts)
  metrics        accuracy, F1, Matthews correlation, Pearson/Spearman (NumPy only)
  squad_metrics  the official SQuAD v1.1 / v2.0 evaluation (EM/F1, no-answer threshold search)
  squad_data     SQuAD JSON → examples → doc-stride features (piece ↔ character mapping)
  squad_decode   n-best span decoding for the v1.1 and v2.0 heads
  race_data      RACE JSON → 4-choice features
  classifier_data  GLUE examples → fixed-length features
  heads          classifier / SQuAD v1 / SQuAD v2 / multiple-choice heads and their losses
  encoders       builds the encoder: config + checkpoint (through albert_tf.checkpoints.load),
                 TF Hub, or random init; the tokenizer

Entry points (flags → config → runner.run): `python -m albert_tf.finetune.run_classifier`,
`...run_squad`, `...run_race`.

A new GLUE-format task: an entry in glue.TASKS and a row in hparams.PAPER. A new task type:
tasks/<type>_task.py (a RunConfig subclass + a Task subclass), one line in TASK_TYPES, a test.
"""
