"""Fixtures for data_prep tests: small real corpora cut from the shipped books."""
import gzip

import pytest

from albert_tf import resources


def _first_documents(n_docs, max_sentences_per_doc):
  docs, doc = [], []
  with gzip.open(resources.DEFAULT_CORPUS, "rt", encoding="utf-8") as f:
    for line in f:
      line = line.strip()
      if not line:
        docs.append(doc)
        doc = []
        if len(docs) == n_docs:
          break
      elif len(doc) < max_sentences_per_doc:
        doc.append(line)
  return docs


def write_corpus(path, docs, compress=False):
  text = "\n\n".join("\n".join(d) for d in docs) + "\n"
  if compress:
    with gzip.open(path, "wt", encoding="utf-8") as f:
      f.write(text)
  else:
    path.write_text(text, encoding="utf-8")
  return str(path)


@pytest.fixture(scope="session")
def book_docs():
  """24 real documents of at most 40 sentences (≈ 60 KB of text)."""
  return _first_documents(24, 40)


@pytest.fixture
def small_corpus(tmp_path, book_docs):
  return write_corpus(tmp_path / "corpus.txt", book_docs)


@pytest.fixture
def two_file_corpus(tmp_path, book_docs):
  a = write_corpus(tmp_path / "a.txt", book_docs[:12])
  b = write_corpus(tmp_path / "b.txt.gz", book_docs[12:], compress=True)
  return f"{a},{b}"

