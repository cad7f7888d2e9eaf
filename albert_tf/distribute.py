"""make_strategy: one place that turns --strategy / --tpu into a tf.distribute.Strategy.

  strategy      what you get
  auto          tpu if --tpu is set; multi_worker if TF_CONFIG lists >1 task; mirrored if
                there are ≥2 GPUs; one_device otherwise (GPU:0 or CPU:0)
  tpu           TPUStrategy via TPUClusterResolver(--tpu, --tpu_zone, --gcp_project); --tpu is
                a Cloud TPU name, a grpc://host:port address, or "local" (TPU VM)
  mirrored      MirroredStrategy over all local GPUs (or all logical CPUs when there is no GPU)
  multi_worker  MultiWorkerMirroredStrategy, cluster from TF_CONFIG
  one_device    OneDeviceStrategy on GPU:0 (or CPU:0)

Reaching a TPU can hang for minutes (metadata lookups, gRPC retries, TPU system init). Every
step here runs under a timeout and fails with TPUConnectionError naming the TPU and what to
check, so a wrong --tpu costs seconds, not a hung job.
"""
import json
import os
import socket
import threading
import urllib.parse

import tensorflow as tf

from albert_tf.errors import UserError

STRATEGIES = ("auto", "tpu", "mirrored", "multi_worker", "one_device")


class TPUConnectionError(UserError):
  """The TPU named by --tpu could not be resolved, reached or initialised in time."""


def _with_timeout(fn, timeout_s, what):
  """Runs fn() in a daemon thread; re-raises its error, or raises TimeoutError after timeout_s."""
  result = {}

  def target():
    try:
      result["value"] = fn()
    except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread below
      result["error"] = e

  thread = threading.Thread(target=target, name=f"tpu-{what}", daemon=True)
  thread.start()
  thread.join(timeout_s)
  if thread.is_alive():
    raise TimeoutError(f"{what} did not finish within {timeout_s:g} s")
  if "error" in result:
    raise result["error"]
  return result.get("value")


def _check_grpc_reachable(master, timeout_s):
  """Opens (and closes) a TCP connection to grpc://host:port; raises OSError/TimeoutError."""
  parsed = urllib.parse.urlparse(master)
  if parsed.scheme != "grpc" or not parsed.hostname:
    return
  with socket.create_connection((parsed.hostname, parsed.port or 8470), timeout=timeout_s):
    pass


def connect_tpu(tpu, tpu_zone=None, gcp_project=None, timeout_s=120.0):
  """Resolves, connects to and initialises a TPU; returns its TPUClusterResolver."""
  where = f"--tpu={tpu!r}" + (f" --tpu_zone={tpu_zone}" if tpu_zone else "") + (
      f" --gcp_project={gcp_project}" if gcp_project else "")
  try:
    resolver = _with_timeout(
        lambda: tf.distribute.cluster_resolver.TPUClusterResolver(
            tpu=None if tpu == "local" else tpu, zone=tpu_zone, project=gcp_project),
        timeout_s, "resolving the TPU")
    master = resolver.master()
    if tpu != "local":
      _with_timeout(lambda: _check_grpc_reachable(master, timeout_s), timeout_s + 1,
                    f"connecting to {master}")
      tf.config.experimental_connect_to_cluster(resolver)
    _with_timeout(lambda: tf.tpu.experimental.initialize_tpu_system(resolver), timeout_s,
                  "initialising the TPU system")
  except Exception as e:  # noqa: BLE001 - every failure becomes one clear message
    cause = f"{type(e).__name__}: {e}".strip().splitlines()[0][:300]
    raise TPUConnectionError(
        f"cannot use TPU {where}: {cause}. Check that the name/address is right, the TPU is "
        f"READY (`gcloud compute tpus list --zone=...`), and this VM can reach it (same "
        f"zone, project and network); use --strategy=mirrored/one_device for GPU/CPU."
    ) from None
  return resolver


def _tf_config_num_workers():
  try:
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
  except json.JSONDecodeError as e:
    raise UserError(f"TF_CONFIG is not valid JSON ({e}): fix the environment variable") from None
  return sum(len(cluster.get(job, [])) for job in ("chief", "worker"))


def is_multi_worker(strategy="auto", tpu=None):
  """Whether make_strategy(strategy, tpu) builds a MultiWorkerMirroredStrategy, which must be
  made before any TensorFlow op runs (it configures collective ops at program start-up)."""
  return strategy == "multi_worker" or (strategy == "auto" and not tpu
                                        and _tf_config_num_workers() > 1)


def make_strategy(strategy="auto", tpu=None, tpu_zone=None, gcp_project=None,
                  tpu_timeout_s=120.0):
  """Returns the tf.distribute.Strategy for the flags (see the module docstring)."""
  if strategy not in STRATEGIES:
    raise UserError(f"--strategy={strategy!r} is unknown; choose one of {', '.join(STRATEGIES)}")
  if strategy == "auto":
    if tpu:
      strategy = "tpu"
    elif _tf_config_num_workers() > 1:
      strategy = "multi_worker"
    elif len(tf.config.list_logical_devices("GPU")) > 1:
      strategy = "mirrored"
    else:
      strategy = "one_device"
  if strategy == "tpu":
    if not tpu:
      raise UserError("--strategy=tpu needs --tpu (a TPU name, grpc://host:port, or 'local')")
    return tf.distribute.TPUStrategy(connect_tpu(tpu, tpu_zone, gcp_project, tpu_timeout_s))
  if strategy == "multi_worker":
    return tf.distribute.MultiWorkerMirroredStrategy()
  gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
  if strategy == "mirrored":
    return tf.distribute.MirroredStrategy(
        devices=gpus or [d.name for d in tf.config.list_logical_devices("CPU")])
  return tf.distribute.OneDeviceStrategy(gpus[0] if gpus else "/cpu:0")
