"""Exports of a fine-tuned checkpoint: a TF Serving version directory, or a TF Hub SavedModel.

  export_finetuned_serving(model_base_path, finetuned_checkpoint)  → model_base_path/<version>/
      classifier: export/finetuned_signatures.py CLASSIFIER (predict + classify), regressor:
      REGRESSOR (predict + regress), SQuAD 1.1: SQUAD. Written like export.servable: into a
      temporary sibling (export.versioning), with warm-up requests for every signature,
      assets.extra/{albert_config.json, task.json} and the ops check, then renamed.
  export_finetuned_hub(export_dir, finetuned_checkpoint)  (classifier/regressor only)
      a reusable SavedModel (export.finetuned_module.ClassifierModule.make_reusable) with the
      serving_default and text_pair signatures; ops-checked.

tf.saved_model.save writes every signature as predict; the classify/regress entries get their
SignatureDef.method_name (signatures.METHOD_NAMES) by rewriting saved_model.pb afterwards, which
is what TF Serving's Classify/Regress APIs check.
"""
import os

import tensorflow as tf

from albert_tf import cli_io
from albert_tf import errors
from albert_tf import resources
from albert_tf.checkpoints import load as ckpt_load
from albert_tf.finetune import glue
from export import finetuned as finetuned_lib
from export import finetuned_module
from export import finetuned_signatures
from export import ops_check
from export import preprocessor as preprocessor_lib
from export import signatures
from export import versioning
from export import warmup


def _is_pair_task(task):
  return any(layout.text_b is not None for layout in glue.get_task(task).layouts)


def make_module(finetuned, spm_model_file=resources.DEFAULT_SPM_MODEL, lower_case=True,
                seq_length=None, max_query_length=64, max_answer_length=30):
  """(serving module, its signature table) for a finetuned_lib.Finetuned."""
  preprocessor = preprocessor_lib.AlbertPreprocessor(spm_model_file, lower_case)
  seq_length = seq_length or finetuned.max_seq_length
  if finetuned.task_type == "squad":
    module = finetuned_module.SquadModule(finetuned.model, preprocessor, seq_length,
                                          max_query_length, max_answer_length)
    return module, finetuned_signatures.SQUAD
  module = finetuned_module.ClassifierModule(finetuned.model, preprocessor, finetuned.labels,
                                             seq_length, pair=_is_pair_task(finetuned.task))
  table = finetuned_signatures.REGRESSOR if finetuned.is_regression else (
      finetuned_signatures.CLASSIFIER)
  return module, table


def set_method_names(export_dir, table):
  """Rewrites saved_model.pb so each table entry's SignatureDef has its API's method_name."""
  proto = ops_check.read_saved_model(export_dir)
  for meta_graph in proto.meta_graphs:
    for name, entry in table.items():
      meta_graph.signature_def[name].method_name = signatures.METHOD_NAMES[entry.api]
  with tf.io.gfile.GFile(os.path.join(export_dir, "saved_model.pb"), "wb") as f:
    f.write(proto.SerializeToString())


def _write_assets(export_dir, finetuned):
  extra = os.path.join(export_dir, "assets.extra")
  ckpt_load.write_config(extra, finetuned.config)
  tf.io.gfile.copy(os.path.join(os.path.dirname(finetuned.prefix), finetuned_lib.TASK_FILE),
                   os.path.join(extra, finetuned_lib.TASK_FILE))


def export_finetuned_serving(model_base_path, finetuned_checkpoint=None, finetuned=None,
                             version=None, model_name="albert", **module_kwargs):
  """Writes model_base_path/<version>/ and returns it.

  Args:
    finetuned_checkpoint: a fine-tuned checkpoint dir/prefix (task.json and albert_config.json
      beside it), or finetuned: an export.finetuned.Finetuned already loaded.
    version, model_name: as export.servable.export_serving.
    module_kwargs: make_module's spm_model_file, lower_case, seq_length (default: task.json's
      max_seq_length), max_query_length, max_answer_length (SQuAD).
  """
  versioning.check_base_path(model_base_path)  # fail before the slow part
  if version is not None:
    versioning.check_free(model_base_path, version)
  finetuned = finetuned or finetuned_lib.load(finetuned_checkpoint)
  module, table = make_module(finetuned, **module_kwargs)

  def write(export_dir):
    tf.saved_model.save(module, export_dir,
                        signatures=signatures.concrete_functions(module, table))
    set_method_names(export_dir, table)
    warmup.write_warmup_requests(export_dir, {n: dict(e.warmup) for n, e in table.items()},
                                 model_name, apis={n: e.api for n, e in table.items()})
    _write_assets(export_dir, finetuned)
    ops_check.check_ops(export_dir)

  return versioning.write_version(model_base_path, write, version)


def export_finetuned_hub(export_dir, finetuned_checkpoint=None, finetuned=None, **module_kwargs):
  """Writes the TF Hub SavedModel of a classifier/regressor to export_dir; returns ops used.

  Written atomically like export.hub_models (a temporary sibling renamed when complete);
  an existing non-empty export_dir is an error.
  """
  cli_io.check_output_dir(export_dir, "--export_dir")  # fail before the slow part
  finetuned = finetuned or finetuned_lib.load(finetuned_checkpoint)
  if finetuned.task_type != "glue":
    raise errors.UserError(f"the TF Hub export is for classifiers/regressors, not "
                           f"{finetuned.task}: export it for serving instead")
  module, table = make_module(finetuned, **module_kwargs)
  module.make_reusable()
  predict = {n: e for n, e in table.items() if e.api == "predict"}

  def write(directory):
    tf.saved_model.save(module, directory,
                        signatures=signatures.concrete_functions(module, predict))
    _write_assets(directory, finetuned)
    return ops_check.check_ops(directory)

  return cli_io.write_dir_atomically(export_dir, write, tag="hub", flag="--export_dir")
