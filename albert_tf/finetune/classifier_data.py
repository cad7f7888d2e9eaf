"""GLUE examples → fixed-length features (official classifier_utils.convert_single_example).

  [CLS] a [SEP]            single sentence: a cut to max_seq_length − 2 pieces
  [CLS] a [SEP] b [SEP]    pairs: pop the last piece of the longer side until ≤ max − 3
  type ids 0 for [CLS] a [SEP], 1 for b [SEP]; padding id 0, mask 0

Text goes through albert_tf.tokenization (preprocess_text, then SentencePiece). Long inputs
log their featurization progress (`featurizing`, also used by squad_data and race_data).

Example:
    >>> a, b = list("abcde"), list("xy")
    >>> truncate_seq_pair(a, b, 4); a, b
    (['a', 'b'], ['x', 'y'])
"""
import logging
import time

import numpy as np

from albert_tf.finetune import glue
from albert_tf import tokenization


def featurizing(examples, what, every_n=10_000, every_s=10.0):
  """Yields `examples`, logging `what: i/N examples` every `every_n` of them or `every_s`
  seconds, whichever comes first (nothing for inputs done sooner: SST-2's 67k train sentences
  log ~6 lines, a GLUE dev set none)."""
  total = len(examples) if hasattr(examples, "__len__") else "?"
  start = last = time.time()
  for i, example in enumerate(examples, start=1):
    yield example
    now = time.time()
    if i % every_n == 0 or now - last >= every_s:
      last = now
      logging.info("%s: %d/%s examples featurized (%.0f/s)", what, i, total, i / (now - start))


def truncate_seq_pair(tokens_a, tokens_b, max_length):
  """In place: drop the last token of the longer list until the total fits."""
  while len(tokens_a) + len(tokens_b) > max_length:
    (tokens_a if len(tokens_a) > len(tokens_b) else tokens_b).pop()


def pack(tokenizer, pieces_a, pieces_b, max_seq_length):
  """(input_word_ids, input_mask, input_type_ids) lists of length max_seq_length."""
  pieces_a = list(pieces_a)
  pieces_b = list(pieces_b) if pieces_b is not None else None
  if pieces_b is None:
    pieces_a = pieces_a[:max_seq_length - 2]
  else:
    truncate_seq_pair(pieces_a, pieces_b, max_seq_length - 3)
  tokens = [tokenization.CLS] + pieces_a + [tokenization.SEP]
  type_ids = [0] * len(tokens)
  if pieces_b is not None:
    tokens += pieces_b + [tokenization.SEP]
    type_ids += [1] * (len(pieces_b) + 1)
  ids = tokenizer.convert_tokens_to_ids(tokens)
  mask = [1] * len(ids)
  padding = max_seq_length - len(ids)
  return ids + [0] * padding, mask + [0] * padding, type_ids + [0] * padding


def examples_to_features(task, examples, tokenizer, max_seq_length):
  """Dict of numpy arrays: the three encoder inputs [N,T] and "label" [N]."""
  ids, masks, types, labels = [], [], [], []
  for example in featurizing(examples, f"{task.name} features"):
    pieces_b = tokenizer.tokenize(example.text_b) if example.text_b is not None else None
    i, m, t = pack(tokenizer, tokenizer.tokenize(example.text_a), pieces_b, max_seq_length)
    ids.append(i), masks.append(m), types.append(t)
    labels.append(glue.label_id(task, example.label))
  label_dtype = np.float32 if task.is_regression else np.int32
  return {"input_word_ids": np.asarray(ids, np.int32).reshape(-1, max_seq_length),
          "input_mask": np.asarray(masks, np.int32).reshape(-1, max_seq_length),
          "input_type_ids": np.asarray(types, np.int32).reshape(-1, max_seq_length),
          "label": np.asarray(labels, label_dtype)}
