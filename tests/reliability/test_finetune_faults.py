"""Issue 13: every expected fine-tuning failure ends with one line on stderr and exit code 1.

The fine-tuning CLIs run as a user runs them (`python -m ...`, a subprocess) on broken
inputs: each must exit 1 with `PROG: error: ...` naming the file and line / item / flag, print
no traceback, and leave no results.json or best checkpoint behind. Cases that need no CLI
(a NaN loss in the loop, a full disk, a read-only output folder) are tested in process.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.reliability import faults

from albert_tf import errors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--preset=albert_tiny", "--max_seq_length=16", "--batch_size=4", "--train_steps=2",
        "--warmup_steps=0", "--learning_rate=1e-3"]
STSB_HEADER = ("index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\t"
               "sentence2\tscore")


def _cli(module, *args):
  env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3",
             PYTHONPATH=ROOT)
  return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=600)




def _assert_no_results(output_dir):
  """Nothing that looks like a finished run: no results.json, no best/last checkpoint."""
  for root, _, files in os.walk(output_dir):
    assert "results.json" not in files, root
    assert not any(f.endswith(".index") for f in files), root


def _sst2(folder, train_rows=None, dev_rows=None):
  rows = [f"great fun {i}\t1" if i % 2 else f"awful bore {i}\t0" for i in range(8)]
  folder.mkdir(parents=True, exist_ok=True)
  for name, body in (("train.tsv", train_rows), ("dev.tsv", dev_rows)):
    lines = ["sentence\tlabel"] + (rows if body is None else body)
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
  return folder


def _run_classifier(data_dir, output_dir, *extra, task="SST-2"):
  return _cli("albert_tf.finetune.run_classifier", f"--task={task}", f"--data_dir={data_dir}",
              f"--output_dir={output_dir}", *TINY, *extra)


# ----- run_classifier (subprocess) -------------------------------------------------------------

def test_run_classifier_non_utf8_tsv_names_file_and_line(tmp_path):
  data = _sst2(tmp_path / "data")
  with open(data / "train.tsv", "ab") as f:
    f.write("caf\u00e9 cr\u00e8me\t1\n".encode("latin-1"))    # line 10, in Latin-1
  out = tmp_path / "out"
  proc = _run_classifier(data, out)
  faults.assert_one_line_error(proc, "run_classifier", "train.tsv:10:", "not UTF-8", "iconv")
  _assert_no_results(out)


def test_run_classifier_empty_dev_file_reports_no_metric(tmp_path):
  data = _sst2(tmp_path / "data", dev_rows=[])                # a header and nothing else
  out = tmp_path / "out"
  proc = _run_classifier(data, out)
  faults.assert_one_line_error(proc, "run_classifier", "dev.tsv", "no data rows")
  assert '"accuracy"' not in proc.stdout
  _assert_no_results(out)


def test_run_classifier_nan_label_names_file_and_line(tmp_path):
  data = tmp_path / "data"
  data.mkdir()
  rows = [STSB_HEADER] + [f"{i}\tg\tf\t2012\t{i}\ts\ts\tA man {i}.\tA man {i}.\t{i % 5}.0"
                          for i in range(6)]
  (data / "dev.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
  rows[3] = rows[3].rsplit("\t", 1)[0] + "\tnan"                # line 4 of train.tsv
  (data / "train.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
  out = tmp_path / "out"
  proc = _run_classifier(data, out, task="STS-B")
  faults.assert_one_line_error(proc, "run_classifier", "train.tsv:4:", "'nan'",
                               "not a finite number")
  _assert_no_results(out)


def test_run_classifier_missing_init_checkpoint_names_the_flag(tmp_path):
  data = _sst2(tmp_path / "data")
  out = tmp_path / "out"
  missing = tmp_path / "albert_base" / "model.ckpt-best"
  proc = _run_classifier(data, out, f"--init_checkpoint={missing}")
  faults.assert_one_line_error(proc, "run_classifier", f"--init_checkpoint={missing}", "no such")
  _assert_no_results(tmp_path)


def test_run_classifier_output_dir_that_is_a_file(tmp_path):
  data = _sst2(tmp_path / "data")
  out = tmp_path / "out"
  out.write_text("not a folder\n")
  proc = _run_classifier(data, out)
  faults.assert_one_line_error(proc, "run_classifier", f"--output_dir={out}", "is a file")
  assert out.read_text() == "not a folder\n"
  _assert_no_results(tmp_path)


# ----- run_squad / squad_split (subprocess) ----------------------------------------------------

def _squad(answers):
  return {"version": "1.1", "data": [{"title": "t", "paragraphs": [{
      "context": "The cat sat on the mat.",
      "qas": [{"id": "q-ok", "question": "Who sat?",
               "answers": [{"text": "cat", "answer_start": 4}]},
              {"id": "q-bad", "question": "Where?", "answers": answers}]}]}]}


def test_run_squad_wrong_json_types_name_file_and_question(tmp_path):
  # (More wrong types, in process: tests/albert_tf/finetune/test_squad_data.py.)
  path = tmp_path / "train.json"
  answers = [{"text": "the mat", "answer_start": "15"}]
  expected = '"answer_start" must be an integer, got str'
  path.write_text(json.dumps(_squad(answers)), encoding="utf-8")
  out = tmp_path / "out"
  proc = _cli("albert_tf.finetune.run_squad", "--version=1.1", f"--train_file={path}",
              f"--predict_file={path}", f"--output_dir={out}", *TINY)
  faults.assert_one_line_error(proc, "run_squad", str(path), "qas[1] (id 'q-bad')", expected)
  _assert_no_results(out)


def test_squad_split_not_json_names_file_and_position(tmp_path):
  path = tmp_path / "dev.json"
  path.write_text('{"data": [\n  {"paragraphs": [}\n]}', encoding="utf-8")
  train, predict = tmp_path / "train.json", tmp_path / "predict.json"
  proc = _cli("albert_tf.finetune.squad_split", f"--input={path}", f"--train_output={train}",
              f"--predict_output={predict}")
  faults.assert_one_line_error(proc, "squad_split", f"{path}:2:", "not JSON")
  assert not train.exists() and not predict.exists()


# ----- in process: the loop's NaN loss, a full disk, a read-only output folder -----------------

def _tiny_model():
  import tf_keras  # pylint: disable=import-outside-toplevel

  class Tiny(tf_keras.Model):
    def __init__(self):
      super().__init__()
      self.dense = tf_keras.layers.Dense(2)

    def call(self, inputs, training=None):
      return self.dense(inputs["x"])

  return Tiny()


def test_diverging_loss_stops_training_at_its_step(tmp_path):
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from albert_tf.finetune import finetuning_loop  # pylint: disable=import-outside-toplevel

  def loss_fn(outputs, batch):
    del batch
    return tf.reduce_sum(tf.square(outputs), axis=-1)

  # Step 1's loss is finite; its update at a learning rate of 1e30 makes the weights ~1e30,
  # so step 2's squared outputs overflow float32: the loss is inf.
  features = {"x": np.ones([8, 4], np.float32), "label": np.zeros([8], np.int32)}
  evaluated = []
  config = finetuning_loop.TrainConfig(learning_rate=1e30, batch_size=4, train_steps=6,
                                       eval_every=1, log_every=0)
  with pytest.raises(finetuning_loop.TrainingDivergedError,
                     match=r"loss is (inf|nan) at step 2 of 6 \(seed 0, learning rate 1e\+30\): "
                     r"lower --learning_rate"):
    finetuning_loop.train_and_evaluate(_tiny_model, loss_fn, features,
                                       lambda m: evaluated.append(1) or {"accuracy": 1.0},
                                       "accuracy", config, str(tmp_path))
  assert len(evaluated) == 1                     # step 1 only: no metric of a diverged model
  assert not os.path.exists(tmp_path / "last")   # the run did not end as if complete


def test_full_disk_checkpoint_and_results_write_fail_in_one_line(tmp_path):
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from albert_tf.finetune import finetuning_loop, runner  # pylint: disable=import-outside-toplevel
  checkpoint = tf.train.Checkpoint(v=tf.Variable(tf.zeros([64, 1024])))   # 256 KiB
  prefix = str(tmp_path / "best" / "ckpt")
  results = tmp_path / "results.json"
  with faults.in_process_file_size_limit(16 * 1024):
    with pytest.raises(errors.UserError, match=r"best/ckpt: cannot write the checkpoint "
                       r"\(File too large\): the file size limit"):
      finetuning_loop.write_checkpoint(checkpoint, prefix)
    with pytest.raises(OSError) as e:
      runner.write_json_atomically(str(results), {"x": "y" * 100_000})
  assert "File too large" in errors.describe(e.value)
  assert not results.exists() and not os.path.exists(f"{results}.tmp")
  assert not os.path.exists(prefix + ".index") and not os.path.exists(prefix + "_temp")


def test_read_only_output_dir_fails_before_training(tmp_path):
  from albert_tf.finetune import runner  # pylint: disable=import-outside-toplevel
  with faults.read_only_folder(tmp_path / "ro") as folder:
    output_dir = os.path.join(folder, "run")
    with pytest.raises(OSError) as e:
      runner.check_output_dir(output_dir)
    message = errors.describe(e.value)
    assert message and str(folder) in message
    assert "read-only" in message or "permission" in message
