"""Issue 13 faults in export, convert and the REST test double: every failure ends cleanly.

- convert never replaces an existing output without --overwrite (exit 1, bytes unchanged);
  with it, the new checkpoint is moved into place whole.
- A hub export killed mid-write (kill -9) leaves no export and no version-like directory;
  the next export removes its temporary. The serving version picker ignores temporaries.
- A full disk (RLIMIT_FSIZE), a read-only output, an output path that is a file, a missing
  or corrupt checkpoint, a missing or corrupt SentencePiece model: one `PROG: error:` line,
  exit 1, no traceback, nothing that looks exported.
- The REST double answers every malformed request with 400 and the reason.

CLIs run as a user runs them (subprocess, `python -m`); library-level cases run in-process.
"""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.reliability import faults

from tests.conftest import REPO_ROOT

# TF_CPP_MIN_LOG_LEVEL left to the CLI (albert_tf/runtime.py hides the cuInit ERROR line on
# machines without a GPU driver), as a user's shell would.
ENV = {**{k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"},
       "TF_USE_LEGACY_KERAS": "1", "PYTHONPATH": REPO_ROOT}


def _run(module, *args, preexec_fn=None):
  return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO_ROOT, env=ENV,
                        capture_output=True, text=True, timeout=600, preexec_fn=preexec_fn)




def _snapshot(root):
  """{relative path: bytes} of every file under root."""
  out = {}
  for folder, _, files in os.walk(root):
    for name in files:
      path = os.path.join(folder, name)
      with open(path, "rb") as f:
        out[os.path.relpath(path, root)] = f.read()
  return out


def _temps(folder):
  return [n for n in os.listdir(folder) if n.startswith(".tmp-")] if os.path.isdir(folder) else []


def _versions(folder):
  return [n for n in os.listdir(folder) if n.isdigit()] if os.path.isdir(folder) else []


@pytest.fixture(scope="module")
def tiny_checkpoints(tmp_path_factory):
  """Two different albert_tiny checkpoints of ours (prefixes), albert_config.json beside."""
  import tensorflow as tf
  from albert_tf.checkpoints import ours
  from albert_tf.configs import AlbertConfig
  from albert_tf.pretrainer import AlbertPretrainer
  config = AlbertConfig.from_preset("albert_tiny")
  prefixes = []
  for seed in (0, 1):
    tf.random.set_seed(seed)
    model = AlbertPretrainer(config).ensure_built()
    prefixes.append(ours.save_ours(model, str(tmp_path_factory.mktemp(f"ckpt{seed}"))))
  return config, prefixes


# ---- convert: no lost data --------------------------------------------------------------------

def test_convert_refuses_an_existing_prefix_then_overwrites_it(tmp_path, tiny_checkpoints):
  import tensorflow as tf
  from albert_tf import convert
  _, (first, second) = tiny_checkpoints
  out = tmp_path / "out"
  prefix = str(out / "model.ckpt-1")
  assert convert.convert("ours", "tf1", first, prefix) == prefix
  before = _snapshot(out)
  result = _run("albert_tf.convert", "--from=ours", "--to=tf1", f"--input={second}",
                f"--output={prefix}")
  faults.assert_one_line_error(result, "albert_tf.convert", f"--output={prefix}", "--overwrite")
  assert _snapshot(out) == before  # not one byte changed

  result = _run("albert_tf.convert", "--from=ours", "--to=tf1", f"--input={second}",
                f"--output={prefix}", "--overwrite")
  assert result.returncode == 0, result.stderr[-3000:]
  after = _snapshot(out)
  assert after["model.ckpt-1.index"] != before["model.ckpt-1.index"] or (
      after["model.ckpt-1.data-00000-of-00001"] != before["model.ckpt-1.data-00000-of-00001"])
  name = "bert/embeddings/word_embeddings"
  expected = tf.train.load_checkpoint(second).get_tensor(
      "model/encoder/embeddings/word_embeddings/.ATTRIBUTES/VARIABLE_VALUE")
  np.testing.assert_array_equal(tf.train.load_checkpoint(prefix).get_tensor(name), expected)
  assert not _temps(out) and not _temps(tmp_path)


def test_convert_refuses_an_existing_directory_and_a_file(tmp_path, tiny_checkpoints):
  from albert_tf import convert
  from albert_tf import errors
  _, (first, second) = tiny_checkpoints
  out = tmp_path / "hf_out"
  out.mkdir()
  (out / "notes.txt").write_text("mine")
  with pytest.raises(errors.UserError, match="--overwrite"):
    convert.convert("ours", "hf", first, str(out))
  assert _snapshot(out) == {"notes.txt": b"mine"}
  written = convert.convert("ours", "hf", second, str(out), overwrite=True)
  assert written == str(out) and sorted(os.listdir(out)) == ["config.json", "model.safetensors"]
  assert not _temps(tmp_path)
  blocker = tmp_path / "a_file"
  blocker.write_bytes(b"data")
  with pytest.raises(errors.UserError, match="is a file"):
    convert.convert("ours", "hf", first, str(blocker), overwrite=True)
  assert blocker.read_bytes() == b"data"


# ---- killed exports ---------------------------------------------------------------------------

def test_killed_hub_export_leaves_nothing_visible_and_is_cleaned_up(tmp_path):
  from albert_tf import cli_io
  parent = tmp_path / "hub"
  export_dir = parent / "preprocessor"
  process = subprocess.Popen(
      [sys.executable, "-m", "export.export_tfhub", "--export_type=preprocessor",
       f"--export_dir={export_dir}"], cwd=REPO_ROOT, env=ENV, stdout=subprocess.DEVNULL,
      stderr=subprocess.DEVNULL)
  try:
    deadline = time.time() + 300
    while not _temps(parent) and process.poll() is None and time.time() < deadline:
      time.sleep(0.01)
    assert _temps(parent), "the export never created its temporary directory"
    os.kill(process.pid, signal.SIGKILL)  # mid-write: the temporary is being filled
  finally:
    if process.poll() is None:
      process.kill()
    process.wait()
  assert process.returncode == -signal.SIGKILL
  assert sorted(os.listdir(parent)) == _temps(parent)  # only the temporary: nothing exported
  assert not export_dir.exists() and not _versions(parent)
  # The next export into the same parent removes it (the writer every export goes through;
  # a real preprocessor export here would cost another ~20 s of tracing).
  cli_io.write_dir_atomically(str(parent / "encoder"), lambda directory: None, tag="hub")
  assert os.listdir(parent) == ["encoder"]


def test_serving_versions_ignore_temporaries_and_remove_dead_ones(tmp_path):
  from albert_tf import cli_io
  from export import versioning
  from tests.export.rest_double import ModelServerDouble
  base = tmp_path / "models"
  dead = subprocess.Popen([sys.executable, "-c", "pass"])
  dead.wait()
  host = cli_io.temp_name("x").split("-")[2]
  killed = base / f".tmp-2-{host}-{dead.pid}-0123abcd"      # a killed export's leftover
  running = base / f".tmp-3-{host}-{os.getpid()}-4567cdef"   # an export still running
  legacy_old = base / ".tmp-5-89abcdef"                      # old naming, days old
  for path in (killed, running, legacy_old):
    (path / "variables").mkdir(parents=True)
    (path / "saved_model.pb").write_bytes(b"partial")
  long_ago = time.time() - 2 * cli_io.STALE_AFTER_S
  os.utime(legacy_old, (long_ago, long_ago))
  assert versioning.existing_versions(str(base)) == [] and versioning.next_version(str(base)) == 1
  with pytest.raises(ValueError, match="no integer version"):
    ModelServerDouble("albert", str(base))  # as TF Serving: temporaries are not versions
  written = versioning.write_version(str(base), lambda directory: None)
  assert written == str(base / "1")
  assert sorted(os.listdir(base)) == sorted(["1", running.name])


# ---- full disk, read-only, a file in the way ----------------------------------------------------



def test_full_disk_during_serving_export(tmp_path, tiny_checkpoints):
  from albert_tf.checkpoints import converter
  _, (first, _) = tiny_checkpoints
  # A TF1 checkpoint: reading it writes nothing (ours would write a scratch checkpoint to
  # learn the model's keys, and fail there, before the export).
  tf1 = converter.convert_checkpoint("ours", "tf1", first, str(tmp_path / "tf1"))
  base = tmp_path / "models"
  result = _run("export.export_serving", f"--init_checkpoint={tf1}",
                f"--model_base_path={base}", "--seq_length=16",
                preexec_fn=faults.file_size_limit(200_000))  # < the 1.9 MB of albert_tiny's weights
  faults.assert_one_line_error(result, "export.export_serving", f"--model_base_path={base}",
                               "File too large", "ulimit")
  assert not _versions(base) and not _temps(base)


def test_read_only_and_file_outputs_fail_cleanly(tmp_path):
  from albert_tf import errors
  from export import hub_models
  from export import versioning
  with faults.read_only_folder(tmp_path / "ro") as ro:
    with pytest.raises(errors.UserError, match=r"--export_dir=.*[Rr]ead-only|ermission") as err:
      hub_models.export_hub("preprocessor", str(ro / "pre"))
    assert "\n" not in str(err.value) and os.listdir(ro) == []
  blocker = tmp_path / "blocker"
  blocker.write_bytes(b"keep")
  with pytest.raises(errors.UserError, match="is a file"):
    hub_models.export_hub("preprocessor", str(blocker))
  with pytest.raises(errors.UserError, match="--model_base_path=.* is a file"):
    versioning.write_version(str(blocker), lambda directory: None)
  assert blocker.read_bytes() == b"keep"


# ---- missing / corrupt inputs --------------------------------------------------------------------

# export_serving's and convert's: tests/export/test_cli_errors.py and
# tests/albert_tf/checkpoints/test_convert_cli.py (each CLI start costs ~10 s of CPU).
@pytest.mark.parametrize("module,args,output", [
    ("export.export_tfhub", ["--init_checkpoint={t}/nope", "--export_dir={t}/hub",
                             "--preset=albert_tiny"], "hub"),
    ("export.export_classifier", ["--finetuned_checkpoint={t}/nope",
                                  "--model_base_path={t}/models"], "models"),
])
def test_missing_checkpoint(tmp_path, module, args, output):
  result = _run(module, *[a.format(t=tmp_path) for a in args])
  faults.assert_one_line_error(result, module, f"{tmp_path}/nope")
  assert not (tmp_path / output).exists()


def _truncate(path, fraction=0.5):
  with open(path, "r+b") as f:
    f.truncate(int(os.path.getsize(path) * fraction))


def test_truncated_checkpoint_at_the_cli(tmp_path, tiny_checkpoints):
  _, (first, _) = tiny_checkpoints
  broken = tmp_path / "broken"
  shutil.copytree(os.path.dirname(first), broken)
  _truncate(glob.glob(str(broken / "*.data-*"))[0])
  base = tmp_path / "models"
  result = _run("export.export_serving", f"--init_checkpoint={broken}",
                f"--model_base_path={base}")
  faults.assert_one_line_error(result, "export.export_serving", f"--init_checkpoint={broken}",
                               "corrupt or truncated")
  assert not _versions(base) and not _temps(base)


def _flip_byte(path, fraction):
  data = bytearray(open(path, "rb").read())
  data[int(len(data) * fraction)] ^= 0xFF
  with open(path, "wb") as f:
    f.write(bytes(data))


@pytest.mark.parametrize("fmt,damage", [
    ("ours", lambda d: _truncate(glob.glob(f"{d}/*.data-*")[0])),           # IndexError
    ("ours", lambda d: _flip_byte(glob.glob(f"{d}/*.data-*")[0], 0.99)),    # DataLossError
    ("ours", lambda d: open(glob.glob(f"{d}/*.index")[0], "wb").write(b"x" * 99)),
    ("ours", lambda d: os.remove(glob.glob(f"{d}/*.data-*")[0])),
    ("tf1", lambda d: _flip_byte(glob.glob(f"{d}/*.data-*")[0], 0.99)),     # reader OpError
    ("hf", lambda d: _truncate(f"{d}/model.safetensors")),                 # SafetensorError
])
def test_corrupt_checkpoints_are_user_errors(tmp_path, tiny_checkpoints, fmt, damage):
  from albert_tf import cli_io
  from albert_tf import errors
  from albert_tf.checkpoints import converter
  from albert_tf.checkpoints import load as ckpt_load
  config, (first, _) = tiny_checkpoints
  copy = tmp_path / "model"
  if fmt == "ours":
    shutil.copytree(os.path.dirname(first), copy)
  else:
    if fmt == "hf":
      pytest.importorskip("safetensors")
    converter.convert_checkpoint("ours", fmt, first, str(copy))
  damage(str(copy))
  with pytest.raises(errors.UserError, match=r"--init_checkpoint=.*(corrupt or truncated|"
                                             r"No such file)") as err:
    with cli_io.reading_checkpoint("--init_checkpoint", str(copy)):
      ckpt_load.load_pretrainer(config, str(copy))
  assert "\n" not in str(err.value) and "function_node" not in str(err.value)


def test_spm_model_missing_or_corrupt(tmp_path):
  from albert_tf import errors
  from albert_tf import resources
  from export import hub_models
  missing = tmp_path / "no.model"
  with pytest.raises(errors.UserError, match=r"--spm_model_file=.*no\.model: no such file"):
    hub_models.export_hub("preprocessor", str(tmp_path / "pre"), spm_model_file=str(missing))
  half = tmp_path / "half.model"
  half.write_bytes(open(resources.DEFAULT_SPM_MODEL, "rb").read()[:5000])
  with pytest.raises(errors.UserError, match=r"--spm_model_file=.*not a SentencePiece model"):
    hub_models.export_hub("preprocessor", str(tmp_path / "pre"), spm_model_file=str(half))
  assert sorted(os.listdir(tmp_path)) == ["half.model"]


# ---- errors.describe for TensorFlow's file-system errors -----------------------------------------

def test_tensorflow_filesystem_errors_read_as_os_errors():
  import errno
  import tensorflow as tf
  from albert_tf import cli_io
  e = tf.errors.OutOfRangeError(None, None, "{{function_node __wrapped__SaveV2_dtypes_26_device_"
                                "/job:localhost}} /x/variables.data; File too large [Op:SaveV2]")
  os_error = cli_io.filesystem_error(e)
  assert (os_error.errno, os_error.filename) == (errno.EFBIG, "/x/variables.data")
  full = tf.errors.ResourceExhaustedError(None, None, "/x/a; No space left on device")
  assert "--output=/x: /x/a: No space left on device: the disk is full" in str(
      cli_io.output_error(full, "--output", "/x"))
  assert cli_io.filesystem_error(tf.errors.InvalidArgumentError(None, None, "a; b")) is None
  scratch = tf.errors.OutOfRangeError(None, None, "/tmp/keys_temp/part; File too large")
  assert str(cli_io.checkpoint_error(scratch, "--input", "ckpt")) == (
      "--input=ckpt: /tmp/keys_temp/part: File too large: the file size limit was reached: "
      "raise the limit (ulimit -f) or write elsewhere")
  assert cli_io.checkpoint_error(tf.errors.InvalidArgumentError(None, None, "bug"), "--x",
                                 "p") is None  # anything else stays a bug, with its traceback


# ---- REST double: malformed requests -------------------------------------------------------------

@pytest.fixture(scope="module")
def rest_server(tmp_path_factory):
  """The REST double on a tiny SavedModel: `serving_default` text → length, `pair` a + b."""
  import tensorflow as tf
  from tests.export.rest_double import ModelServerDouble
  base = tmp_path_factory.mktemp("rest")
  module = tf.Module()
  module.length = tf.function(lambda text: {"length": tf.strings.length(text)},
                              input_signature=[tf.TensorSpec([None], tf.string)])
  module.pair = tf.function(lambda a, b: {"sum": a + b},
                            input_signature=[tf.TensorSpec([None, None], tf.int32)] * 2)
  tf.saved_model.save(module, str(base / "1"), signatures={
      "serving_default": module.length.get_concrete_function(),
      "pair": module.pair.get_concrete_function()})
  with ModelServerDouble("tiny", str(base), read_timeout_s=1.0) as url:
    host, port = url.split("//")[1].split(":")
    yield (host, int(port)), url


def _raw(address, request, half_close=True):
  """Sends raw bytes; returns (status, JSON body). A dropped connection fails the test."""
  with socket.create_connection(address, timeout=30) as sock:
    sock.sendall(request)
    if half_close:
      sock.shutdown(socket.SHUT_WR)
    chunks = []
    while True:
      chunk = sock.recv(65536)
      if not chunk:
        break
      chunks.append(chunk)
  response = b"".join(chunks)
  assert response, "connection closed without a response"
  head, _, body = response.partition(b"\r\n\r\n")
  return int(head.split(b" ")[1]), json.loads(body)


def _post(body, path="/v1/models/tiny:predict", length=None):
  data = body if isinstance(body, bytes) else json.dumps(body).encode()
  length = len(data) if length is None else length
  header = "" if length is False else f"Content-Length: {length}\r\n"
  return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\n").encode() + data


_PAIR = "pair"
MALFORMED = [
    ("no Content-Length", _post(b'{"instances": ["x"]}', length=False), "Content-Length"),
    ("non-numeric Content-Length", _post(b'{"instances": ["x"]}', length="ten"),
     "Invalid Content-Length"),
    ("negative Content-Length", _post(b'{"instances": ["x"]}', length=-3),
     "Invalid Content-Length"),
    ("body shorter than Content-Length", _post(b'{"instances": ["x"]}', length=200),
     "shorter than its Content-Length: got 20 of 200"),
    ("not JSON", _post(b"{instances: x"), "JSON Parse error"),
    ("not UTF-8", _post(b'{"instances": ["\xff"]}'), "JSON Parse error"),
    ("JSON array", _post([1, 2]), "must be a JSON object"),
    ("JSON string", _post("instances"), "must be a JSON object"),
    ("both formats", _post({"instances": ["x"], "inputs": ["x"]}), "both"),
    ("neither format", _post({"signature_name": "serving_default"}), "Missing 'inputs'"),
    ("unknown signature", _post({"signature_name": "nope", "instances": ["x"]}),
     'Serving signature name: "nope" not found in signature def'),
    ("signature name not a string", _post({"signature_name": ["pair"], "instances": ["x"]}),
     "'signature_name' must be a string"),
    ("missing input", _post({"signature_name": _PAIR, "inputs": {"a": [[1]]}}),
     "missing named inputs ['b']"),
    ("unknown input", _post({"signature_name": _PAIR, "instances": [{"a": [1], "b": [1],
                                                                     "c": 1}]}), "unknown ['c']"),
    ("wrong dtype", _post({"signature_name": _PAIR, "inputs": {"a": [["1"]], "b": [[1]]}}),
     "expected integers"),
    ("not a string", _post({"instances": [5]}), "expected a string"),
    ("wrong rank", _post({"signature_name": _PAIR, "inputs": {"a": [1], "b": [[1]]}}),
     "expected rank 2"),
    ("ragged", _post({"signature_name": _PAIR, "inputs": {"a": [[1], [1, 2]], "b": [[1]]}}),
     "ragged or malformed"),
    ("out of int32 range", _post({"signature_name": _PAIR,
                                  "inputs": {"a": [[2 ** 40]], "b": [[1]]}}), "out of range"),
    ("shapes that do not fit (InvalidArgumentError)",
     _post({"signature_name": _PAIR, "inputs": {"a": [[1, 2]], "b": [[1, 2, 3]]}}),
     "Incompatible shapes: [1,2] vs. [1,3]"),
    ("empty row list", _post({"instances": []}), "non-empty"),
]


@pytest.mark.parametrize("request_bytes,reason", [(r, m) for _, r, m in MALFORMED],
                         ids=[n for n, _, _ in MALFORMED])
def test_malformed_rest_request_is_400_with_reason(rest_server, request_bytes, reason):
  address, _ = rest_server
  code, body = _raw(address, request_bytes)
  assert code == 400 and reason in body["error"], body
  assert "Graph execution error" not in body["error"]


def test_body_that_never_arrives_times_out_to_400(rest_server):
  address, _ = rest_server
  start = time.time()
  code, body = _raw(address, _post(b'{"instances"', length=50), half_close=False)
  assert code == 400 and "got 12 of 50 bytes" in body["error"]
  assert time.time() - start < 20
  code, body = _raw(address, _post({"instances": ["abc", ""]}))  # the server still answers
  assert (code, body) == (200, {"predictions": [3, 0]})
