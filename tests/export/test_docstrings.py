"""Runs the `>>>` examples in the export modules' docstrings."""
import doctest
import importlib

import pytest

MODULES = ["export.text_normalization", "export.sentencepiece_tokenizer", "export.packing",
           "export.ops_check", "export.versioning", "export.checkpoint_loading"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
  result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
  assert result.attempted > 0 and result.failed == 0
