"""GLUE tasks: registry, TSV readers with header-detected column layouts.

Files are read as plain TSV (split on TAB, no CSV quote handling: STS-B sentences contain
unbalanced `"`). A file's layout is chosen from its header line:

  task   layouts accepted (text_a, text_b, label columns)
  CoLA   GLUE: no header, 4 columns (source, label, notes, sentence) | header `x y` | `sentence label`
  SST-2  GLUE: `sentence label` | `y x` (SentEval train) | `text label`
  MRPC   GLUE: `Quality #1 ID #2 ID #1 String #2 String`
  STS-B  GLUE: `index genre filename year old_index source1 source2 sentence1 sentence2 score`
  QQP    GLUE: `id qid1 qid2 question1 question2 is_duplicate`
  MNLI   GLUE: `... sentence1 sentence2 ... gold_label` (dev_matched.tsv, dev_mismatched.tsv)
  QNLI   GLUE: `index question sentence label`
  RTE    GLUE: `index sentence1 sentence2 label`
  WNLI   GLUE: `index sentence1 sentence2 label`

Every row must have the header's number of fields and a label of the task (a finite number
for STS-B); otherwise a `GlueDataError` names the file and the 1-based line number. So does a
file that is not UTF-8 (the line of the first bad byte) or has no data rows. What GLUE's own
files contain is accepted: a UTF-8 byte-order mark (MRPC's files start with one), CRLF line
endings and blank lines at the end of the file.

Hyperparameters (`TASKS[name].hparams`) are the task's row of the paper table,
`albert_tf.finetune.hparams.PAPER`. Training on these tasks: `tasks.glue_task.GlueTask`.

Example:
    >>> get_task("sst2").name, get_task("SST-2").labels
    ('SST-2', ('0', '1'))
    >>> get_task("STS-B").hparams.learning_rate
    2e-05
"""
import dataclasses
import math
import os
from typing import Optional, Tuple

from albert_tf import errors
from albert_tf.finetune import hparams as hparams_lib


class GlueDataError(errors.UserError):
  """A malformed or missing GLUE file (message: `path:line: what is wrong: what to do`)."""


@dataclasses.dataclass(frozen=True)
class Layout:
  """Column names (by header) or indices (headerless) of text_a, text_b, label."""
  text_a: object
  text_b: object
  label: object
  header: Optional[Tuple[str, ...]] = None   # None: match by column names; () : no header row


@dataclasses.dataclass(frozen=True)
class GlueSpec:
  """One GLUE task's data: labels, file layouts, metrics, file names."""
  name: str
  labels: Tuple[str, ...]           # () for regression (STS-B)
  layouts: Tuple[Layout, ...]
  metrics: Tuple[str, ...]          # first = the metric used to pick the best checkpoint
  train_file: str = "train.tsv"
  eval_files: Tuple[Tuple[str, str], ...] = (("dev", "dev.tsv"),)

  @property
  def hparams(self):
    return hparams_lib.PAPER[self.name]

  @property
  def is_regression(self):
    return not self.labels

  @property
  def num_labels(self):
    return 1 if self.is_regression else len(self.labels)


def _named(a, b, label):
  return Layout(a, b, label)


TASKS = {
    "CoLA": GlueSpec(
        "CoLA", ("0", "1"),
        (Layout(3, None, 1, header=()), _named("x", None, "y"), _named("sentence", None, "label")),
        ("mcc", "accuracy")),
    "SST-2": GlueSpec(
        "SST-2", ("0", "1"),
        (_named("sentence", None, "label"), _named("x", None, "y"), _named("text", None, "label")),
        ("accuracy",)),
    "MRPC": GlueSpec("MRPC", ("0", "1"), (_named("#1 String", "#2 String", "Quality"),),
                     ("accuracy", "f1")),
    "STS-B": GlueSpec("STS-B", (), (_named("sentence1", "sentence2", "score"),),
                      ("pearson", "spearman")),
    "QQP": GlueSpec("QQP", ("0", "1"), (_named("question1", "question2", "is_duplicate"),),
                    ("accuracy", "f1")),
    "MNLI": GlueSpec(
        "MNLI", ("contradiction", "entailment", "neutral"),
        (_named("sentence1", "sentence2", "gold_label"),), ("accuracy",),
        eval_files=(("matched", "dev_matched.tsv"), ("mismatched", "dev_mismatched.tsv"))),
    "QNLI": GlueSpec("QNLI", ("entailment", "not_entailment"),
                     (_named("question", "sentence", "label"),), ("accuracy",)),
    "RTE": GlueSpec("RTE", ("entailment", "not_entailment"),
                    (_named("sentence1", "sentence2", "label"),), ("accuracy",)),
    "WNLI": GlueSpec("WNLI", ("0", "1"), (_named("sentence1", "sentence2", "label"),),
                     ("accuracy",)),
}


def _key(name):
  return "".join(ch for ch in name.lower() if ch.isalnum())


_ALIASES = {_key(name): name for name in TASKS}


def get_task(name):
  """GlueSpec by name, case- and punctuation-insensitive ("sst2" = "SST-2")."""
  key = _ALIASES.get(_key(name or ""))
  if key is None:
    raise GlueDataError(f"--task={name!r} is unknown: choose one of {', '.join(TASKS)}")
  return TASKS[key]


@dataclasses.dataclass(frozen=True)
class Example:
  guid: str
  text_a: str
  text_b: Optional[str]
  label: object            # str for classification, float for regression


def _detect_layout(task, header, path):
  """(layout, column indices (a, b, label), has_header) for a file's first line."""
  names = tuple(header)
  for layout in task.layouts:
    if layout.header == ():
      continue
    wanted = [c for c in (layout.text_a, layout.text_b, layout.label) if c is not None]
    if all(c in names for c in wanted):
      index = [names.index(c) if c is not None else None
               for c in (layout.text_a, layout.text_b, layout.label)]
      return layout, index, True
  for layout in task.layouts:  # headerless layouts: the first line is already data
    if layout.header == ():
      needed = max(c for c in (layout.text_a, layout.text_b, layout.label) if c is not None)
      if len(names) > needed:
        return layout, [layout.text_a, layout.text_b, layout.label], False
  accepted = " | ".join(
      "no header" if l.header == () else " ".join(str(c) for c in (l.text_a, l.text_b, l.label)
                                                   if c is not None)
      for l in task.layouts)
  raise GlueDataError(f"{path}:1: header {' '.join(names)!r} matches no {task.name} layout "
                      f"(columns needed: {accepted})")


def _read_lines(path):
  """The file's lines without line ends, a leading BOM and trailing blank lines.

  Raises GlueDataError naming the line of the first byte that is not UTF-8, and for a
  missing, unreadable or empty file.
  """
  try:
    with open(path, "rb") as f:
      data = f.read()
  except FileNotFoundError:
    raise GlueDataError(f"{path}: no such file: check --data_dir / the file name") from None
  except IsADirectoryError:
    raise GlueDataError(f"{path}: is a directory, not a TSV file: give the file") from None
  try:
    text = data.decode("utf-8-sig")      # -sig: GLUE's MRPC files start with a BOM
  except UnicodeDecodeError as e:
    line = data.count(b"\n", 0, e.start) + 1
    raise GlueDataError(f"{path}:{line}: not UTF-8 text ({e.reason} at byte {e.start}): "
                        f"re-encode the file as UTF-8 (e.g. iconv -t UTF-8)") from None
  lines = [line.rstrip("\r") for line in text.split("\n")]
  while lines and not lines[-1].strip():   # the final newline, and blank lines after it
    lines.pop()
  if not lines:
    raise GlueDataError(f"{path}:1: empty file: a GLUE TSV needs a header and data rows")
  return lines


def read_tsv_examples(task, path, split="train"):
  """Examples of one GLUE TSV file; raises GlueDataError with file:line on a bad row.

  A file without data rows (only a header, or nothing) is an error too: training on it or
  reporting a metric of it would be meaningless.
  """
  lines = _read_lines(path)
  first = lines[0].split("\t")
  layout, (ia, ib, il), has_header = _detect_layout(task, first, path)
  width = len(first)
  examples = []
  for line_number, line in enumerate(lines, start=1):
    if has_header and line_number == 1:
      continue
    fields = line.split("\t")
    if len(fields) != width:
      raise GlueDataError(f"{path}:{line_number}: {len(fields)} fields, expected {width} "
                          f"(tab-separated, as the header/first line)")
    examples.append(Example(
        guid=f"{split}-{len(examples)}", text_a=fields[ia],
        text_b=fields[ib] if ib is not None else None,
        label=_parse_label(task, fields[il].strip(), path, line_number)))
  del layout
  if not examples:
    raise GlueDataError(f"{path}: no data rows after the header: the {split} file needs "
                        "at least one example")
  return examples


def _parse_label(task, raw, path, line_number):
  if task.is_regression:
    try:
      value = float(raw)
    except ValueError:
      raise GlueDataError(f"{path}:{line_number}: label {raw!r} is not a number") from None
    if not math.isfinite(value):   # float() accepts "nan" and "inf": they would poison the loss
      raise GlueDataError(f"{path}:{line_number}: label {raw!r} is not a finite number")
    return value
  if raw not in task.labels:
    raise GlueDataError(f"{path}:{line_number}: label {raw!r} is not one of "
                        f"{', '.join(task.labels)}")
  return raw


def read_split(task, data_dir, split):
  """Examples of `split` ("train", or an eval split name such as "dev"/"matched")."""
  if split == "train":
    filename = task.train_file
  else:
    files = dict(task.eval_files)
    if split not in files:
      raise ValueError(f"{task.name} has no split {split!r}; splits: train, {', '.join(files)}")
    filename = files[split]
  if not os.path.isdir(data_dir):
    raise GlueDataError(f"--data_dir={data_dir}: "
                        f"{'not a directory' if os.path.exists(data_dir) else 'no such directory'}"
                        f": give the folder that holds {task.name}'s {filename}")
  path = os.path.join(data_dir, filename)
  if not os.path.exists(path):
    raise GlueDataError(f"{path}: no such file: --data_dir must hold {task.name}'s {filename}")
  return read_tsv_examples(task, path, split)


def label_id(task, label):
  """Integer class of a label (float unchanged for regression)."""
  return float(label) if task.is_regression else task.labels.index(label)
