"""contacts311: from a 311 program's channel exports to "Contacts handled by 311".

The public surface is small; heavy libraries load only when a function needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "Profile",
    "__version__",
    "load",
    "load_profile",
    "period_totals",
    "summary",
]

_LAZY = {
    "InputError": "contacts311.errors",
    "Profile": "contacts311.profile",
    "load_profile": "contacts311.profile",
    "load": "contacts311.pipeline",
    "period_totals": "contacts311.measures",
    "summary": "contacts311.measures",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'contacts311' has no attribute {name!r}")
