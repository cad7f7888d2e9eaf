"""Experiments that drive the project's public CLIs end to end (see paper_in_miniature.py)."""
