"""Fault injection for pretraining (issue 13): every expected failure ends cleanly.

Each fault ends in errors.UserError naming what is wrong and where (in process, fast), and
the CLI turns it into one line on stderr with exit code 1 and no traceback (subprocesses,
`test_cli_*`: input without records, which used to hang, hence the timeout; a bad flag; a
model config that is not JSON; a full disk during a checkpoint save). Nothing is left
looking complete when it is not: no config.json rewritten on a refused resume, the last
complete checkpoint still the one a rerun resumes from after a failed save.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.reliability import faults
import tensorflow as tf

from albert_tf import pretraining_loop
from albert_tf.configs import AlbertConfig, PretrainConfig
from albert_tf.errors import UserError
from tests.albert_tf.synthetic_records import make_example, write_records

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
T, P, V = 16, 4, 60
MODEL = AlbertConfig.from_preset("albert_tiny").replace(vocab_size=V)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
  return write_records(str(tmp_path_factory.mktemp("rec")), num_files=2, per_file=24,
                       seq_len=T, num_preds=P, vocab_size=V)


def _config(records, out, **overrides):
  values = dict(model=MODEL, input_file=records, output_dir=str(out), max_seq_length=T,
                max_predictions_per_seq=P, train_batch_size=8, eval_batch_size=8,
                learning_rate=1e-3, num_train_steps=3, num_warmup_steps=1,
                save_checkpoints_steps=3, iterations_per_loop=3, max_eval_steps=2)
  values.update(overrides)
  return PretrainConfig(**values)


def _cli_args(records, out, model_file, *extra):
  return [f"--albert_config_file={model_file}", f"--input_file={records}",
          f"--output_dir={out}", f"--max_seq_length={T}", f"--max_predictions_per_seq={P}",
          "--train_batch_size=8", "--learning_rate=1e-3", "--num_train_steps=6",
          "--num_warmup_steps=1", "--save_checkpoints_steps=3", "--iterations_per_loop=3",
          *extra]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
  path = tmp_path_factory.mktemp("model") / "albert_config.json"
  MODEL.to_json_file(str(path))
  return str(path)


def _run_cli(args, timeout=240, preexec_fn=None):
  """run_pretraining as a user runs it; returns the CompletedProcess (text)."""
  env = dict(os.environ, PYTHONPATH=REPO, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
  return subprocess.run([sys.executable, "-m", "run_pretraining", *args], cwd=REPO, env=env,
                        capture_output=True, text=True, timeout=timeout, preexec_fn=preexec_fn)




def _write_file(path, examples):
  with tf.io.TFRecordWriter(str(path)) as writer:
    for example in examples:
      writer.write(example if isinstance(example, bytes) else example.SerializeToString())
  return str(path)


def _examples(n, seed=0, vocab_size=V):
  rng = np.random.default_rng(seed)
  return [make_example(rng, T, P, vocab_size) for _ in range(n)]


# --- 1. input that yields no records: refused at start-up, never a hang -------------------------
def test_cli_input_of_empty_files_fails_at_start_up_naming_them(tmp_path, model_file):
  """Old code: the first record check passes an empty file and training waits forever for a
  batch (here: the subprocess timeout)."""
  for i in range(2):
    (tmp_path / f"empty-{i}.tfrecord").write_bytes(b"")
  pattern = str(tmp_path / "empty-*.tfrecord")
  result = _run_cli(_cli_args(pattern, tmp_path / "out", model_file), timeout=120)
  faults.assert_one_line_error(result, "run_pretraining", "--input_file=", "empty-*.tfrecord",
                               "no records", "empty-0.tfrecord")
  assert not tf.train.latest_checkpoint(str(tmp_path / "out"))
  assert not (tmp_path / "out" / "config.json").exists()


@pytest.mark.parametrize("case", ["no_match", "eval_no_match", "eval_empty", "eval_too_few"])
def test_input_without_records_is_refused_before_training(records, tmp_path, case):
  """(Empty training files: test_cli_input_of_empty_files_..., in a subprocess, since a
  regression would hang.)"""
  empty = _write_file(tmp_path / "empty.tfrecord", [])
  few = _write_file(tmp_path / "few.tfrecord", _examples(3))
  missing = str(tmp_path / "nothing-*.tfrecord")
  overrides, words = {
      "no_match": ({"input_file": missing}, ["--input_file", "nothing-*", "matched no files"]),
      "eval_no_match": ({"eval_input_file": missing, "do_eval": True},
                        ["--eval_input_file", "matched no files"]),
      "eval_empty": ({"eval_input_file": empty, "eval_every_steps": 3},
                     ["--eval_input_file=", "no records"]),
      "eval_too_few": ({"eval_input_file": few, "do_eval": True},
                       ["--eval_input_file=", "holds 3 record(s)", "--eval_batch_size=8"]),
  }[case]
  with pytest.raises(UserError) as e:
    pretraining_loop.run(_config(records, tmp_path / "out", **overrides))
  for word in words:
    assert word in str(e.value), (word, str(e.value))
  assert not (tmp_path / "out" / "config.json").exists()  # refused before training


# --- 2. impossible flag values: refused at start-up, naming the flag and value -----------------
BAD_FLAGS = [
    ({"learning_rate": -1e-3}, "--learning_rate=-0.001"),
    ({"learning_rate": 0.0}, "--learning_rate=0.0"),
    ({"learning_rate": float("nan")}, "--learning_rate=nan"),
    ({"learning_rate": float("inf")}, "--learning_rate=inf"),
    ({"num_warmup_steps": 10}, "--num_warmup_steps=10"),  # > num_train_steps=3
    ({"num_warmup_steps": -1}, "--num_warmup_steps=-1"),
    ({"train_batch_size": 0}, "--train_batch_size=0"),
    ({"eval_batch_size": -8}, "--eval_batch_size=-8"),
    ({"num_train_steps": 0}, "--num_train_steps=0"),
    ({"max_predictions_per_seq": T + 1}, f"--max_predictions_per_seq={T + 1}"),
    ({"max_seq_length": 256, "max_predictions_per_seq": 4}, "--max_seq_length=256"),
    ({"save_checkpoints_steps": 0}, "--save_checkpoints_steps=0"),
    ({"grad_accum_steps": 0}, "--grad_accum_steps=0"),
    ({"grad_accum_steps": 3}, "--train_batch_size=8"),  # 8 examples into 3 micro-batches
    ({"poly_power": 0.0}, "--poly_power=0.0"),
    ({"poly_power": float("nan")}, "--poly_power=nan"),
    ({"eval_every_steps": -1}, "--eval_every_steps=-1"),
    ({"keep_checkpoint_max": 0}, "--keep_checkpoint_max=0"),
    ({"iterations_per_loop": 0}, "--iterations_per_loop=0"),
    ({"max_eval_steps": 0}, "--max_eval_steps=0"),
    ({"optimizer": "sgd"}, "--optimizer='sgd'"),
    ({"do_train": False, "do_eval": False}, "--do_train=False"),
    ({"recompute_grad": True, "model": MODEL.replace(hidden_dropout_prob=0.1)},
     "hidden_dropout_prob=0.1"),
]


@pytest.mark.parametrize("overrides,named", BAD_FLAGS, ids=[n for _, n in BAD_FLAGS])
def test_impossible_flag_values_are_refused_naming_flag_and_value(records, tmp_path, overrides,
                                                                   named):
  with pytest.raises(UserError) as e:
    _config(records, tmp_path, **overrides).validate()
  assert named in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_cli_bad_flag_is_one_line(records, tmp_path, model_file):
  result = _run_cli(_cli_args(records, tmp_path / "out", model_file, "--learning_rate=nan"))
  faults.assert_one_line_error(result, "run_pretraining", "--learning_rate=nan", "finite")
  assert not (tmp_path / "out").exists()


# --- 2b. recompute with dropout: refused everywhere it can be asked for -----------------------
def test_recompute_with_dropout_is_refused_by_the_layers_and_the_trainer(records, tmp_path):
  """Old code accepted it and trained with wrong gradients (new dropout masks in the
  recomputed forward pass)."""
  from albert_tf.encoder import AlbertEncoder
  from albert_tf.layers.shared_encoder_stack import SharedEncoderStack
  from albert_tf.pretrainer import AlbertPretrainer
  dropout = MODEL.replace(attention_probs_dropout_prob=0.1)
  for build in (SharedEncoderStack, AlbertEncoder, AlbertPretrainer):
    with pytest.raises(UserError, match=r"recompute=True with dropout \(.*"
                                        r"attention_probs_dropout_prob=0.1\)"):
      build(dropout, recompute=True)
    build(dropout)  # without recompute: fine
  with pytest.raises(UserError, match="--recompute_grad with dropout"):
    pretraining_loop.run(_config(records, tmp_path, model=dropout, recompute_grad=True))
  SharedEncoderStack(MODEL, recompute=True)  # no dropout: exact, allowed


# --- 2c. resume with other settings: the difference shown, nothing overwritten ----------------
@pytest.fixture(scope="module")
def finished_run(records, tmp_path_factory):
  """A run of 3 steps with periodic eval: ckpt-3, config.json, metrics.jsonl, eval files."""
  out = tmp_path_factory.mktemp("done")
  pretraining_loop.run(_config(records, out, eval_every_steps=3, do_eval=True))
  return out


@pytest.mark.parametrize("changes,shown", [
    ({"model": MODEL.replace(hidden_act="relu")}, "albert_config.hidden_act: gelu → relu"),
    ({"model": MODEL.replace(num_hidden_layers=4, num_hidden_groups=2)},
     "albert_config.num_hidden_groups: 1 → 2; albert_config.num_hidden_layers: 2 → 4"),
    ({"sentence_objective": "none"}, "sentence_objective: sop → none"),
    ({"optimizer": "adamw"}, "optimizer: lamb → adamw"),
])
def test_resume_with_other_settings_shows_the_difference_and_writes_nothing(
    records, finished_run, changes, shown):
  """Old code: an activation, objective or optimizer change (same variable shapes) resumed
  silently and rewrote config.json."""
  before = {p.name: p.read_bytes() for p in finished_run.iterdir() if p.is_file()}
  events = sorted(str(p) for p in finished_run.rglob("events.*"))
  with pytest.raises(UserError) as e:
    pretraining_loop.run(_config(records, finished_run, num_train_steps=6, do_eval=True,
                                 **changes))
  message = str(e.value)
  assert shown in message and "ckpt-3" in message and "config.json" in message, message
  after = {p.name: p.read_bytes() for p in finished_run.iterdir() if p.is_file()}
  assert after == before  # config.json, metrics.jsonl, eval_results.txt, loss_curve.png, ckpt
  assert sorted(str(p) for p in finished_run.rglob("events.*")) == events


# --- 4. corrupt, truncated, wrong-schema and out-of-vocab records ------------------------------
def test_corrupt_record_mid_file_names_file_and_offset(tmp_path):
  """A record after the first is corrupt: TF's DataLossError (raised inside the compiled
  training loop) names no file; the trainer finds it. Old code: a DataLossError traceback."""
  path = _write_file(tmp_path / "train-000.tfrecord", _examples(24))
  data = bytearray(open(path, "rb").read())
  offset = len(data) // 2
  data[offset:offset + 8] = b"\xff" * 8  # inside a record's header or payload: bad CRC
  open(path, "wb").write(bytes(data))
  with pytest.raises(UserError, match=r"train-000.tfrecord: not a readable TFRecord file "
                                      r"\(corrupted record at byte offset \d+\): the file is "
                                      r"corrupt"):
    pretraining_loop.run(_config(path, tmp_path / "out", num_train_steps=2,
                                 iterations_per_loop=2))
  assert not tf.train.latest_checkpoint(str(tmp_path / "out"))


def test_truncated_file_is_named_at_start_up_when_its_first_record_is_cut(records, tmp_path):
  path = _write_file(tmp_path / "cut.tfrecord", _examples(1))
  data = open(path, "rb").read()
  open(path, "wb").write(data[:len(data) // 2])
  with pytest.raises(UserError, match=r"cut.tfrecord: not a readable TFRecord file \(truncated "
                                      r"record at byte offset 0\)"):
    pretraining_loop.run(_config(path, tmp_path / "out"))


def test_out_of_vocab_id_after_the_first_record_is_named_with_file_record_and_id(tmp_path):
  """Record 5 holds an id ≥ vocab_size, the first is fine (the start-up check passes): the
  range assertion of the input pipeline fails inside the compiled step and the error is traced
  to its record. Old code: an InvalidArgumentError traceback from the embedding gather on
  CPU, and on GPU no error at all (the gather returns zeros). Other bad records, at the
  pipeline level: tests/albert_tf/test_input_pipeline.py."""
  examples = _examples(16)
  examples[5].features.feature["input_ids"].int64_list.value[0] = V + 7
  path = _write_file(tmp_path / "bad-000.tfrecord", examples)
  with pytest.raises(UserError) as e:
    pretraining_loop.run(_config(path, tmp_path / "out", num_train_steps=2,
                                 iterations_per_loop=2))
  for word in ("bad-000.tfrecord", f"record 5: input_ids holds {V + 7}", f"vocab_size={V}",
               "regenerate"):
    assert word in str(e.value), (word, str(e.value))
  assert not tf.train.latest_checkpoint(str(tmp_path / "out"))


def test_out_of_vocab_first_record_is_refused_at_start_up(tmp_path):
  examples = _examples(8, vocab_size=V + 40)  # written with a larger vocabulary
  path = _write_file(tmp_path / "big-vocab.tfrecord", examples)
  with pytest.raises(UserError, match=r"big-vocab.tfrecord: first record: (input_ids|"
                                      r"masked_lm_ids) holds \d+, outside the model's "
                                      r"vocab_size=60"):
    pretraining_loop.run(_config(path, tmp_path / "out"))


# --- 4b. checkpoint, config file and output directory faults -----------------------------------
def test_missing_init_checkpoint_is_refused_at_start_up(records, tmp_path):
  with pytest.raises(UserError, match=r"--init_checkpoint: no TensorFlow checkpoint .* at "
                                      r".*no-such-ckpt"):
    pretraining_loop.run(_config(records, tmp_path / "out",
                                 init_checkpoint=str(tmp_path / "no-such-ckpt")))
  assert not (tmp_path / "out" / "config.json").exists()


def test_output_dir_that_is_a_file_is_refused(records, tmp_path):
  (tmp_path / "out").write_text("not a directory")
  with pytest.raises(UserError, match=r"--output_dir=.*out is a file"):
    pretraining_loop.run(_config(records, tmp_path / "out"))
  assert (tmp_path / "out").read_text() == "not a directory"


@pytest.fixture
def read_only_dir(tmp_path):
  with faults.read_only_folder(tmp_path / "ro") as folder:
    yield folder


@pytest.mark.parametrize("where", ["inside", "itself"])
def test_read_only_output_dir_is_refused_at_start_up(records, read_only_dir, where):
  out = read_only_dir / "out" if where == "inside" else read_only_dir
  with pytest.raises(UserError, match=r"--output_dir=.*ro.*: (Read-only file system|Permission "
                                      r"denied)"):
    pretraining_loop.run(_config(records, out))


def test_cli_model_config_file_that_is_not_json_is_one_line(records, tmp_path):
  (tmp_path / "bad.json").write_text('{"vocab_size": 60,\n "hidden_size": }')
  result = _run_cli(_cli_args(records, tmp_path / "out", str(tmp_path / "bad.json")))
  faults.assert_one_line_error(result, "run_pretraining", "--albert_config_file", "bad.json",
                               "line 2")


# --- 4c. full disk while saving a checkpoint ---------------------------------------------------


def test_cli_full_disk_during_checkpoint_save_keeps_the_last_checkpoint(finished_run, tmp_path,
                                                                        model_file):
  """A copy of a run with ckpt-3 is resumed to step 6 under a 64 KiB file size limit: the save
  at step 6 fails (EFBIG). One line naming the failure and ckpt-3; ckpt-3 stays the latest
  and still loads. Old code: a traceback."""
  from albert_tf.checkpoints import load as ckpt_load
  from albert_tf.pretrainer import AlbertPretrainer
  out = tmp_path / "out"
  shutil.copytree(finished_run, out)
  records = json.loads((out / "config.json").read_text())["pretraining"]["input_file"]
  result = _run_cli(_cli_args(records, out, model_file),
                    preexec_fn=faults.file_size_limit(64 << 10))
  faults.assert_one_line_error(result, "run_pretraining", "--output_dir=", "File too large",
                               "resumes from", "ckpt-3")
  latest = tf.train.latest_checkpoint(str(out))
  assert latest.endswith("ckpt-3")
  ckpt_load.load(AlbertPretrainer(MODEL).ensure_built(), latest)  # strict: every variable
