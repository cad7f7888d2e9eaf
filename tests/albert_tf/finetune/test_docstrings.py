"""Runs the `>>>` examples in the finetune modules' docstrings."""
import doctest
import importlib

import pytest

MODULES = ["albert_tf.finetune.metrics", "albert_tf.finetune.squad_metrics",
           "albert_tf.finetune.glue", "albert_tf.finetune.classifier_data",
           "albert_tf.finetune.heads"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
  result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
  assert result.attempted > 0 and result.failed == 0
