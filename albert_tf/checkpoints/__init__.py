"""Checkpoint interchange: our model ↔ TF1 (Google release), tf-models-official, HF, ours.

One module per format; every load is strict (a `CheckpointMismatchError` lists the
missing, unexpected and mis-shaped variables; nothing is ever partially loaded).
Importing this package imports neither TensorFlow nor torch; import the submodules:

  tf1_names    official TF1 names (`bert/...`, `cls/...`), name-keyed V2 checkpoints
  tf_models    tf-models-official `AlbertEncoder` + `BertPretrainerV2` MaskedLM head
  hf           HF transformers `AlbertModel` / `AlbertForPreTraining` state dicts
  ours         `tf.train.Checkpoint(model=AlbertPretrainer)` + config.json
  converter    `convert_checkpoint(...)`, the library side of `python -m albert_tf.convert`
"""
