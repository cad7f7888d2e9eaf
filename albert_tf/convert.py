r"""Converts ALBERT checkpoints between TF1 (Google release), tf-models, HF and ours.

COMMAND (seconds for albert_base on 2 CPU cores):
  python -m albert_tf.convert --from=tf1 --to=hf \
      --input=albert_base/model.ckpt-best --output=albert_base_hf
  python -m albert_tf.convert --from=hf --to=ours --input=albert_base_hf --output=ours_dir
  python -m albert_tf.convert --from=ours --to=tf_models --input=ours_dir --output=tfm_dir
  python -m albert_tf.convert --from=auto --to=tf1 --input=albert_base_hf --output=tf1_dir

Formats: tf1 | ours | tf_models | hf (see albert_tf/checkpoints/converter.py); --from=auto
tells the input's format from its variables (albert_tf/checkpoints/load.py). The config is
--albert_config_file (official, HF or ours JSON) or --preset, else the config file found
beside --input. Every load is strict: a checkpoint whose names or shapes do not match is
reported with its missing / unexpected / mis-shaped variables.

No lost data: an existing --output (a non-empty directory, or a prefix whose .index /
.data-* files exist) is never replaced without --overwrite. The checkpoint is written into
a temporary sibling directory (`.tmp-convert-...`, albert_tf/cli_io.py) and moved into place
only when complete: a directory by rename (the old one is renamed away first and removed
after), a prefix file by file (os.replace each; the .index last, so the prefix is never
half new). A failed or killed conversion leaves the old output as it was; the next one
removes the killed one's temporary. Expected failures are one line, exit code 1
(albert_tf/errors.py).
"""
import os

from absl import flags

from albert_tf import runtime  # first: its call must run before TensorFlow is imported
runtime.quiet_cuda_probe()  # no cuInit ERROR line on machines without an NVIDIA driver
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position

from albert_tf import cli_io
from albert_tf import errors
from albert_tf.checkpoints import converter
from albert_tf.checkpoints import load as ckpt_load

FORMATS = ckpt_load.FORMATS
flags.DEFINE_enum("from", None, FORMATS + ("auto",), "Format of --input (auto: detected).")
flags.DEFINE_enum("to", None, FORMATS, "Format to write to --output.")
flags.DEFINE_string("input", None, "Checkpoint to read: a directory, or a prefix "
                    "(tf1/tf_models/ours, path without .index), or an HF weights file.")
flags.DEFINE_string("output", None, "Where to write: a directory (created), or for "
                    "tf1/tf_models/ours a prefix whose last part contains 'ckpt' "
                    "(e.g. out/model.ckpt-best).")
flags.DEFINE_string("albert_config_file", None, "Model config JSON (official "
                    "albert_config.json, HF config.json or ours). Default: beside --input.")
flags.DEFINE_string("preset", None, "Model preset name instead of --albert_config_file "
                    "(albert_base, albert_large, ..., albert_tiny).")
flags.DEFINE_bool("allow_missing_sop", False, "With --from=tf_models: keep the SOP head "
                  "freshly initialised (tf-models-official has no SOP head).")
flags.DEFINE_bool("overwrite", False, "Replace an existing --output (written to a temporary "
                  "first, then moved into place). Without it an existing output is an error.")
flags.DEFINE_enum("hf_weights_format", "safetensors", ["safetensors", "bin"],
                  "With --to=hf: model.safetensors or pytorch_model.bin (needs torch).")
for _name in ("from", "to", "input", "output"):
  flags.mark_flag_as_required(_name)
FLAGS = flags.FLAGS


# Files beside a prefix that every conversion rewrites: the state file points at the newest
# prefix, as tf.train.Checkpoint does. Config files are compared instead (see _Target).
_STATE_FILE = "checkpoint"


class _Target:
  """Where --output goes: a directory, or a prefix (paths.output_prefix's rule)."""

  def __init__(self, output, to_format):
    self.output = os.fspath(output)
    self.is_prefix = (to_format != "hf" and "ckpt" in os.path.basename(self.output)
                      and not self.output.endswith(("/", os.sep))
                      and not tf.io.gfile.isdir(self.output))
    self.final = self.output.rstrip("/" + os.sep) or self.output
    self.directory = os.path.dirname(self.final) if self.is_prefix else self.final
    self.parent = os.path.dirname(self.final) or "."

  def existing(self):
    """What of the output exists already (paths); a file in the way is a UserError."""
    where = self.directory or "."
    if tf.io.gfile.exists(where) and not tf.io.gfile.isdir(where):
      raise errors.UserError(f"--output={self.output}: {where} is a file, not a directory: "
                             "give a directory or a prefix in one")
    if not self.is_prefix:
      return [self.final] if tf.io.gfile.exists(self.final) and tf.io.gfile.listdir(
          self.final) else []
    return tf.io.gfile.glob(self.final + ".index") + tf.io.gfile.glob(self.final + ".data-*")

  def refuse_existing(self, overwrite):
    found = self.existing()
    if found and not overwrite:
      raise errors.UserError(f"--output={self.output} exists ({', '.join(sorted(found))}): "
                             "pass --overwrite to replace it, or choose another --output")

  def temp_output(self, tmp_dir):
    """The path to give the writer inside the temporary directory."""
    return os.path.join(tmp_dir, os.path.basename(self.final)) if self.is_prefix else tmp_dir

  def install(self, tmp_dir, overwrite):
    """Moves the finished checkpoint from tmp_dir into place."""
    if not self.is_prefix:
      old = None
      if tf.io.gfile.exists(self.final):
        old = os.path.join(self.parent, cli_io.temp_name("old"))
        tf.io.gfile.rename(self.final, old)  # a directory: renamed away whole, removed below
      tf.io.gfile.rename(tmp_dir, self.final, overwrite=False)
      if old is not None:
        tf.io.gfile.rmtree(old)
      return
    tf.io.gfile.makedirs(self.directory)
    names = [n.rstrip("/") for n in tf.io.gfile.listdir(tmp_dir)]
    base = os.path.basename(self.final)
    own = [n for n in names if n.startswith(base + ".")]
    beside = [n for n in names if n not in own]
    if not overwrite:  # configs shared with other checkpoints of the directory must agree
      for name in beside:
        dest = os.path.join(self.directory, name)
        if name != _STATE_FILE and tf.io.gfile.exists(dest) and _read(dest) != _read(
            os.path.join(tmp_dir, name)):
          raise errors.UserError(
              f"--output={self.output}: {dest} exists and describes another model: pass "
              "--overwrite to replace it, or write the checkpoint to another directory")
    stale = set(tf.io.gfile.glob(self.final + ".data-*"))
    # Data shards first, the .index last: the prefix is readable as the old or the new one.
    for name in sorted(own, key=lambda n: n.endswith(".index")) + beside:
      dest = os.path.join(self.directory, name)
      tf.io.gfile.rename(os.path.join(tmp_dir, name), dest, overwrite=True)
      stale.discard(dest)
    for path in stale:  # shards of an old checkpoint that had more of them
      tf.io.gfile.remove(path)
    tf.io.gfile.rmtree(tmp_dir)

  def final_path(self, written, tmp_dir):
    """`written` (inside tmp_dir) as it reads after install."""
    rel = os.path.relpath(os.fspath(written), tmp_dir)
    base = self.directory if self.is_prefix else self.final
    return base if rel == "." else os.path.join(base, rel)


def _read(path):
  with tf.io.gfile.GFile(path, "rb") as f:
    return f.read()


def convert(from_format, to_format, input_path, output, config=None, overwrite=False,
            **kwargs):
  """convert_checkpoint, written safely to `output` (see the module doc); returns the path."""
  target = _Target(output, to_format)
  target.refuse_existing(overwrite)  # before the slow part
  with cli_io.writing_output("--output", output):
    tf.io.gfile.makedirs(target.parent)
    cli_io.remove_stale_temps(target.parent)
    tmp_dir = os.path.join(target.parent, cli_io.temp_name("convert"))
    tf.io.gfile.makedirs(tmp_dir)
    try:
      with cli_io.reading_checkpoint("--input", input_path):
        written = converter.convert_checkpoint(
            from_format, to_format, input_path, target.temp_output(tmp_dir), config=config,
            **kwargs)
      target.refuse_existing(overwrite)  # nobody wrote there meanwhile
      target.install(tmp_dir, overwrite)
    except BaseException:
      cli_io._remove_quietly(tmp_dir)  # pylint: disable=protected-access
      raise
  return target.final_path(written, tmp_dir)


def main(argv):
  del argv
  with cli_io.reading_checkpoint("--input", FLAGS.input):
    config = ckpt_load.resolve_config(FLAGS.albert_config_file, FLAGS.preset,
                                      checkpoint=FLAGS.input)
  written = convert(FLAGS["from"].value, FLAGS.to, FLAGS.input, FLAGS.output, config=config,
                    overwrite=FLAGS.overwrite, allow_missing_sop=FLAGS.allow_missing_sop,
                    hf_weights_format=FLAGS.hf_weights_format)
  print(f"wrote {FLAGS.to} checkpoint: {written}")
  return 0


def cli_main():
  """Console-script entry point (pyproject.toml); same as `python -m`."""
  errors.run_cli(main, "albert_tf.convert")


if __name__ == "__main__":
  cli_main()
