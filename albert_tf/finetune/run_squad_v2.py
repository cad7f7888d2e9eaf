"""SQuAD v2.0 under its official program name (google-research/ALBERT run_squad_v2.py).

COMMAND: python -m albert_tf.finetune.run_squad_v2 <the official flags>
Same as `python -m albert_tf.finetune.run_squad --version=2.0 ...` (a later --version wins).
"""
import sys

from albert_tf.finetune import run_squad


def cli_main():
  """Console-script entry point: run_squad with --version=2.0 first on the command line."""
  sys.argv[1:1] = ["--version=2.0"]
  run_squad.cli_main()


if __name__ == "__main__":
  cli_main()
