"""SQuAD v2.0 under its official program name (google-research/ALBERT run_squad_v2.py).

COMMAND: python -m albert_tf.finetune.run_squad_v2 <the official flags>
Same as `python -m albert_tf.finetune.run_squad --version=2.0 ...` (a later --version wins).
"""
from albert_tf.finetune import run_squad


def cli_main():
  run_squad.cli_main_for_version("2.0")


if __name__ == "__main__":
  cli_main()
