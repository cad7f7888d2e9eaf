"""The package dependency graph is one-way (read statically, every import statement).

  data_prep  →  albert_tf.{errors, features, resources, tokenization}
                (CLI errors, schema, assets, tokenizer)
  albert_tf  ↛  data_prep, export, bench, experiments
  export     ↛  data_prep, bench, experiments

so data_prep stays free of model code and TensorFlow, and the model/export packages never
depend on the offline data tools. A violation names the file, line and imported module.
"""
import ast
import os
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# albert_tf modules data_prep may use: they import neither TensorFlow nor model code.
DATA_PREP_MAY_USE = ("albert_tf", "albert_tf.errors", "albert_tf.features",
                     "albert_tf.resources", "albert_tf.tokenization")
FORBIDDEN = {
    "albert_tf": ("data_prep", "export", "bench", "experiments"),
    "export": ("data_prep", "bench", "experiments"),
}


def _package_files(package):
  for folder, _, files in os.walk(os.path.join(ROOT, package)):
    for name in sorted(files):
      if name.endswith(".py"):
        yield os.path.join(folder, name)


def _module_name(path):
  rel = os.path.relpath(path, ROOT)[:-len(".py")].split(os.sep)
  return ".".join(rel[:-1] if rel[-1] == "__init__" else rel)


def imports_of(path, top_level_only=False):
  """[(line, imported module)] of the import statements in a file, relative ones resolved:
  all of them, or only those that run at import time (module level)."""
  with open(path, encoding="utf-8") as f:
    tree = ast.parse(f.read(), filename=path)
  package = _module_name(path).rsplit(".", 1)[0] if not path.endswith("__init__.py") else (
      _module_name(path))
  out = []
  for node in (tree.body if top_level_only else ast.walk(tree)):
    if isinstance(node, ast.Import):
      out += [(node.lineno, alias.name) for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:
        parts = package.split(".")
        base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
      # `from albert_tf import configs` imports albert_tf.configs: record the submodule.
      out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
  return out


def _starts(module, prefixes):
  return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(package):
  found = []
  for path in _package_files(package):
    for line, module in imports_of(path):
      rel = os.path.relpath(path, ROOT)
      if package == "data_prep":
        if _starts(module, ("albert_tf",)) and not (
            module == "albert_tf" or _starts(module, DATA_PREP_MAY_USE[1:])):
          found.append(f"{rel}:{line} imports {module} (data_prep may use only "
                       f"{', '.join(DATA_PREP_MAY_USE[1:])})")
        if _starts(module, ("tensorflow", "tf_keras", "export")):
          found.append(f"{rel}:{line} imports {module} (data_prep runs without TensorFlow)")
      elif _starts(module, FORBIDDEN[package]):
        found.append(f"{rel}:{line} imports {module} ({package} must not depend on it)")
  return found


@pytest.mark.parametrize("package", ["data_prep", "albert_tf", "export"])
def test_dependencies_point_one_way(package):
  assert violations(package) == []


def test_allowed_albert_tf_modules_import_no_tensorflow():
  # At import time; a function may import TensorFlow (features.feature_spec, for readers).
  for module in DATA_PREP_MAY_USE[1:]:
    path = os.path.join(ROOT, *module.split(".")) + ".py"
    imported = [m for _, m in imports_of(path, top_level_only=True)]
    assert not [m for m in imported if _starts(m, ("tensorflow", "tf_keras", "albert_tf"))
                and not _starts(m, DATA_PREP_MAY_USE[1:])], (module, imported)


def test_checker_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
  # The checker must not be blind to the imports it exists to catch.
  pkg = tmp_path / "albert_tf"
  pkg.mkdir()
  (pkg / "__init__.py").write_text("")
  (pkg / "m.py").write_text("def f():\n  from data_prep import pipeline\n")
  monkeypatch.setattr(sys.modules[__name__], "ROOT", str(tmp_path))
  assert violations("albert_tf") == [
      "albert_tf/m.py:2 imports data_prep.pipeline (albert_tf must not depend on it)"]
