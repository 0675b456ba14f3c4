"""The package's own files: where they are, and one digest over them.

The read cache (:mod:`contacts311.pipeline`) and a report run's up-to-date key both need to know
when the code that computes a figure changed; this digest is that one answer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["code_digest", "package_root"]

_DIGEST: str | None = None


def package_root() -> Path:
    """The installed ``contacts311`` folder (code, templates, profiles, notebooks)."""
    return Path(__file__).resolve().parent


def code_digest() -> str:
    """SHA-256 over every file of the package (code, templates, profiles, bundled notebooks).

    A new release or a local edit changes it; compiled caches do not. Computed once per process.
    """
    global _DIGEST
    if _DIGEST is None:
        from contacts311 import __version__

        root = package_root()
        h = hashlib.sha256(__version__.encode())
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                h.update(path.relative_to(root).as_posix().encode() + b"\0")
                h.update(path.read_bytes())
        _DIGEST = h.hexdigest()
    return _DIGEST
