"""In-graph ALBERT text normalization, equal to data_prep's `preprocess_text(lower=True)`.

The official pipeline (docs/albert_reference.md §5, google-research/ALBERT tokenization.py)
is, in order:
  1. collapse whitespace runs to one space and strip (Python `" ".join(text.split())`);
  2. Unicode NFKD;
  3. drop combining characters (`unicodedata.combining(c) != 0`);
  4. lowercase (Python `str.lower()`).

Here each step is one graph op: `StaticRegexReplace` (core TF) with character classes
that are generated at export time from Python's own `str.isspace` and
`unicodedata.combining` tables (so they match data_prep's definitions exactly, rather
than RE2's ASCII-only `\\s` or the broader `\\p{Mn}`), `NormalizeUTF8` (TF Text, in the
stock model server's regression list, docs/serving_reference.md C9) and `StringLower` with
utf-8 encoding (core TF, ICU full lowercase mapping like Python's `str.lower`).
TF Text's `case_fold_utf8` is deliberately not used: it is NFKC_Casefold, which would
recompose the NFKD output (e.g. Hangul jamo) and fold "ß" to "ss".

Example:
    >>> import tensorflow as tf
    >>> normalize = make_normalizer()
    >>> [t.decode() for t in normalize(tf.constant(["  Héllo\\u3000 WORLD\\t", ""])).numpy()]
    ['hello world', '']
"""
import sys
import unicodedata

import tensorflow as tf
import tensorflow_text as tf_text


def _char_class(codepoints):
  """RE2 character class `[...]` matching exactly `codepoints` (sorted ints)."""
  ranges, start, prev = [], None, None
  for c in codepoints:
    if start is None:
      start = prev = c
    elif c == prev + 1:
      prev = c
    else:
      ranges.append((start, prev))
      start = prev = c
  if start is not None:
    ranges.append((start, prev))
  parts = [f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges]
  return "[" + "".join(parts) + "]"


def whitespace_class():
  """Characters Python's `str.split()` splits on (29 code points)."""
  return _char_class(c for c in range(sys.maxunicode + 1) if chr(c).isspace())


def combining_class():
  """Characters with a non-zero canonical combining class (912 in Unicode 15)."""
  return _char_class(c for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c)))


def make_normalizer(lower_case=True):
  """Returns fn(strings [B]) → normalized strings [B], all in-graph (see module doc)."""
  space_re = whitespace_class() + "+"
  combining_re = combining_class()

  def normalize(text):
    text = tf.strings.regex_replace(text, space_re, " ")
    text = tf.strings.regex_replace(text, "^ | $", "")
    text = tf_text.normalize_utf8(text, "NFKD")
    text = tf.strings.regex_replace(text, combining_re, "")
    if lower_case:
      text = tf.strings.lower(text, encoding="utf-8")
    return text

  return normalize
