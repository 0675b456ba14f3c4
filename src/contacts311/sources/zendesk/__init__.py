"""Zendesk tickets: the Support CSV export, the incremental export and data-lake tables.

Layouts: the Support "Export as CSV", the incremental export (JSON or NDJSON) and data-lake
tables (Parquet or flattened CSV).

All files are read together: tickets (CSV and/or JSON), ticket events and users. One copy of
each ticket survives (latest ``updated_at``), then the rules in ``profile.tickets`` decide whether
it counts. Only the columns the rules need are kept; names, e-mail addresses, phone numbers,
subjects, descriptions and comments are dropped while each row is parsed.

Modules: :mod:`.sniffing` (recognising a file), :mod:`.csv_export` and :mod:`.json_export`
(parsing each layout, :mod:`.json_records` for the JSON tables, :mod:`.times` for timestamps),
:mod:`.lake_tables` (Parquet and flattened tables), :mod:`.contact_types` and :mod:`.rules`
(what counts), :mod:`.reader` (all files together).
"""

from contacts311.sources.zendesk.lake_tables import reads_parquet_column
from contacts311.sources.zendesk.reader import DESCRIPTION, FORMAT, KIND, read
from contacts311.sources.zendesk.sniffing import sniff

__all__ = ["DESCRIPTION", "FORMAT", "KIND", "read", "reads_parquet_column", "sniff"]
