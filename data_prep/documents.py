"""① Streaming document reader (docs/albert_reference.md §3.2).

Input format (official): one sentence per line, a blank line between documents.
With `input_format="paragraphs"` each non-blank line is a paragraph that is
split into sentences here (`split_sentences`); blank lines still end documents.

Files may be plain or gzip (detected by magic bytes), given as globs and/or a
comma-separated list. Invalid UTF-8 raises `InputError` naming the file and line
(`invalid_utf8="error"`, the CLIs' default) or is replaced by U+FFFD and counted
(`"replace"`). A file that is missing, unreadable or truncated (a .gz cut short) raises
`InputError` naming it. A binary file (NUL bytes in
its first 8 KiB) is skipped with a warning naming it, and a line with NUL bytes further in
is skipped; both are counted (`binary_files_skipped`, `binary_lines_skipped` in stats.json).

Documents are grouped into *blocks* of about `block_bytes` of text. A block is
the unit of work (one worker, one output shard) and the pool from which
random-document B segments are drawn; block boundaries depend only on the input,
so the output does not depend on the number of workers.

Example:
    >>> split_sentences('He said "Hi." Mr. Smith left. It rained!')
    ['He said "Hi."', 'Mr. Smith left.', 'It rained!']
"""
import contextlib
import dataclasses
import glob
import gzip
import io
import logging
import os
import re
import zlib
from typing import List

from albert_tf import errors

log = logging.getLogger(__name__)
_GZIP_MAGIC = b"\x1f\x8b"
_BINARY_SNIFF_BYTES = 8192


INVALID_UTF8_POLICIES = ("error", "replace")


class InputError(errors.UserError):
  """A user-facing problem with an input file (message names the file)."""


class BinaryInputError(InputError):
  """The file holds binary data, not text (readers skip it and count it)."""


@dataclasses.dataclass
class Block:
  """Consecutive raw documents of one input file.

  Attributes:
    file_index: position of the file in the sorted input list.
    block_index: position of the block within its file.
    first_doc_index: index (within the file) of the first document.
    documents: list of documents, each a list of sentence strings.
  """
  file_index: int
  block_index: int
  first_doc_index: int
  documents: List[List[str]]


@dataclasses.dataclass
class ReadCounts:
  files: int = 0
  bytes_read: int = 0
  lines: int = 0
  invalid_utf8_lines: int = 0
  invalid_utf8_replacements: int = 0
  raw_documents: int = 0
  binary_files_skipped: int = 0
  binary_lines_skipped: int = 0

  def add(self, other):
    for f in dataclasses.fields(self):
      setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def expand_input_patterns(input_file):
  """Comma list of paths/globs → sorted, de-duplicated file list (order per item kept)."""
  files = []
  for pattern in (p.strip() for p in input_file.split(",")):
    if not pattern:
      continue
    if glob.has_magic(pattern):
      matches = sorted(m for m in glob.glob(pattern) if os.path.isfile(m))
      if not matches:
        raise InputError(f"--input_file pattern {pattern!r} matches no file: check the path "
                         "and quote the glob so that the shell does not expand it")
      files.extend(matches)
    else:
      if not os.path.isfile(pattern):
        what = "is a directory" if os.path.isdir(pattern) else "does not exist"
        raise InputError(f"--input_file {pattern!r} {what}: give text files, globs or a "
                         "comma-separated list of them")
      files.append(pattern)
  if not files:
    raise InputError("--input_file is empty: give a path, a glob or a comma-separated list")
  seen = set()
  return [f for f in files if not (f in seen or seen.add(f))]


@contextlib.contextmanager
def open_binary(path):
  """Context manager: a plain or gzip file opened for binary line reading.

  Raises InputError naming the file if it is missing, unreadable or binary.
  """
  try:
    raw = open(path, "rb")  # pylint: disable=consider-using-with
  except OSError as e:
    # Listed a moment ago, gone or unreadable now (deleted, permissions, a directory).
    raise InputError(f"cannot read input file {path!r}: {e.strerror}: check that it "
                     "exists and is readable, then rerun") from e
  with raw:
    yield wrap_stream(raw, path)


def wrap_stream(raw, path):
  """Adds gzip decoding (by magic bytes) and the binary-content check to `raw`."""
  try:
    is_gzip = raw.peek(2)[:2] == _GZIP_MAGIC if hasattr(raw, "peek") else False
    if not hasattr(raw, "peek"):
      raw = io.BufferedReader(raw, buffer_size=1 << 16)
      is_gzip = raw.peek(2)[:2] == _GZIP_MAGIC
    stream = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip else raw
    sniff = stream.peek(_BINARY_SNIFF_BYTES)[:_BINARY_SNIFF_BYTES]
  except (OSError, EOFError, zlib.error) as e:
    raise _read_error(path, e, 0) from e
  if b"\x00" in sniff:
    raise BinaryInputError(f"input file {path!r} looks binary (NUL bytes); expected UTF-8 text,"
                     " one sentence per line")
  return stream


def _read_error(path, e, line):
  """InputError for a read that failed after the file was opened (truncated .gz, I/O)."""
  where = f"{path!r}, after line {line}" if line else repr(path)
  if isinstance(e, (EOFError, zlib.error, gzip.BadGzipFile)):
    return InputError(f"input file {where}: the gzip data is truncated or corrupt ({e}): "
                      "re-create or re-download the file, then rerun")
  return InputError(f"cannot read input file {where}: {e}: check the file, then rerun")


def _decode(line_bytes, counts, path="<input>", line=0, invalid_utf8="replace"):
  try:
    return line_bytes.decode("utf-8")
  except UnicodeDecodeError as e:
    if invalid_utf8 == "error":
      raise InputError(
          f"input file {path!r}, line {line}: not UTF-8 text ({e.reason}: byte "
          f"0x{line_bytes[e.start]:02x} at column {e.start + 1}): re-encode the file as UTF-8 "
          "(e.g. iconv -f LATIN1 -t UTF-8) or pass --invalid_utf8=replace to replace such "
          "bytes by U+FFFD") from None
    text = line_bytes.decode("utf-8", errors="replace")
    counts.invalid_utf8_lines += 1
    counts.invalid_utf8_replacements += text.count("\ufffd") - line_bytes.count(
        "\ufffd".encode("utf-8"))
    return text


def iter_documents(stream, path, counts, input_format="sentences", invalid_utf8="replace"):
  """Yields documents (lists of sentence strings) from a binary stream.

  `invalid_utf8`: "error" raises InputError at the first line that is not UTF-8 (naming
  the file and line); "replace" replaces bad bytes by U+FFFD and counts the line.
  """
  doc, line_number = [], 0
  lines = iter(stream)
  while True:
    try:
      line_bytes = next(lines, None)
    except (OSError, EOFError, zlib.error) as e:
      raise _read_error(path, e, line_number) from e
    if line_bytes is None:
      break
    line_number += 1
    counts.bytes_read += len(line_bytes)
    counts.lines += 1
    if b"\x00" in line_bytes:
      counts.binary_lines_skipped += 1
      continue
    line = _decode(line_bytes, counts, path, line_number, invalid_utf8).strip()
    if not line:
      if doc:
        counts.raw_documents += 1
        yield doc
      doc = []
    elif input_format == "paragraphs":
      doc.extend(split_sentences(line))
    else:
      doc.append(line)
  if doc:
    counts.raw_documents += 1
    yield doc


def iter_blocks(stream, path, file_index, block_bytes, counts, input_format="sentences",
                invalid_utf8="replace"):
  """Groups the documents of one file into `Block`s of about `block_bytes` of text."""
  block_index, doc_index, first, docs, size = 0, 0, 0, [], 0
  for doc in iter_documents(stream, path, counts, input_format, invalid_utf8):
    docs.append(doc)
    size += sum(len(s) for s in doc)
    doc_index += 1
    if size >= block_bytes:
      yield Block(file_index, block_index, first, docs)
      block_index, first, docs, size = block_index + 1, doc_index, [], 0
  if docs:
    yield Block(file_index, block_index, first, docs)


def iter_all_blocks(files, block_bytes, counts, input_format="sentences",
                    invalid_utf8="replace"):
  """Blocks of every file, in file order. Each file ends a document."""
  for file_index, path in enumerate(files):
    counts.files += 1
    try:
      with open_binary(path) as stream:
        yield from iter_blocks(stream, path, file_index, block_bytes, counts, input_format,
                               invalid_utf8)
    except BinaryInputError as e:
      log.warning("skipping %s", e)
      counts.binary_files_skipped += 1


# Sentence splitter for --input_format=paragraphs: split after . ! ? (plus an
# optional closing quote/bracket) when whitespace and an uppercase letter, digit
# or opening quote follow; not after common abbreviations or single initials.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st messrs capt col gen rev prof jr sr no vol fig vs cf etc "
    "jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e u.s".split())
_BOUNDARY = re.compile(r"""([.!?]+["'\u201d\u2019)\]]?)\s+(?=["'\u201c\u2018(\[]?[A-Z0-9])""")


def split_sentences(paragraph):
  """Splits a paragraph into sentences with a deterministic rule (see above)."""
  sentences, start = [], 0
  for m in _BOUNDARY.finditer(paragraph):
    end = m.end(1)
    words = paragraph[start:m.start(1)].split()
    last = words[-1].lower().rstrip(".") if words else ""
    if m.group(1).startswith(".") and (last in _ABBREVIATIONS or len(last) == 1):
      continue
    sentences.append(paragraph[start:end].strip())
    start = m.end()
  tail = paragraph[start:].strip()
  if tail:
    sentences.append(tail)
  return [s for s in sentences if s]
