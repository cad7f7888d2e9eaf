"""albert-tf: ALBERT (Lan et al., ICLR 2020) in TensorFlow 2 / tf-keras.

Importing this package has no side effects and does not import TensorFlow;
import the submodules you need (e.g. `from albert_tf import configs`).
`albert_tf.load_encoder` (albert_tf/api.py) is resolved on first use, which imports TensorFlow.
"""

__version__ = "0.1.0"
_LAZY = {"load_encoder": "albert_tf.api"}


def __getattr__(name):
  if name in _LAZY:
    import importlib  # pylint: disable=import-outside-toplevel
    return getattr(importlib.import_module(_LAZY[name]), name)
  raise AttributeError(f"module 'albert_tf' has no attribute {name!r}")
