"""Runs every `>>>` example in the project's modules (doctest discovery, issue 11 item 7).

Modules are found on disk under PACKAGES, so a new or renamed module is picked up without a
list to keep. A module is collected when its source has `>>>` lines; it must then import,
doctest must find one example per `>>>` line (one it cannot reach, e.g. in a nested function's
docstring, would silently never run), and all must pass. A module that fails to import fails
here, except the ones in NEEDS_OPTIONAL whose package is not installed (skipped, with the reason).
"""
import doctest
import importlib
import importlib.util
import pathlib
import re

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("albert_tf", "data_prep", "export", "bench")

# module → (the optional package it imports, why it is optional). Empty today: every module
# with examples imports only what requirements.txt installs.
NEEDS_OPTIONAL = {}

# module → why its examples fail, for modules whose owner has the fix to make (xfail, strict: a
# fixed module fails here until its entry is removed). Empty today: every example passes.
KNOWN_BROKEN = {}

_EXAMPLE = re.compile(r"^\s*>>> ", re.MULTILINE)


def _modules_with_examples():
  """{dotted module name: number of `>>>` lines in its source}, for modules that have any."""
  found = {}
  for package in PACKAGES:
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
      count = len(_EXAMPLE.findall(path.read_text(encoding="utf-8")))
      if count:
        found[".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)] = count
  return found


def _param(name):
  broken = name in KNOWN_BROKEN
  marks = [pytest.mark.xfail(reason=KNOWN_BROKEN[name], strict=True)] if broken else []
  return pytest.param(name, marks=marks, id=name)


MODULES = _modules_with_examples()


def test_discovery_finds_the_packages_examples():
  # A walk that finds nothing (wrong root, renamed package) would pass vacuously below.
  assert {name.split(".")[0] for name in MODULES} == set(PACKAGES)
  assert set(NEEDS_OPTIONAL) | set(KNOWN_BROKEN) <= set(MODULES), "stale entries"


@pytest.mark.parametrize("name", [_param(name) for name in MODULES])
def test_docstring_examples(name):
  if name in NEEDS_OPTIONAL and importlib.util.find_spec(NEEDS_OPTIONAL[name][0]) is None:
    pytest.skip(f"needs {NEEDS_OPTIONAL[name][0]}: {NEEDS_OPTIONAL[name][1]}")
  module = importlib.import_module(name)
  report = []
  runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
  for test in doctest.DocTestFinder().find(module):
    runner.run(test, out=report.append)
  assert runner.tries == MODULES[name], (
      f"{name} has {MODULES[name]} `>>>` lines but doctest finds {runner.tries} examples")
  assert runner.failures == 0, "".join(report)
