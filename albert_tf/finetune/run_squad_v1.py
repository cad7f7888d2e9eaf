"""SQuAD v1.1 under its official program name (google-research/ALBERT run_squad_v1.py).

COMMAND: python -m albert_tf.finetune.run_squad_v1 <the official flags>
Same as `python -m albert_tf.finetune.run_squad --version=1.1 ...` (a later --version wins).
"""
from albert_tf.finetune import run_squad


def cli_main():
  run_squad.cli_main_for_version("1.1")


if __name__ == "__main__":
  cli_main()
