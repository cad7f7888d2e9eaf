"""run_squad_v1 / run_squad_v2: the official program names put --version first."""
import sys

import pytest

from albert_tf.finetune import run_squad, run_squad_v1, run_squad_v2


@pytest.mark.parametrize("module,version", [(run_squad_v1, "1.1"), (run_squad_v2, "2.0")])
def test_official_program_name_sets_the_version(monkeypatch, module, version):
  seen = []
  monkeypatch.setattr(run_squad, "cli_main", lambda prog: seen.append((prog, list(sys.argv))))
  monkeypatch.setattr(sys, "argv", ["prog", "--train_file=train.json", "--version=1.1"])
  module.cli_main()
  # First the program's version; a user's own --version later on the line still wins. Errors
  # are reported under the official program name.
  assert seen == [(module.__name__.rsplit(".", 1)[1],
                   ["prog", f"--version={version}", "--train_file=train.json", "--version=1.1"])]
