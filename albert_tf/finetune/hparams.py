"""The paper's fine-tuning hyperparameters, one table for every task (docs/albert_reference.md §9).

GLUE: the paper's appendix table / the official `run_glue.sh` (warmup, lr, train steps, batch;
max_seq_length 512; classifier dropout 0.1; ALBERT (encoder) dropout 0.1 for QQP, RTE and WNLI,
0 elsewhere). SQuAD: the official run_squad_v1.py / run_squad_v2.py commands (ALBERT dropout 0).
RACE: the official run_race.py command (v2 models: the README advises lr 1e-5, ALBERT
dropout 0). The CLIs take every value left unset from here.

Example:
    >>> PAPER["RTE"].learning_rate, PAPER["RTE"].albert_dropout
    (3e-05, 0.1)
    >>> PAPER["SQuAD-2.0"].max_seq_length, PAPER["RACE"].train_steps
    (512, 12000)
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class HParams:
  """Fine-tuning hyperparameters of one task (the paper's appendix table)."""
  learning_rate: float
  batch_size: int
  train_steps: int
  warmup_steps: int
  max_seq_length: int = 512
  albert_dropout: float = 0.0        # hidden + attention dropout inside the encoder
  classifier_dropout: float = 0.1    # on the pooled output (official: hard-coded keep 0.9)


PAPER = {
    "CoLA": HParams(1e-5, 16, 5336, 320),
    "SST-2": HParams(1e-5, 32, 20935, 1256),
    "MRPC": HParams(2e-5, 32, 800, 200),
    "STS-B": HParams(2e-5, 16, 3598, 214),
    "QQP": HParams(5e-5, 128, 14000, 1000, albert_dropout=0.1),
    "MNLI": HParams(3e-5, 128, 10000, 1000),
    "QNLI": HParams(1e-5, 32, 33112, 1986),
    "RTE": HParams(3e-5, 32, 800, 200, albert_dropout=0.1),
    "WNLI": HParams(2e-5, 16, 2000, 250, albert_dropout=0.1),
    "SQuAD-1.1": HParams(5e-5, 48, 3649, 365, max_seq_length=384),
    "SQuAD-2.0": HParams(3e-5, 48, 8144, 814, max_seq_length=512),
    "RACE": HParams(2e-5, 32, 12000, 1000, max_seq_length=512, albert_dropout=0.1),
}
