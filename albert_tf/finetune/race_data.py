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
"""
import dataclasses
import glob
import json
import os
from typing import List

import numpy as np

from albert_tf.finetune import classifier_data

NUM_CHOICES = 4


@dataclasses.dataclass
class RaceExample:
  example_id: str
  article: str
  question: str
  options: List[str]
  label: int


class RaceDataError(ValueError):
  pass


def _load_objects(path):
  if os.path.isdir(path):
    files = sorted(glob.glob(os.path.join(path, "**", "*.txt"), recursive=True)
                   + glob.glob(os.path.join(path, "**", "*.json"), recursive=True))
    if not files:
      raise RaceDataError(f"{path}: no *.txt or *.json RACE files")
    for file in files:
      yield from _load_objects(file)
    return
  with open(path, encoding="utf-8") as f:
    text = f.read()
  try:
    value = json.loads(text)
    yield from ((path, v) for v in (value if isinstance(value, list) else [value]))
  except json.JSONDecodeError:
    for line_number, line in enumerate(text.splitlines(), start=1):
      if line.strip():
        try:
          yield path, json.loads(line)
        except json.JSONDecodeError as e:
          raise RaceDataError(f"{path}:{line_number}: not JSON ({e.msg})") from None


def read_race(path):
  """RaceExamples of a file or folder (see the module docstring)."""
  examples = []
  for source, obj in _load_objects(path):
    try:
      article, questions = obj["article"], obj["questions"]
      options, answers = obj["options"], obj["answers"]
    except KeyError as e:
      raise RaceDataError(f"{source}: missing key {e.args[0]!r} (need article, questions, "
                          "options, answers)") from None
    if not len(questions) == len(options) == len(answers):
      raise RaceDataError(f"{source}: {len(questions)} questions, {len(options)} option lists, "
                          f"{len(answers)} answers")
    for i, (question, opts, answer) in enumerate(zip(questions, options, answers)):
      if len(opts) != NUM_CHOICES or answer not in "ABCD" or len(answer) != 1:
        raise RaceDataError(f"{source}: question {i}: need 4 options and an answer in A-D")
      examples.append(RaceExample(f"{obj.get('id', source)}-{i}", article, question,
                                  list(opts), ord(answer) - ord("A")))
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
