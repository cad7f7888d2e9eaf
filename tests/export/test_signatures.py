"""The signature table (export/signatures.py) agrees with ServingModule and docs/serving.md.

No export here: these checks are cheap. The exported side of every entry is tested in
test_serving_export.py (exported, warm-up), test_ops_check.py and test_rest.py.
"""
import inspect
import os
import re

import pytest
import tensorflow as tf

from export import signatures
from export.serving_module import ServingModule

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "docs", "serving.md")


def test_docs_list_every_signature():
  """docs/serving.md §2's table has one row per registered signature, and no other."""
  with open(DOCS, encoding="utf-8") as f:
    section = f.read().split("## 2. Signatures", 1)[1].split("\n## ", 1)[0]
  rows = re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE)
  assert sorted(rows) == sorted(signatures.SIGNATURES)


@pytest.mark.parametrize("name", list(signatures.SIGNATURES))
def test_entry_matches_its_method_and_warmup(name):
  entry = signatures.SIGNATURES[name]
  parameters = list(inspect.signature(getattr(ServingModule, entry.method)).parameters)
  assert parameters == ["self"] + list(entry.inputs)  # the parameters name the inputs
  assert list(entry.warmup) == list(entry.inputs)
  batch = {value.shape[0] for value in entry.warmup.values()}
  assert len(batch) == 1 and batch.pop() > 0
  for key, spec in entry.inputs.items():
    value = tf.constant(entry.warmup[key])
    assert value.dtype == spec.dtype and spec.shape.is_compatible_with(value.shape), key
