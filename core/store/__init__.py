"""Storage behind one interface (SQLite by default; PostgreSQL later).

Use :func:`open_store` to get the store a deployment is configured for.
"""

from __future__ import annotations

from ..config import Settings
from ..errors import ConfigError
from .base import (
    ConversationRecord,
    ConversationUpdate,
    DecisionRecord,
    DuplicateClientId,
    MessageRecord,
    Store,
    StoreConflict,
    StoredEvent,
    StoreError,
    iso,
    utcnow,
)
from .migrations import MIGRATIONS, Migration
from .sqlite import SQLiteStore

__all__ = [
    "MIGRATIONS", "ConversationRecord", "ConversationUpdate", "DecisionRecord", "DuplicateClientId",
    "MessageRecord", "Migration", "SQLiteStore", "Store", "StoreConflict", "StoreError", "StoredEvent",
    "iso", "open_store", "utcnow",
]


def open_store(settings: Settings) -> Store:
    """Open and migrate the store the settings name: ``storage.url`` (``sqlite:///path``) or,
    by default, ``<data_dir>/switchboard.sqlite3``.

    :raises ConfigError: for a URL scheme with no store implementation yet.
    """
    url = str(settings.get("storage.url", "") or "")
    if not url:
        store: Store = SQLiteStore.in_data_dir(settings.data_dir)
    elif url.startswith("sqlite:///"):
        store = SQLiteStore(settings.resolve_path(url[len("sqlite:///"):], relative_to_cwd=True))
    else:
        raise ConfigError(settings.path, "storage.url", "only sqlite:/// is supported in this version")
    store.migrate()
    return store
