"""Source formats: one module per export layout, registered here.

Each module defines ``FORMAT`` (its name), ``KIND`` (``contacts`` or a reference table such as
``population``), ``DESCRIPTION``, ``sniff(head) -> bool`` (recognise a file by its first lines,
never by its name) and ``read(files, profile) -> SourceResult``; a profile entry's extra keys
arrive in ``InputFile.options``. Adding a format is a new module and one line in ``_MODULES``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["FORMATS", "get", "reads_parquet_column", "sniff"]

# Order matters: the first format whose sniff() accepts a file wins.
_MODULES = {
    "avaya_cms": "contacts311.sources.avaya_cms",
    "zendesk": "contacts311.sources.zendesk",
    "amazon_connect": "contacts311.sources.amazon_connect",
    "counts": "contacts311.sources.counts",
    "population": "contacts311.sources.population",
    "forecast": "contacts311.sources.forecast",
    "events": "contacts311.sources.events",
}

FORMATS: tuple[str, ...] = tuple(_MODULES)
#: The formats that read Parquet tables; each has ``reads_parquet_column(name) -> bool``.
_PARQUET_FORMATS = ("zendesk", "amazon_connect")


def get(name: str) -> ModuleType:
    """The module that reads format ``name``."""
    return importlib.import_module(_MODULES[name])


def sniff(head: str) -> str | None:
    """The first registered format that recognises ``head`` (a file's first lines), if any."""
    for name in _MODULES:
        if get(name).sniff(head):
            return name
    return None


def reads_parquet_column(column: str) -> bool:
    """Whether any source may read a Parquet table's column (dotted for a struct's field).

    A remote table is copied with only these columns (:mod:`contacts311.remote_parquet`).
    """
    return any(get(name).reads_parquet_column(column) for name in _PARQUET_FORMATS)
