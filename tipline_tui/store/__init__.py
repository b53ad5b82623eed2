"""The local SQLite store: tables, engine, migrations, queries. No Textual here."""

from tipline_tui.store.engine import Store, StoreError, StoreTooNewError, open_store

__all__ = ["Store", "StoreError", "StoreTooNewError", "open_store"]
