"""SQuAD JSON → examples → doc-stride features, with a piece ↔ character map of the context.

Character mapping. The context is normalized character by character (whitespace runs → one
space, NFKD, combining marks dropped, lowercase: exactly albert_tf.tokenization's
preprocess_text, which is checked), encoded into SentencePiece pieces with
albert_tf.tokenization, and the pieces are aligned back onto the normalized characters
(SentencePiece's "▁" = a space). So every piece gets the span
[char_start, char_end) of original context characters it covers. An answer's character
span maps to the pieces that overlap it, and a predicted piece span maps back to the exact
context substring (no `get_final_text` heuristics). If the alignment fails (SentencePiece's own normalizer
changed a character) the context is redone word by word, and in words that still do not
align every piece covers the whole word (counted in stats["contexts_by_word"] and
stats["coarse_words"]).

Training answers are checked as the official `read_squad_examples` does: the words covering
the character span [answer_start, answer_start + len(text)), joined by spaces, must contain the
whitespace-normalized answer. An answer that fails the check but whose text occurs in the
context is moved to the occurrence nearest to answer_start (counted in
stats["answer_start_realigned"]; hand-edited files and other tokenizers' offsets are often a
few characters off); one whose text is nowhere in the context is skipped and counted in
stats["answer_not_found"] (the official code skips both kinds). `summarize_stats` says both in
one line.

Reading (`load_squad`, `validate`): a file that is missing, not UTF-8 or not JSON, or whose
items have the wrong types ("answers" not a list, "answer_start" not an integer, ...), raises
SquadDataError (a one-line errors.UserError) naming the file and the item (article /
paragraph / question index and the question id). A UTF-8 byte-order mark is accepted.

Features (official convert_examples_to_features): [CLS] query [SEP] doc-span [SEP]; the
query keeps its first max_query_length pieces; doc spans of at most
max_seq_length − len(query) − 3 pieces start every doc_stride pieces; each piece is scored
"max context" in the span where min(left, right) context + 0.01·span length is largest.
Training targets: the answer's piece positions, or 0 ([CLS]) when the answer is not inside
the span (v2: such a span is also labelled is_impossible = 1, as XLNet/ALBERT v2 do).
p_mask: 1 for query, [SEP] and padding; 0 for [CLS] and document pieces.
"""
import collections
import dataclasses
import json
import logging
import os
import unicodedata
from typing import List, Optional

import numpy as np

from albert_tf import errors
from albert_tf import tokenization
from albert_tf.finetune import classifier_data

SPIECE_UNDERLINE = tokenization.SPIECE_UNDERLINE


class SquadDataError(errors.UserError):
  """A missing or malformed SQuAD file (message: `path: item: what is wrong`)."""


def load_squad(path):
  """The parsed SQuAD JSON of `path`, validated (see `validate`); SquadDataError otherwise."""
  if not os.path.exists(path):
    raise SquadDataError(f"{path}: no such file: check the SQuAD file path")
  if os.path.isdir(path):
    raise SquadDataError(f"{path}: is a directory: give the SQuAD JSON file")
  with open(path, "rb") as f:
    data = f.read()
  try:
    text = data.decode("utf-8-sig")      # -sig: a leading byte-order mark is dropped
  except UnicodeDecodeError as e:
    line = data.count(b"\n", 0, e.start) + 1
    raise SquadDataError(f"{path}:{line}: not UTF-8 text ({e.reason} at byte {e.start}): "
                         "re-encode the file as UTF-8") from None
  try:
    dataset = json.loads(text)
  except json.JSONDecodeError as e:
    raise SquadDataError(f"{path}:{e.lineno}:{e.colno}: not JSON ({e.msg}): fix or "
                         "re-download the file") from None
  validate(dataset, path)
  return dataset


def _type_name(value):
  return "null" if value is None else type(value).__name__


def validate(dataset, source="SQuAD data"):
  """Raises SquadDataError unless `dataset` has SQuAD's structure and types.

  {"data": [{"paragraphs": [{"context": str, "qas": [{"id": str, "question": str,
  "answers": [{"text": str, "answer_start": int}], "is_impossible": bool (optional)}]}]}]}
  (the "id" is a string: predictions.json is keyed by it)
  """
  def fail(where, what):
    raise SquadDataError(f"{source}: {where}: {what}: fix the item (SQuAD layout: "
                         "data[].paragraphs[].qas[].answers[])")

  def need(value, kind, where, what):
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
      fail(where, f"{what} must be {_KIND_NAMES[kind]}, got {_type_name(value)}")

  need(dataset, dict, "top level", "the file")
  need(dataset.get("data"), list, "top level", '"data"')
  for a, article in enumerate(dataset["data"]):
    where = f"data[{a}]"
    need(article, dict, where, "an article")
    need(article.get("paragraphs"), list, where, '"paragraphs"')
    for p, paragraph in enumerate(article["paragraphs"]):
      where = f"data[{a}].paragraphs[{p}]"
      need(paragraph, dict, where, "a paragraph")
      need(paragraph.get("context"), str, where, '"context"')
      need(paragraph.get("qas"), list, where, '"qas"')
      for q, qa in enumerate(paragraph["qas"]):
        where = f"data[{a}].paragraphs[{p}].qas[{q}]"
        need(qa, dict, where, "a question")
        if isinstance(qa.get("id"), str):
          where += f" (id {qa['id']!r})"
        else:
          fail(where, f'"id" must be a string, got {_type_name(qa.get("id"))}')
        need(qa.get("question"), str, where, '"question"')
        if "is_impossible" in qa:
          need(qa["is_impossible"], bool, where, '"is_impossible"')
        need(qa.get("answers", []), list, where, '"answers"')
        for n, answer in enumerate(qa.get("answers", [])):
          need(answer, dict, f"{where} answers[{n}]", "an answer")
          need(answer.get("text"), str, f"{where} answers[{n}]", '"text"')
          need(answer.get("answer_start"), int, f"{where} answers[{n}]", '"answer_start"')


_KIND_NAMES = {dict: "an object", list: "a list", str: "a string", int: "an integer",
               bool: "true or false"}


def summarize_stats(stats, source):
  """One line about the training answers that were moved or skipped (None if none were)."""
  moved, missing = stats.get("answer_start_realigned", 0), stats.get("answer_not_found", 0)
  if not moved and not missing:
    return None
  return (f"{source}: {moved} answer(s) re-aligned to their text's nearest occurrence "
          f"(answer_start was off), {missing} answer(s) not found in their context "
          f"(question skipped)")


@dataclasses.dataclass
class SquadExample:
  qas_id: str
  question_text: str
  context_text: str
  answer_text: str = ""
  answer_start: int = -1            # character offset in context_text; -1 = none
  is_impossible: bool = False


@dataclasses.dataclass
class ContextPieces:
  """A context split into pieces, each with its [start, end) character span."""
  pieces: List[str]
  char_spans: List[tuple]

  def piece_span(self, char_start, char_end):
    """(first, last) piece indices overlapping [char_start, char_end); None if none."""
    covered = [i for i, (s, e) in enumerate(self.char_spans)
               if e > s and s < char_end and e > char_start]
    return (covered[0], covered[-1]) if covered else None

  def text(self, context, first, last):
    """The context substring from the start of piece `first` to the end of piece `last`."""
    return context[self.char_spans[first][0]:self.char_spans[last][1]]


def _is_whitespace(ch):
  return ch.isspace() or ord(ch) == 0x202F


def _normalize_with_map(word, lower):
  """preprocess_text(word) character by character: (normalized, index into word per char)."""
  chars, origin = [], []
  for i, ch in enumerate(word):
    piece = unicodedata.normalize("NFKD", ch)
    piece = "".join(c for c in piece if not unicodedata.combining(c))
    if lower:
      piece = piece.lower()
    chars.append(piece)
    origin.extend([i] * len(piece))
  return "".join(chars), origin


def _align(pieces, normalized):
  """Per piece, the normalized-char indices it covers, or None if they do not line up."""
  text = normalized
  pos, out = 0, []
  for piece in pieces:
    covered = []
    for ch in piece.replace(SPIECE_UNDERLINE, " "):
      if ch == " ":
        if pos < len(text) and text[pos] == " ":
          pos += 1
        continue
      while pos < len(text) and text[pos] == " ":
        pos += 1
      if pos >= len(text) or text[pos] != ch:
        return None
      covered.append(pos)
      pos += 1
    out.append(covered)
  return out if pos >= len(text.rstrip(" ")) else None


def _words(text):
  """(start, end) of each whitespace-separated word."""
  out, i, n = [], 0, len(text)
  while i < n:
    if _is_whitespace(text[i]):
      i += 1
      continue
    j = i
    while j < n and not _is_whitespace(text[j]):
      j += 1
    out.append((i, j))
    i = j
  return out


def _spans_from_alignment(aligned, origin, end_of_text):
  """Character spans per piece; empty pieces ("▁") get a zero-width span at the next piece."""
  spans, next_start = [], end_of_text
  for covered in reversed(aligned):
    if covered:
      start, end = origin[covered[0]], origin[covered[-1]] + 1
      next_start = start
    else:
      start = end = next_start
    spans.append((start, end))
  return spans[::-1]


def tokenize_context(tokenizer, context, stats=None):
  """ContextPieces of `context` (see the module docstring).

  The pieces are those of tokenizer.tokenize(context) (the whole paragraph at once, as
  the official code: SentencePiece's segmentation of a word can depend on its neighbours).
  """
  lower = tokenizer.do_lower_case
  chars, origin = [], []
  for start, end in _words(context):
    if chars:
      chars.append(" ")
      origin.append(start)
    normalized, word_origin = _normalize_with_map(context[start:end], lower)
    chars.append(normalized)
    origin.extend(start + k for k in word_origin)
  normalized = "".join(chars)
  if normalized == tokenization.preprocess_text(context, lower=lower):
    pieces = tokenizer.encode_pieces(normalized)
    aligned = _align(pieces, normalized)
    if aligned is not None:
      return ContextPieces(pieces, _spans_from_alignment(aligned, origin, len(context)))
  return _tokenize_context_by_word(tokenizer, context, stats)


def _tokenize_context_by_word(tokenizer, context, stats):
  """Fallback: word by word; unalignable words map every piece to the whole word."""
  pieces, spans = [], []
  if stats is not None:
    stats["contexts_by_word"] += 1
  for i, j in _words(context):
    word = context[i:j]
    normalized, origin = _normalize_with_map(word, tokenizer.do_lower_case)
    if normalized != tokenization.preprocess_text(word, lower=tokenizer.do_lower_case):
      normalized, origin = tokenization.preprocess_text(word, lower=tokenizer.do_lower_case), None
    word_pieces = tokenizer.encode_pieces(normalized)
    aligned = _align(word_pieces, normalized) if origin is not None else None
    if aligned is None:
      if stats is not None:
        stats["coarse_words"] += 1
      spans.extend([(i, j)] * len(word_pieces))
    else:
      spans.extend(_spans_from_alignment(aligned, [i + k for k in origin], j))
    pieces.extend(word_pieces)
  return ContextPieces(pieces, spans)


def read_squad(path_or_data, is_training, version="2.0", stats=None):
  """SquadExamples of a SQuAD JSON file (or its parsed, validated dict).

  Training: the first answer of each question, re-aligned or skipped as the module
  docstring says (stats["answer_start_realigned"], stats["answer_not_found"]).
  """
  data = path_or_data
  source = "SQuAD data"
  if isinstance(path_or_data, str):
    data, source = load_squad(path_or_data), path_or_data
  stats = stats if stats is not None else collections.Counter()
  if is_training:   # present (0) in results.json's stats even when nothing was moved
    stats["answer_start_realigned"] += 0
    stats["answer_not_found"] += 0
  examples = []
  for article in data["data"]:
    for paragraph in article["paragraphs"]:
      context = paragraph["context"]
      for qa in paragraph["qas"]:
        impossible = bool(qa.get("is_impossible", False)) and str(version) == "2.0"
        example = SquadExample(qa["id"], qa["question"], context, is_impossible=impossible)
        if is_training and not impossible:
          if not qa.get("answers"):
            raise SquadDataError(f"{source}: question id {qa['id']!r}: no answers and not "
                                 "is_impossible: a training question needs an answer")
          answer = qa["answers"][0]
          example.answer_text, example.answer_start = answer["text"], int(answer["answer_start"])
          if not _answer_found(context, example.answer_text, example.answer_start):
            start = _nearest_occurrence(context, example.answer_text, example.answer_start)
            if start is None:
              stats["answer_not_found"] += 1
              logging.warning("skipping %s: answer %r is not in its context", qa["id"],
                              example.answer_text)
              continue
            stats["answer_start_realigned"] += 1
            logging.info("%s: answer %r moved from answer_start %d to %d", qa["id"],
                         example.answer_text, example.answer_start, start)
            example.answer_start = start
        examples.append(example)
  return examples


def _nearest_occurrence(context, answer, start):
  """Start of the occurrence of `answer` in `context` nearest to `start` (None: none)."""
  if not answer.strip():
    return None
  best, position = None, context.find(answer)
  while position >= 0:
    if best is None or abs(position - start) < abs(best - start):
      best = position
    position = context.find(answer, position + 1)
  return best


def _answer_found(context, answer, start):
  """Official check: words covering the span, joined by spaces, contain the answer words."""
  end = start + len(answer)
  if start < 0 or end > len(context) or not answer.strip():
    return False
  lo = start
  while lo > 0 and not _is_whitespace(context[lo - 1]):
    lo -= 1
  hi = end
  while hi < len(context) and not _is_whitespace(context[hi]):
    hi += 1
  actual = " ".join(context[lo:hi].split())
  return " ".join(answer.split()) in actual


@dataclasses.dataclass
class FeatureMeta:
  """What decoding needs about one feature (doc span) of one example."""
  example_index: int
  token_to_piece: List[Optional[int]]     # context piece index per token, None for others
  token_is_max_context: List[bool]


def _doc_spans(num_pieces, max_tokens, doc_stride):
  spans, start = [], 0
  while start < num_pieces or not spans:
    length = min(num_pieces - start, max_tokens)
    spans.append((start, length))
    if start + length >= num_pieces:
      break
    start += min(length, doc_stride)
  return spans


def _is_max_context(spans, span_index, position):
  best_score, best_index = None, None
  for index, (start, length) in enumerate(spans):
    end = start + length - 1
    if position < start or position > end:
      continue
    score = min(position - start, end - position) + 0.01 * length
    if best_score is None or score > best_score:
      best_score, best_index = score, index
  return best_index == span_index


def convert_examples_to_features(examples, tokenizer, max_seq_length=384, doc_stride=128,
                                 max_query_length=64, is_training=False, version="1.1",
                                 stats=None):
  """(features dict of numpy arrays, list of FeatureMeta, list of ContextPieces)."""
  stats = stats if stats is not None else collections.Counter()
  arrays = collections.defaultdict(list)
  metas, contexts = [], []
  context_cache = {}
  for example_index, example in enumerate(classifier_data.featurizing(examples,
                                                                     "SQuAD features")):
    if example.context_text not in context_cache:
      context_cache[example.context_text] = tokenize_context(tokenizer, example.context_text,
                                                             stats)
    ctx = context_cache[example.context_text]
    contexts.append(ctx)
    query = tokenizer.tokenize(example.question_text)[:max_query_length]
    max_doc = max_seq_length - len(query) - 3
    if max_doc <= 0:
      raise ValueError(f"max_seq_length={max_seq_length} leaves no room for the document "
                       f"after a {len(query)}-piece question")
    answer_span = None
    if is_training and not example.is_impossible:
      answer_span = ctx.piece_span(example.answer_start,
                                   example.answer_start + len(example.answer_text))
    spans = _doc_spans(len(ctx.pieces), max_doc, doc_stride)
    for span_index, (start, length) in enumerate(spans):
      tokens = [tokenization.CLS] + query + [tokenization.SEP]
      token_to_piece = [None] * len(tokens)
      p_mask = [0] + [1] * (len(query) + 1)
      is_max = [False] * len(tokens)
      for k in range(start, start + length):
        tokens.append(ctx.pieces[k])
        token_to_piece.append(k)
        p_mask.append(0)
        is_max.append(_is_max_context(spans, span_index, k))
      tokens.append(tokenization.SEP)
      token_to_piece.append(None)
      p_mask.append(1)
      is_max.append(False)
      type_ids = [0] * (len(query) + 2) + [1] * (length + 1)
      ids = tokenizer.convert_tokens_to_ids(tokens)
      pad = max_seq_length - len(ids)
      arrays["input_word_ids"].append(ids + [0] * pad)
      arrays["input_mask"].append([1] * len(ids) + [0] * pad)
      arrays["input_type_ids"].append(type_ids + [0] * pad)
      arrays["p_mask"].append(p_mask + [1] * pad)
      if is_training:
        offset = len(query) + 2
        impossible = example.is_impossible
        start_pos = end_pos = 0
        if not impossible:
          if answer_span is None:
            impossible = True
          elif answer_span[0] >= start and answer_span[1] < start + length:
            start_pos, end_pos = answer_span[0] - start + offset, answer_span[1] - start + offset
          else:
            impossible = True     # the answer is not inside this doc span
        arrays["start_positions"].append(start_pos)
        arrays["end_positions"].append(end_pos)
        arrays["is_impossible"].append(int(impossible and str(version) == "2.0"))
      metas.append(FeatureMeta(example_index, token_to_piece, is_max))
  features = {k: np.asarray(v, np.int32) for k, v in arrays.items()}
  if not features:
    features = {k: np.zeros([0, max_seq_length], np.int32)
                for k in ("input_word_ids", "input_mask", "input_type_ids", "p_mask")}
  return features, metas, contexts
