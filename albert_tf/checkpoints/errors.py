"""The one error type of checkpoint loading: names or shapes that do not match.

A load either assigns every model variable or raises this error before assigning any;
the message is one line so the CLI can print it as is.

Example:
    >>> err = CheckpointMismatchError("ckpt", missing=["a"], unexpected=["b"],
    ...                               mis_shaped=[("c", (2, 3), (3, 2))])
    >>> str(err)
    'ckpt does not match the model: 1 missing [a]; 1 unexpected [b]; 1 mis-shaped [c: checkpoint (2, 3) vs model (3, 2)]'
"""

from albert_tf import errors

_MAX_LISTED = 25  # per category; the counts are always exact


class CheckpointMismatchError(errors.UserError):
  """Raised when a checkpoint's names/shapes differ from the model's.

  Attributes:
    source: the checkpoint path (or a description of the in-memory source).
    missing: names the model needs that the checkpoint lacks.
    unexpected: names in the checkpoint that the model has no place for.
    mis_shaped: (name, checkpoint_shape, model_shape) tuples.
  """

  def __init__(self, source, missing=(), unexpected=(), mis_shaped=(), detail=""):
    self.source = str(source)
    self.missing = sorted(missing)
    self.unexpected = sorted(unexpected)
    self.mis_shaped = sorted((n, tuple(a), tuple(b)) for n, a, b in mis_shaped)
    self.detail = detail
    super().__init__(self._message())

  def _message(self):
    parts = []
    if self.missing:
      parts.append(f"{len(self.missing)} missing [{_listing(self.missing)}]")
    if self.unexpected:
      parts.append(f"{len(self.unexpected)} unexpected [{_listing(self.unexpected)}]")
    if self.mis_shaped:
      items = [f"{n}: checkpoint {a} vs model {b}" for n, a, b in self.mis_shaped]
      parts.append(f"{len(items)} mis-shaped [{_listing(items)}]")
    if self.detail:
      parts.append(self.detail)
    return f"{self.source} does not match the model: " + "; ".join(parts)


def _listing(items):
  shown = ", ".join(items[:_MAX_LISTED])
  if len(items) > _MAX_LISTED:
    shown += f", ... and {len(items) - _MAX_LISTED} more"
  return shown
