"""Step 3 of a grade (the list: pipeline/__init__.py): build each exercise on its own,
sandboxed, cached by content.

May import: core, ipclab_harness, and the pipeline steps before it (stage) and integrity.
"""
from .step import Built, build_all

__all__ = ["Built", "build_all"]
