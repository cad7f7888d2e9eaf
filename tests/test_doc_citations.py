"""Citations of docs/ resolve, and nothing cites notes that are not in the repository.

A citation is `docs/<file>.md` followed by one or more identifiers: `§3.5`, `C9`, `A9`, `B2`,
lists (`§3.3, §3.4`) and ranges (`C1–C5`). Each must name an existing file with a heading for
that identifier (`## §3.5 ...`, `## C9 ...`; `## 1. ...` also counts for `§1`). The scan covers
every *.py, *.md and *.sh file of the repository (virtual environments and caches excluded).
"""
import os
import re

import pytest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
EXTENSIONS = (".py", ".md", ".sh")
SKIP_DIRS = {".git", ".venv", "venv", "__pycache__", ".hypothesis", ".pytest_cache", "out",
             "runs", "node_modules"}
THIS_FILE = os.path.abspath(__file__)

_ID = r"(?:§\d+(?:\.\d+)*|[A-Z]\d+)"
# `docs/x.md` + identifiers; `[\s#]*` lets a citation wrap onto the next comment line.
CITATION = re.compile(rf"\bdocs/([\w.-]+\.md)[\s#]*({_ID}(?:\s*(?:,|and|[–-])\s*{_ID})*)")
_RANGE = re.compile(r"([A-Z])(\d+)\s*[–-]\s*\1?(\d+)")
# The notes the project was written from, which are not in the repository (BUILD.md once cited
# "albert_spec §9" without the extension). `docs/user_reports.md` is the in-repo replacement.
EXTERNAL_NOTES = re.compile(
    r"(?<![\w/])(albert_spec|serving_and_hub|user_needs|perf_anchors)(\.md\b|\s+(?:§|[A-C]\d))")


def repo_files():
  for folder, dirs, files in os.walk(ROOT):
    dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
    for name in sorted(files):
      path = os.path.join(folder, name)
      if name.endswith(EXTENSIONS) and os.path.abspath(path) != THIS_FILE:
        yield path


def _read(path):
  with open(path, encoding="utf-8", errors="replace") as f:
    return f.read()


def _line(text, offset):
  return text.count("\n", 0, offset) + 1


def identifiers(cited):
  """'C1–C5, §6.2' → ['C1', 'C2', 'C3', 'C4', 'C5', '§6.2']."""
  out = []
  for part in re.split(r"\s*(?:,|and)\s*", cited):
    m = _RANGE.fullmatch(part)
    if m:
      out += [f"{m.group(1)}{i}" for i in range(int(m.group(2)), int(m.group(3)) + 1)]
    else:
      out += re.findall(_ID, part)
  return out


def has_heading(text, ident):
  number = re.escape(ident.lstrip("§"))
  prefix = "§?" if ident.startswith("§") else ""
  heading = rf"^#{{1,6}}\s+{prefix}{number}(?:\.(?!\d)|\s|$)"
  return re.search(heading, text, re.MULTILINE) is not None


def citations():
  """[(citing file:line, cited docs file, identifier)] over the repository."""
  found = []
  for path in repo_files():
    text = _read(path)
    for m in CITATION.finditer(text):
      where = f"{os.path.relpath(path, ROOT)}:{_line(text, m.start())}"
      found += [(where, m.group(1), ident) for ident in identifiers(m.group(2))]
  return found


def broken(found):
  docs, bad = {}, []
  for where, name, ident in found:
    path = os.path.join(ROOT, "docs", name)
    if path not in docs:
      docs[path] = _read(path) if os.path.isfile(path) else None
    if docs[path] is None:
      bad.append(f"{where}: docs/{name} does not exist")
    elif not has_heading(docs[path], ident):
      bad.append(f"{where}: docs/{name} has no heading {ident}")
  return bad


def test_identifiers_lists_and_ranges():
  assert identifiers("C1–C5, §6.2") == ["C1", "C2", "C3", "C4", "C5", "§6.2"]
  assert identifiers("§3.3 and §3.4") == ["§3.3", "§3.4"]
  assert identifiers("A9") == ["A9"]


def test_heading_match_is_exact():
  text = "# Title\n## §3.5 TFRecord features\n## C1 Endpoints\n## 6. Layout\n"
  assert has_heading(text, "§3.5") and has_heading(text, "C1") and has_heading(text, "§6")
  assert not has_heading(text, "§3") and not has_heading(text, "C10")
  assert not has_heading(text, "§5")


def test_a_broken_citation_is_reported():
  found = [("x.py:1", "albert_reference.md", "§99"), ("x.py:2", "no_such_file.md", "C1"),
           ("x.py:3", "albert_reference.md", "§3.5")]
  assert broken(found) == ["x.py:1: docs/albert_reference.md has no heading §99",
                           "x.py:2: docs/no_such_file.md does not exist"]


def test_every_docs_citation_resolves():
  found = citations()
  assert found, "no docs/ citations found: the scan is broken"
  bad = broken(found)
  assert not bad, "citations that do not resolve:\n" + "\n".join(bad)


def test_nothing_cites_notes_outside_the_repository():
  hits = []
  for path in repo_files():
    text = _read(path)
    hits += [f"{os.path.relpath(path, ROOT)}:{_line(text, m.start())}: {m.group(0)}"
             for m in EXTERNAL_NOTES.finditer(text)]
  assert not hits, "cite docs/ instead of notes outside the repository:\n" + "\n".join(hits)
