"""A name map between our model's variables and an external format, with strict I/O.

Each format module (tf1_names, hf, tf_models) builds a list of `Entry`s by walking the
model; this module does the rest the same way for all formats:

  export_arrays(entries)                      → {external name: np.ndarray}
  check(entries, shapes, source, ignore)      → raises CheckpointMismatchError
  assign(entries, arrays, source, ignore)     → check, then assign every variable

A transform is a function on numpy arrays (e.g. a transpose for torch Linear weights);
`to_external` and `from_external` must be inverses. The external shape is derived by
applying `to_external` to an empty array of the variable's shape.

Example:
    >>> import numpy as np, tensorflow as tf
    >>> v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    >>> e = [Entry("w", v, to_external=np.transpose, from_external=np.transpose)]
    >>> export_arrays(e)["w"].shape
    (3, 2)
    >>> assign(e, {"w": np.ones([3, 2], np.float32)}, "demo")
    >>> float(v.numpy().sum())
    6.0
"""
import dataclasses
from typing import Callable

import numpy as np

from albert_tf.checkpoints.errors import CheckpointMismatchError


def _identity(x):
  return x


@dataclasses.dataclass(frozen=True)
class Entry:
  """One model variable and its external name; transforms map numpy arrays."""
  name: str
  variable: object  # tf.Variable
  to_external: Callable = _identity
  from_external: Callable = _identity

  @property
  def external_shape(self):
    return tuple(self.to_external(np.empty(tuple(self.variable.shape), np.float32)).shape)


def transpose(x):
  return np.ascontiguousarray(np.transpose(x))


def reshaper(shape):
  """A transform that reshapes to `shape` (used for EinsumDense layouts)."""
  return lambda x: np.reshape(x, shape)


def check_unique(entries):
  names = [e.name for e in entries]
  if len(set(names)) != len(names):
    dupes = sorted({n for n in names if names.count(n) > 1})
    raise AssertionError(f"name map has duplicate names: {dupes}")


def export_arrays(entries):
  """Returns {external name: array} (float32 unless the variable says otherwise)."""
  check_unique(entries)
  return {e.name: np.asarray(e.to_external(e.variable.numpy())) for e in entries}


def check(entries, shapes, source, ignore=lambda name: False):
  """Compares the map with `shapes` ({name: shape}); raises CheckpointMismatchError."""
  check_unique(entries)
  wanted = {e.name: e.external_shape for e in entries}
  missing = [n for n in wanted if n not in shapes]
  unexpected = [n for n in shapes if n not in wanted and not ignore(n)]
  mis_shaped = [(n, tuple(shapes[n]), wanted[n]) for n in wanted
                if n in shapes and tuple(shapes[n]) != wanted[n]]
  if missing or unexpected or mis_shaped:
    raise CheckpointMismatchError(source, missing, unexpected, mis_shaped)


def assign(entries, arrays, source, ignore=lambda name: False):
  """Checks names and shapes of `arrays` ({name: array}), then assigns all variables."""
  check(entries, {n: np.shape(a) for n, a in arrays.items()}, source, ignore)
  for e in entries:
    value = e.from_external(np.asarray(arrays[e.name]))
    e.variable.assign(value.astype(e.variable.dtype.as_numpy_dtype, copy=False))
