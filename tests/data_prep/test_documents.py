"""Streaming reader: formats, gzip, globs, bad input with named errors."""
import gzip

import pytest

from data_prep import documents
from data_prep.documents import InputError, ReadCounts


def _docs(path, fmt="sentences"):
  counts = ReadCounts()
  with documents.open_binary(str(path)) as stream:
    return list(documents.iter_documents(stream, str(path), counts, fmt)), counts


def test_sentence_per_line_and_blank_lines_split_documents(tmp_path):
  p = tmp_path / "c.txt"
  p.write_text("a one.\na two.\n\n\n\nb one.\n  \nc one.\nc two.\n")
  docs, counts = _docs(p)
  assert docs == [["a one.", "a two."], ["b one."], ["c one.", "c two."]]
  assert counts.raw_documents == 3 and counts.lines == 9


def test_gzip_detected_by_magic_not_name(tmp_path):
  p = tmp_path / "c.data"
  with gzip.open(p, "wt") as f:
    f.write("x.\ny.\n\nz.\n")
  assert _docs(p)[0] == [["x.", "y."], ["z."]]


def test_invalid_utf8_replaced_and_counted(tmp_path):
  p = tmp_path / "c.txt"
  p.write_bytes(b"good line.\nbad \xff\xfe line.\n\xef\xbf\xbd real replacement char.\n")
  docs, counts = _docs(p)
  assert docs[0][1] == "bad \ufffd\ufffd line."
  assert counts.invalid_utf8_lines == 1 and counts.invalid_utf8_replacements == 2


def test_binary_file_is_skipped_and_counted(tmp_path, caplog):
  p = tmp_path / "model.bin"
  p.write_bytes(b"\x00\x01\x02" * 100)
  with pytest.raises(InputError, match="model.bin.*binary"):
    _docs(p)  # the low-level reader names it ...
  text = tmp_path / "a.txt"
  filler = b"Filler sentence.\n" * 600  # pushes the NUL line past the 8 KiB binary sniff
  text.write_bytes(b"One.\nTwo.\n\n" + filler + b"Three \x00 bad.\nFour.\n")
  counts = documents.ReadCounts()
  with caplog.at_level("WARNING"):
    blocks = list(documents.iter_all_blocks([str(p), str(text)], 1 << 20, counts))
  assert "model.bin" in caplog.text  # ... the pipeline reader warns, skips and counts it
  expected = [["One.", "Two."], ["Filler sentence."] * 600 + ["Four."]]
  assert [b.documents for b in blocks] == [expected]
  assert counts.binary_files_skipped == 1 and counts.binary_lines_skipped == 1


def test_missing_file_and_empty_glob_are_errors_naming_them(tmp_path):
  with pytest.raises(InputError, match="nope.txt"):
    documents.expand_input_patterns(str(tmp_path / "nope.txt"))
  with pytest.raises(InputError, match=r"\*.zzz"):
    documents.expand_input_patterns(str(tmp_path / "*.zzz"))


def test_unreadable_file_is_an_error_naming_it(tmp_path, monkeypatch):
  p = tmp_path / "locked.txt"
  p.write_text("x.\n")
  real_open = open

  def deny(path, *args, **kwargs):
    if str(path) == str(p):
      raise PermissionError(13, "Permission denied")
    return real_open(path, *args, **kwargs)
  monkeypatch.setattr("builtins.open", deny)  # mode 000 does not stop root
  with pytest.raises(InputError, match="locked.txt.*Permission denied"):
    _docs(p)


def test_globs_and_comma_lists_sorted_and_deduplicated(tmp_path):
  for name in ("b.txt", "a.txt", "c.gz"):
    (tmp_path / name).write_text("x.\n")
  files = documents.expand_input_patterns(f"{tmp_path}/*.txt,{tmp_path}/c.gz,{tmp_path}/a.txt")
  assert [f.rsplit("/", 1)[1] for f in files] == ["a.txt", "b.txt", "c.gz"]


def test_each_file_ends_a_document(tmp_path):
  (tmp_path / "1.txt").write_text("one.\n")
  (tmp_path / "2.txt").write_text("two.\n")
  blocks = list(documents.iter_all_blocks(
      [str(tmp_path / "1.txt"), str(tmp_path / "2.txt")], 1 << 20, ReadCounts()))
  assert [(b.file_index, b.documents) for b in blocks] == [(0, [["one."]]), (1, [["two."]])]


def test_blocks_group_documents_by_size(tmp_path):
  p = tmp_path / "c.txt"
  p.write_text("\n\n".join(f"doc {i} sentence." for i in range(10)) + "\n")
  with documents.open_binary(str(p)) as stream:
    blocks = list(documents.iter_blocks(stream, str(p), 0, 30, ReadCounts()))
  assert [len(b.documents) for b in blocks] == [2, 2, 2, 2, 2]
  assert [b.first_doc_index for b in blocks] == [0, 2, 4, 6, 8]
  assert [b.block_index for b in blocks] == [0, 1, 2, 3, 4]


def test_paragraph_format_splits_sentences(tmp_path):
  p = tmp_path / "c.txt"
  p.write_text('Mr. Darcy came. He left! Did he? "Yes." The U.S. army e.g. came.\n\nNext doc.\n')
  docs, _ = _docs(p, "paragraphs")
  assert docs == [["Mr. Darcy came.", "He left!", "Did he?", '"Yes."',
                   "The U.S. army e.g. came."], ["Next doc."]]


@pytest.mark.parametrize("text,expected", [
    ("One. Two.", ["One.", "Two."]),
    ("Dr. Who went to St. Ives. Then home.", ["Dr. Who went to St. Ives.", "Then home."]),
    ("It cost 3.5 dollars. Cheap.", ["It cost 3.5 dollars.", "Cheap."]),
    ("J. R. R. Tolkien wrote.", ["J. R. R. Tolkien wrote."]),
    ("no capital. after this", ["no capital. after this"]),
    ("", []),
])
def test_split_sentences_rule(text, expected):
  assert documents.split_sentences(text) == expected


def test_invalid_utf8_error_names_file_and_line(tmp_path):
  p = tmp_path / "c.txt"
  p.write_bytes(b"good line.\n\nstill good.\nbad \xe9 line.\n")
  with pytest.raises(InputError, match=r"c.txt', line 4: not UTF-8.*0xe9"):
    list(documents.iter_all_blocks([str(p)], 1 << 20, ReadCounts(), invalid_utf8="error"))


def test_truncated_gzip_is_an_input_error_naming_the_file(tmp_path):
  p = tmp_path / "c.txt.gz"
  data = gzip.compress(b"a sentence.\nanother.\n\n" * 5000)
  p.write_bytes(data[:len(data) // 2])
  with pytest.raises(InputError, match=r"c.txt.gz', after line \d+: the gzip data is truncated"):
    list(documents.iter_all_blocks([str(p)], 1 << 20, ReadCounts()))
