"""Imports tensorflow_hub even where setuptools no longer ships `pkg_resources`.

tensorflow-hub 0.16.1 does `from pkg_resources import parse_version` at import time;
setuptools ≥ 81 removed `pkg_resources` (this venv resolves setuptools 84), so
`import tensorflow_hub` raises ModuleNotFoundError. Until the environment pins
`setuptools<81`, the tests register a one-function stand-in (packaging's
`parse_version`, the same comparison) before importing it. Nothing else of
pkg_resources is used by tensorflow_hub.
"""
import importlib.util
import sys
import types


def import_tensorflow_hub():
  if importlib.util.find_spec("pkg_resources") is None and "pkg_resources" not in sys.modules:
    from packaging.version import parse  # pylint: disable=import-outside-toplevel
    shim = types.ModuleType("pkg_resources")
    shim.parse_version = parse
    sys.modules["pkg_resources"] = shim
  import tensorflow_hub  # pylint: disable=import-outside-toplevel
  return tensorflow_hub
