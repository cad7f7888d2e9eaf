"""The TF Hub SavedModels (library side of `python -m export.export_tfhub`).

`export_hub(export_type, export_dir, ...)` writes one SavedModel:
  encoder           HubEncoder (export.hub_encoder) from a restored checkpoint
  encoder_with_mlm  the same plus the `.mlm` sub-object
  preprocessor      AlbertPreprocessor (export.preprocessor); needs no checkpoint
then runs the ops check (export.ops_check) and writes the model config to
`assets.extra/albert_config.json` for encoders. An existing non-empty export_dir (or a file
there) is an error: nothing is overwritten. The SavedModel is written atomically
(albert_tf/cli_io.py): into a temporary sibling `.tmp-hub-...`, renamed to export_dir when
complete, so a failed or killed export leaves no export_dir (and the next export removes
the killed one's temporary).
"""
import os

from albert_tf import cli_io
from albert_tf import errors
from albert_tf import resources
from albert_tf.checkpoints import load as ckpt_load
from export import hub_encoder
from export import ops_check
from export import preprocessor as preprocessor_lib

EXPORT_TYPES = ("encoder", "encoder_with_mlm", "preprocessor")
CONFIG_FILE = os.path.join("assets.extra", "albert_config.json")


FLAG = "--export_dir"


def export_hub(export_type, export_dir, config=None, init_checkpoint=None, pretrainer=None,
               spm_model_file=resources.DEFAULT_SPM_MODEL, lower_case=True,
               default_seq_length=preprocessor_lib.DEFAULT_SEQ_LENGTH):
  """Writes one TF Hub SavedModel; returns the sorted list of ops it uses.

  Encoders come from `pretrainer` (in memory, already restored) or from
  `config` + `init_checkpoint` (strict; any format that albert_tf.checkpoints.load reads).
  """
  if export_type not in EXPORT_TYPES:
    raise errors.UserError(f"--export_type={export_type}: choose one of "
                           f"{', '.join(EXPORT_TYPES)}")
  cli_io.check_output_dir(export_dir, FLAG)  # fail before the slow part
  if export_type == "preprocessor":
    obj = preprocessor_lib.AlbertPreprocessor(spm_model_file, lower_case, default_seq_length)

    def write(directory):
      preprocessor_lib.save_preprocessor(obj, directory)
      return ops_check.check_ops(directory)
  else:
    with_mlm = export_type == "encoder_with_mlm"
    if pretrainer is None:
      if init_checkpoint is None:
        raise errors.UserError(f"--export_type={export_type} needs --init_checkpoint")
      with cli_io.reading_checkpoint("--init_checkpoint", init_checkpoint):
        pretrainer, _ = ckpt_load.load_pretrainer(config, init_checkpoint,
                                                  heads_required=with_mlm)
    module = hub_encoder.HubEncoder(pretrainer, with_mlm=with_mlm)

    def write(directory):
      hub_encoder.save_encoder(module, directory)
      ckpt_load.write_config(os.path.join(directory, "assets.extra"), pretrainer.config)
      return ops_check.check_ops(directory)
  return cli_io.write_dir_atomically(export_dir, write, tag="hub", flag=FLAG)
