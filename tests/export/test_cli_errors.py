"""User mistakes in the export CLIs give one `error:` line and exit 1, no traceback."""
import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_missing_checkpoint_is_one_line_error(tmp_path):
  env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
  result = subprocess.run(
      [sys.executable, "-m", "export.export_serving", f"--init_checkpoint={tmp_path}/nothing",
       f"--model_base_path={tmp_path}/models", "--preset=albert_tiny"],
      cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
  assert result.returncode == 1
  errors = [line for line in result.stderr.splitlines()
            if line.startswith("export.export_serving: error:")]
  assert len(errors) == 1 and "nothing" in errors[0], result.stderr
  assert "Traceback" not in result.stderr
  assert not (tmp_path / "models" / "1").exists()
