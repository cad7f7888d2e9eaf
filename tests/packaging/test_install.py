"""`pip install` of the package into a fresh venv; a console script run from another folder."""
import gzip
import json
import os

from albert_tf import resources
from tests.packaging.conftest import run


def test_installed_package_and_assets_come_from_the_venv(fresh_venv, tmp_path):
  out = run([str(fresh_venv / "bin" / "python"), "-c",
             "import json, albert_tf, data_prep, export, experiments, run_pretraining\n"
             "from albert_tf import resources\nfrom experiments import arms\n"
             "print(json.dumps({'files': [m.__file__ for m in (albert_tf, data_prep, export, "
             "experiments, run_pretraining)], 'assets': [resources.DEFAULT_SPM_MODEL, "
             "resources.DEFAULT_CORPUS, arms.GLUE_DIR + '/SST-2/dev.tsv']}))"], cwd=tmp_path)
  got = json.loads(out)
  for path in got["files"] + got["assets"]:
    assert path.startswith(str(fresh_venv)), path
    assert os.path.exists(path), path


def test_console_script_runs_from_another_directory(fresh_venv, tmp_path):
  with gzip.open(resources.DEFAULT_CORPUS, "rt", encoding="utf-8") as f:
    text = "".join(next(f) for _ in range(400))
  (tmp_path / "corpus.txt").write_text(text, encoding="utf-8")
  # Relative paths: resolved against the caller's folder; the vocab is the installed asset.
  run([str(fresh_venv / "bin" / "albert-create-pretraining-data"), "--input_file=corpus.txt",
       "--output_dir=out", "--max_seq_length=64", "--dupe_factor=1", "--num_output_shards=1",
       "--num_workers=1"], cwd=tmp_path)
  assert (tmp_path / "out" / "part-00000-of-00001.tfrecord").stat().st_size > 0
  assert json.loads((tmp_path / "out" / "stats.json").read_text())["instances"] > 100
