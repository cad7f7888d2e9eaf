"""RACE JSON → 4-choice features (official race_utils).

Input layout (official RACE release): one JSON object per file
  {"id": "high123.txt", "article": str, "questions": [str], "options": [[4 × str]],
   "answers": ["A".."D"]}
A path may be such a file, a folder searched recursively for *.txt / *.json files, or a
JSON-lines file / a JSON list holding several of these objects.

Per option: qa = question with every "_" replaced by the option, else "question option";
qa keeps its LAST max_qa_length pieces; the article keeps its first
max_seq_length − 3 − len(qa) pieces; [CLS] article [SEP] qa [SEP], type ids 0 | 1.
Features are [N, 4, T]; label = index of the answer letter.

Errors (RaceDataError, a one-line errors.UserError): a path that does not exist, a file that
is not UTF-8 or not JSON (file and line:column, or the JSON-lines line), an object without the
four keys or with wrong types (questions/options/answers not lists of strings, an options
entry without exactly 4 strings, an answer not in A-D: file, object id and question index),
and no questions at all. A UTF-8 byte-order mark is accepted.
"""
import dataclasses
import glob
import json
import os
from typing import List

import numpy as np

from albert_tf import errors
from albert_tf.finetune import classifier_data

NUM_CHOICES = 4


@dataclasses.dataclass
class RaceExample:
  example_id: str
  article: str
  question: str
  options: List[str]
  label: int


class RaceDataError(errors.UserError):
  """A missing or malformed RACE file (message: `path: where: what is wrong`)."""


def _read_text(path):
  """A file's text; RaceDataError for a missing file or bytes that are not UTF-8."""
  if not os.path.exists(path):
    raise RaceDataError(f"{path}: no such file or directory: check --train_file/--eval_file "
                        "(or --data_dir)")
  with open(path, "rb") as f:
    data = f.read()
  try:
    return data.decode("utf-8-sig")      # -sig: a leading byte-order mark is dropped
  except UnicodeDecodeError as e:
    line = data.count(b"\n", 0, e.start) + 1
    raise RaceDataError(f"{path}:{line}: not UTF-8 text ({e.reason} at byte {e.start}): "
                        "re-encode the file as UTF-8") from None


def _load_objects(path):
  if os.path.isdir(path):
    files = sorted(glob.glob(os.path.join(path, "**", "*.txt"), recursive=True)
                   + glob.glob(os.path.join(path, "**", "*.json"), recursive=True))
    if not files:
      raise RaceDataError(f"{path}: no *.txt or *.json RACE files in this folder")
    for file in files:
      yield from _load_objects(file)
    return
  text = _read_text(path)
  try:
    value = json.loads(text)
  except json.JSONDecodeError as whole:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if len(lines) <= 1 or not _parses(lines[0][1]):
      # One (pretty-printed) JSON document: report where it breaks.
      raise RaceDataError(f"{path}:{whole.lineno}:{whole.colno}: not JSON ({whole.msg}): "
                          "fix the file (a RACE file is one JSON object, or one per line)"
                          ) from None
    for line_number, line in lines:   # JSON lines: one object per line
      try:
        yield f"{path}:{line_number}", json.loads(line)
      except json.JSONDecodeError as e:
        raise RaceDataError(f"{path}:{line_number}:{e.colno}: not JSON ({e.msg}): fix the "
                            "line (JSON lines: one RACE object per line)") from None
    return
  values = value if isinstance(value, list) else [value]
  for index, v in enumerate(values):
    yield (f"{path} (object {index})" if isinstance(value, list) else path), v


def _parses(text):
  try:
    json.loads(text)
    return True
  except json.JSONDecodeError:
    return False


def _is_str_list(value):
  return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _bad_item(where, what):
  return RaceDataError(f"{where}: {what}: fix the item (RACE: article, questions, options "
                       "(4 strings per question), answers A-D)")


def _check_object(source, obj):
  """RaceDataError unless obj has RACE's keys and types (see the module docstring)."""
  if not isinstance(obj, dict):
    raise _bad_item(source, f"a RACE item must be a JSON object, got {type(obj).__name__}")
  name = f"{source} (id {obj['id']!r})" if isinstance(obj.get("id"), str) else source
  missing = [k for k in ("article", "questions", "options", "answers") if k not in obj]
  if missing:
    raise _bad_item(name, f"missing key {missing[0]!r}")
  if not isinstance(obj["article"], str):
    raise _bad_item(name, f"'article' must be a string, got {type(obj['article']).__name__}")
  for key in ("questions", "answers"):
    if not _is_str_list(obj[key]):
      raise _bad_item(name, f"{key!r} must be a list of strings")
  if not isinstance(obj["options"], list):
    raise _bad_item(name, "'options' must be a list of 4-string lists")
  questions, options, answers = obj["questions"], obj["options"], obj["answers"]
  if not len(questions) == len(options) == len(answers):
    raise _bad_item(name, f"{len(questions)} questions, {len(options)} option lists, "
                    f"{len(answers)} answers: they must be equally many")
  for i, (opts, answer) in enumerate(zip(options, answers)):
    if not _is_str_list(opts) or len(opts) != NUM_CHOICES:
      count = f"{len(opts)} entries" if isinstance(opts, list) else type(opts).__name__
      raise _bad_item(name, f"question {i}: options must be 4 strings, got {count}")
    if answer not in ("A", "B", "C", "D"):
      raise _bad_item(name, f"question {i}: answer {answer!r} is not one of A, B, C, D")
  return name


def read_race(path):
  """RaceExamples of a file or folder (see the module docstring); RaceDataError if malformed
  or without any question."""
  examples = []
  for source, obj in _load_objects(path):
    _check_object(source, obj)
    for i, (question, opts, answer) in enumerate(zip(obj["questions"], obj["options"],
                                                     obj["answers"])):
      examples.append(RaceExample(f"{obj.get('id', source)}-{i}", obj["article"], question,
                                  list(opts), ord(answer) - ord("A")))
  if not examples:
    raise RaceDataError(f"{path}: no RACE questions: the file or folder needs at least one")
  return examples


def qa_text(question, option):
  return question.replace("_", option) if "_" in question else f"{question} {option}"


def examples_to_features(examples, tokenizer, max_seq_length=512, max_qa_length=128):
  """{"input_word_ids"|"input_mask"|"input_type_ids": [N,4,T], "label": [N]}."""
  arrays = {k: [] for k in ("input_word_ids", "input_mask", "input_type_ids")}
  labels = []
  for example in classifier_data.featurizing(examples, "RACE features"):
    article = tokenizer.tokenize(example.article)
    choice_arrays = {k: [] for k in arrays}
    for option in example.options:
      qa = tokenizer.tokenize(qa_text(example.question, option))[-max_qa_length:]
      context = article[:max(0, max_seq_length - 3 - len(qa))]
      ids, mask, types = classifier_data.pack(tokenizer, context, qa, max_seq_length)
      for key, value in zip(("input_word_ids", "input_mask", "input_type_ids"),
                            (ids, mask, types)):
        choice_arrays[key].append(value)
    for key in arrays:
      arrays[key].append(choice_arrays[key])
    labels.append(example.label)
  out = {k: np.asarray(v, np.int32).reshape(-1, NUM_CHOICES, max_seq_length)
         for k, v in arrays.items()}
  out["label"] = np.asarray(labels, np.int32)
  return out
