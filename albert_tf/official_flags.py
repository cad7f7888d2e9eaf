"""google-research/ALBERT's flag names that have no counterpart here: parse, then note or refuse.

Official command lines (README.md, run_glue.sh) must run unchanged. Flags that have a meaning
here are absl aliases or mapped in each CLI's flags → config step; this module holds the rest:

  define_ignored   the flag parses; when given, the CLI's flags → config step prints one
                   line: what it did officially and what to use here (print_notes)
  define_refused   the flag parses, but a value asking for something this project does not do
                   fails flag parsing (exit 1) with the reason, never "unknown flag"
  spm_model_beside --vocab_file (the .vocab beside the SentencePiece model in ALBERT releases)
                   → the .model beside it

Only absl and the standard library: data_prep may import it (tests/test_import_graph.py).

Example:
    >>> spm_model_beside("albert_base/30k-clean.model")
    'albert_base/30k-clean.model'
"""
import os
import sys

from absl import flags

FLAGS = flags.FLAGS
_NOTES = {}  # flag name → "what it did officially; what to use here"


def define_ignored(define, name, default, note):
  """Defines `name` with absl's `define`; given on the command line, print_notes prints `note`."""
  define(name, default, f"Official flag, no effect here: {note}")
  _NOTES[name] = note


def define_refused(define, name, default, accepted, reason):
  """Defines `name`; a value with accepted(value) False fails flag parsing naming `reason`."""
  define(name, default, f"Official flag; {reason}")
  flags.register_validator(name, accepted, message=reason)


def print_notes(program):
  """One stderr line per ignored official flag given on the command line."""
  for name, note in _NOTES.items():
    if name in FLAGS and FLAGS[name].present:
      print(f"{program}: --{name} has no effect here: {note}", file=sys.stderr, flush=True)


def spm_model_beside(vocab_file):
  """The SentencePiece model for an official --vocab_file; ValueError when there is none.

  ALBERT releases ship 30k-clean.model with 30k-clean.vocab beside it (the official tokenizer
  reads its vocabulary from the .model whenever --spm_model_file is given). A WordPiece
  vocab.txt (BERT) cannot tokenize for ALBERT.
  """
  root, ext = os.path.splitext(vocab_file)
  if ext == ".model":
    return vocab_file
  model = root + ".model"
  if ext == ".vocab" and ("://" in model or os.path.exists(model)):
    return model
  raise ValueError(f"--vocab_file={vocab_file}: ALBERT tokenizes with a SentencePiece model; "
                   f"give --spm_model_file=<30k-clean.model> (a .vocab is used only when its "
                   f".model lies beside it)")
