"""A servable: one version directory of a TF Serving model (library of `export.export_serving`).

`export_serving(model_base_path, ...)` restores the model (or takes one in memory),
builds export.serving_module.ServingModule, and inside a temporary sibling directory
(export.versioning) saves the SavedModel, writes the warm-up requests
(export.warmup) and `assets.extra/albert_config.json`, and runs the ops check; only
then is the directory renamed to `model_base_path/<version>`.
"""
import os

import tensorflow as tf

from albert_tf import cli_io
from albert_tf import errors
from albert_tf import resources
from albert_tf.checkpoints import load as ckpt_load
from export import ops_check
from export import preprocessor as preprocessor_lib
from export import serving_module
from export import versioning
from export import warmup

CONFIG_FILE = os.path.join("assets.extra", "albert_config.json")


def export_serving(model_base_path, config=None, init_checkpoint=None, pretrainer=None,
                   spm_model_file=resources.DEFAULT_SPM_MODEL, version=None, seq_length=128,
                   extra_head=None, model_name="albert", lower_case=True):
  """Writes model_base_path/<version>/ and returns that directory.

  Args:
    model_base_path: the server's --model_base_path (created if absent).
    config, init_checkpoint: restore from a checkpoint (strict; any format that
      albert_tf.checkpoints.load reads), or
    pretrainer: an in-memory, restored AlbertPretrainer.
    spm_model_file: the model's SentencePiece vocabulary (bundled as an asset).
    version: integer version; default max(existing) + 1. Existing ones are never replaced.
    seq_length: T of the text signatures (longer texts are truncated).
    extra_head: optional fine-tuned head, see export.serving_module.
    model_name: model_spec.name in the warm-up requests.
  """
  versioning.check_base_path(model_base_path)  # fail before the slow part
  if version is not None:
    versioning.check_free(model_base_path, version)
  if pretrainer is None:
    if init_checkpoint is None:
      raise errors.UserError("export_serving needs --init_checkpoint (or an in-memory "
                             "pretrainer)")
    with cli_io.reading_checkpoint("--init_checkpoint", init_checkpoint):
      pretrainer, _ = ckpt_load.load_pretrainer(config, init_checkpoint)
  preprocessor = preprocessor_lib.AlbertPreprocessor(spm_model_file, lower_case)
  module = serving_module.ServingModule(pretrainer, preprocessor, seq_length, extra_head)

  def write(export_dir):
    tf.saved_model.save(module, export_dir, signatures=module.signatures())
    warmup.write_warmup_requests(export_dir, warmup.default_requests(), model_name)
    ckpt_load.write_config(os.path.join(export_dir, "assets.extra"), pretrainer.config)
    ops_check.check_ops(export_dir)

  return versioning.write_version(model_base_path, write, version)
