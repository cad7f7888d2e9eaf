"""A wheel built from this checkout, installed into a fresh venv that borrows .venv's packages.

Downloading TensorFlow again would take minutes, so the fresh venv sees the test interpreter's
site-packages through a .pth file (appended after its own site-packages, so the installed copy
of albert_tf shadows nothing and nothing shadows it) and the wheel goes in with --no-deps.
"""
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Not part of the package (tests/, bench/, docs/) or build/run debris.
_NOT_SOURCE = (".git", ".venv", "runs", "out", "build", "dist", "tests", "bench", "docs",
               "__pycache__", "*.egg-info", ".whl", ".pytest_cache", ".hypothesis")


def run(cmd, cwd, timeout=300):
  """Runs `cmd` outside the checkout (no PYTHONPATH); returns stdout; fails with its output."""
  env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
  env.update(TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
  proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                        check=False)
  assert proc.returncode == 0, f"{cmd} → {proc.returncode}\n{proc.stdout}\n{proc.stderr[-4000:]}"
  return proc.stdout


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
  """Path of albert_tf-*.whl built from a copy of the checkout (the tree stays clean)."""
  base = tmp_path_factory.mktemp("build")
  src = base / "src"
  shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
  run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
       str(base / "dist"), str(src)], cwd=base)
  (path,) = (base / "dist").glob("albert_tf-*.whl")
  return str(path)


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory, wheel):
  """Path of a new venv with the wheel installed (its own copy of albert_tf and the CLIs)."""
  venv = tmp_path_factory.mktemp("venv")
  subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
  python = str(venv / "bin" / "python")
  site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
             cwd=venv).strip()
  with open(os.path.join(site, "borrowed-test-venv.pth"), "w", encoding="utf-8") as f:
    f.write(sysconfig.get_paths()["purelib"] + "\n")  # pip, TensorFlow, Beam, ...
  run([python, "-m", "pip", "install", "--no-deps", "--no-index", wheel], cwd=venv)
  return venv
