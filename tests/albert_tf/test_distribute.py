"""Strategies without accelerators: 2 logical CPUs (mirrored), 2 loopback workers, TPU errors."""
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from albert_tf import distribute

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, PYTHONPATH=REPO, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")

# Shared by the subprocess scripts: tiny model, synthetic records, a 4-step run.
PRELUDE = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import tensorflow as tf
    from albert_tf import pretraining_loop
    from albert_tf.configs import AlbertConfig, PretrainConfig
    from tests.albert_tf.synthetic_records import write_records

    def config(records, out, strategy):
      return PretrainConfig(
          model=AlbertConfig.from_preset("albert_tiny").replace(vocab_size=60),
          input_file=records, output_dir=out, max_seq_length=16, max_predictions_per_seq=4,
          train_batch_size=8, learning_rate=1e-2, num_train_steps=4, num_warmup_steps=1,
          save_checkpoints_steps=4, iterations_per_loop=2, strategy=strategy)

    def losses(out):
      with open(os.path.join(out, "metrics.jsonl")) as f:
        return [json.loads(line)["loss"] for line in f]
""")


def _python(script, env=None, **kwargs):
  return subprocess.Popen([sys.executable, "-c", PRELUDE + textwrap.dedent(script)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=env or ENV, cwd=REPO, **kwargs)


def test_make_strategy_choices():
  import tensorflow as tf
  assert isinstance(distribute.make_strategy("auto"), tf.distribute.OneDeviceStrategy)
  with pytest.raises(ValueError, match="strategy='gpu' is unknown"):
    distribute.make_strategy("gpu")
  with pytest.raises(ValueError, match="strategy=tpu needs --tpu"):
    distribute.make_strategy("tpu")


def test_timeout_wrapper_returns_within_the_limit():
  start = time.time()
  with pytest.raises(TimeoutError, match="sleeping did not finish within 0.2 s"):
    distribute._with_timeout(lambda: time.sleep(5), 0.2, "sleeping")
  assert time.time() - start < 2


def test_unreachable_grpc_tpu_fails_fast():
  with socket.socket() as s:  # a port nobody listens on
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
  start = time.time()
  with pytest.raises(distribute.TPUConnectionError,
                     match=f"cannot use TPU --tpu='grpc://127.0.0.1:{port}'.*READY"):
    distribute.connect_tpu(f"grpc://127.0.0.1:{port}", timeout_s=5)
  assert time.time() - start < 10


def test_cli_tpu_nonexistent_fails_in_seconds_without_traceback(tmp_path):
  from tests.albert_tf.synthetic_records import write_records
  # Valid flags and input: both are checked before the TPU is contacted (issue 13).
  records = write_records(str(tmp_path / "rec"), num_files=1, per_file=2, seq_len=16,
                          num_preds=4)
  start = time.time()
  proc = subprocess.run(
      [sys.executable, "run_pretraining.py", "--preset=albert_tiny", "--tpu=nonexistent",
       "--max_seq_length=16", "--max_predictions_per_seq=4",
       f"--input_file={records}", f"--output_dir={tmp_path}/out"],
      capture_output=True, text=True, env=ENV, cwd=REPO, timeout=120)
  out = proc.stdout + proc.stderr
  assert proc.returncode == 1, out
  assert "run_pretraining: error: cannot use TPU --tpu='nonexistent'" in out
  assert "Traceback" not in out
  assert time.time() - start < 60


def test_mirrored_two_logical_cpus_equals_one_device(tmp_path):
  from tests.albert_tf.synthetic_records import write_records
  records = write_records(str(tmp_path / "rec"), num_files=2, per_file=24, seq_len=16,
                          num_preds=4, vocab_size=60)
  proc = _python(f"""
      cpu = tf.config.list_physical_devices("CPU")[0]
      tf.config.set_logical_device_configuration(
          cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
      out = {{}}
      for strategy in ("one_device", "mirrored"):
        summary = pretraining_loop.run(
            config({records!r}, {str(tmp_path)!r} + "/" + strategy, strategy))
        out[strategy] = {{"losses": losses(summary["output_dir"]),
                         "weights": [float(np.sum(np.abs(w))) for w in
                                     summary["model"].get_weights()]}}
      print("RESULT" + json.dumps(out))
  """)
  log = proc.communicate(timeout=300)[0]
  assert proc.returncode == 0, log
  assert "MirroredStrategy with 2 replica(s)" in log
  result = json.loads(log.split("RESULT", 1)[1])
  np.testing.assert_allclose(result["mirrored"]["losses"], result["one_device"]["losses"],
                             rtol=1e-5)
  np.testing.assert_allclose(result["mirrored"]["weights"], result["one_device"]["weights"],
                             rtol=1e-5, atol=1e-6)


def _free_ports(n):
  socks = [socket.socket() for _ in range(n)]
  for s in socks:
    s.bind(("127.0.0.1", 0))
  ports = [s.getsockname()[1] for s in socks]
  for s in socks:
    s.close()
  return ports


def test_multi_worker_two_processes_train_and_agree(tmp_path):
  from tests.albert_tf.synthetic_records import write_records
  records = write_records(str(tmp_path / "rec"), num_files=2, per_file=24, seq_len=16,
                          num_preds=4, vocab_size=60)
  cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
  procs = []
  for index in range(2):
    env = dict(ENV, TF_CONFIG=json.dumps({"cluster": cluster,
                                          "task": {"type": "worker", "index": index}}))
    procs.append(_python(f"""
        summary = pretraining_loop.run(config({records!r}, {str(tmp_path / "out")!r}, "auto"))
        np.savez({str(tmp_path)!r} + "/weights{index}.npz", *summary["model"].get_weights())
        print("DONE step", summary["step"])
    """, env=env))
  logs = [p.communicate(timeout=400)[0] for p in procs]
  for proc, log in zip(procs, logs):
    assert proc.returncode == 0, log
    # MultiWorkerMirroredStrategy's class is CollectiveAllReduceStrategy.
    assert "CollectiveAllReduceStrategy with 2 replica(s)" in log and "DONE step 4" in log, log
  w0, w1 = (np.load(tmp_path / f"weights{i}.npz") for i in range(2))
  for key in w0.files:
    np.testing.assert_array_equal(w0[key], w1[key])
  assert os.path.exists(tmp_path / "out" / "ckpt-4.index")
  assert not os.path.exists(tmp_path / "out" / ".worker_1")  # scratch removed
