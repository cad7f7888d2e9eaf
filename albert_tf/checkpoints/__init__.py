"""Checkpoint interchange: our model ↔ TF1 (Google release), tf-models-official, HF, ours.

One module per format; every load is strict (a `CheckpointMismatchError` lists the
missing, unexpected and mis-shaped variables; nothing is ever partially loaded).
Importing this package imports neither TensorFlow nor torch; import the submodules:

  load          the front door: detect_format, find_config, resolve_config, strict load,
                load_encoder / load_pretrainer, write_config (every reader comes through it)
  config_files  the config file beside a checkpoint: search order, reader, writer
  tf1_names     official TF1 names (`bert/...`, `cls/...`), name-keyed V2 checkpoints
  tf_models     tf-models-official `AlbertEncoder` + `BertPretrainerV2` MaskedLM head
  hf            HF transformers `AlbertModel` / `AlbertForPreTraining` state dicts
  ours          `tf.train.Checkpoint(model=AlbertPretrainer)` + albert_config.json
  converter     `convert_checkpoint(...)`, the library side of `python -m albert_tf.convert`
"""
