"""Paths of the assets shipped inside the package (see assets/PROVENANCE.md).

Example:
    >>> import os
    >>> os.path.exists(DEFAULT_SPM_MODEL)
    True
"""
import os

ASSETS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
# Official ALBERT 30k-clean SentencePiece model (the default vocab everywhere).
DEFAULT_SPM_MODEL = os.path.join(ASSETS_DIR, "30k-clean.model")
# Default corpus of the main job: 10 public-domain novels, official input format.
DEFAULT_CORPUS = os.path.join(ASSETS_DIR, "books.txt.gz")
