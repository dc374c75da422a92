"""The embedded store: SQLite in WAL mode through the standard library.

One connection shared by every thread behind a lock (SQLite serialises writers anyway), in
autocommit mode with explicit ``BEGIN IMMEDIATE`` transactions, ``synchronous=NORMAL`` (in WAL
mode a committed transaction survives a process kill) and foreign keys on.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..staff import AuditRecord, OperatorRecord
from ..types import ConversationState, Event, HealthReport
from .base import (
    ConversationRecord,
    ConversationUpdate,
    DecisionRecord,
    DuplicateClientId,
    MessageRecord,
    StoredEvent,
    StoreConflict,
    StoreError,
)
from .migrations import MIGRATIONS, Migration

log = logging.getLogger("switchboard.store")

#: The database file name inside the data directory.
DB_FILENAME = "switchboard.sqlite3"


def _ts(value: datetime) -> str:
    return value.isoformat()


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class SQLiteStore:
    """:class:`~switchboard.store.base.Store` on one SQLite file.

    :param path: the database file (its folder is created), or ``":memory:"``.
    :param migrations: the migrations to apply (default: all of :data:`MIGRATIONS`).
    """

    def __init__(self, path: str | Path, migrations: Sequence[Migration] = MIGRATIONS) -> None:
        self.path = str(path)
        self._migrations = tuple(sorted(migrations, key=lambda m: m.version))
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=10000")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open database ({exc})") from exc
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._closed = False

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SQLiteStore:
        """Open (creating) ``<data_dir>/switchboard.sqlite3``."""
        return cls(Path(data_dir) / DB_FILENAME)

    # -- plumbing -------------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.path}: store is closed")
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot start a transaction ({exc})") from exc
            try:
                yield self._db
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"{self.path}: write failed ({exc})") from exc
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.path}: store is closed")
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: query failed ({exc})") from exc

    # -- lifecycle ------------------------------------------------------------------------------
    def migrate(self) -> list[int]:
        applied: list[int] = []
        with self._lock:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {r[0] for r in self._db.execute("SELECT version FROM schema_migrations")}
            for migration in self._migrations:
                if migration.version in done:
                    continue
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                    for statement in _statements(migration.sqlite):
                        self._db.execute(statement)
                    self._db.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, datetime('now'))",
                        (migration.version, migration.name),
                    )
                    self._db.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._db.execute("ROLLBACK")
                    raise StoreError(f"{self.path}: migration {migration.version} ({migration.name}) failed: {exc}") from exc
                log.info("applied migration %s (%s)", migration.version, migration.name)
                applied.append(migration.version)
        return applied

    def schema_version(self) -> int:
        rows = self._query("SELECT MAX(version) FROM schema_migrations")
        return int(rows[0][0] or 0)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def health(self) -> HealthReport:
        try:
            self._query("SELECT 1")
        except StoreError as exc:
            return HealthReport("store", "down", str(exc))
        return HealthReport("store", "ok", f"sqlite {sqlite3.sqlite_version}, WAL")

    # -- conversations --------------------------------------------------------------------------
    def create_conversation(
        self, *, force: str, conversation: ConversationRecord,
        messages: Sequence[MessageRecord] = (), events: Sequence[Event] = (),
    ) -> list[MessageRecord]:
        state = conversation.state
        with self._tx() as db:
            db.execute(
                "INSERT INTO conversations (force_id, id, site, token_hash, status, queue, priority, state_json,"
                " version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (force, conversation.id, conversation.site, conversation.token_hash, state.status.value,
                 state.queue, state.priority, _json(state.to_dict()), conversation.version,
                 _ts(conversation.created_at), _ts(conversation.updated_at)),
            )
            out = [self._insert_message(db, force, m) for m in messages]
            self._insert_events(db, force, events)
        return out

    def get_conversation(self, *, force: str, conversation_id: str) -> ConversationRecord | None:
        rows = self._query("SELECT * FROM conversations WHERE force_id = ? AND id = ?", (force, conversation_id))
        return _conversation(rows[0]) if rows else None

    def list_conversations(
        self, *, force: str, status: str | None = None, queue: str | None = None, limit: int = 100,
    ) -> list[ConversationRecord]:
        sql = "SELECT * FROM conversations WHERE force_id = ?"
        params: list[Any] = [force]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if queue is not None:
            sql += " AND queue = ?"
            params.append(queue)
        sql += " ORDER BY priority DESC, updated_at ASC LIMIT ?"
        params.append(int(limit))
        return [_conversation(r) for r in self._query(sql, params)]

    def update_conversation(
        self, *, force: str, conversation_id: str, expected_version: int, update: ConversationUpdate,
    ) -> tuple[ConversationRecord, list[MessageRecord]]:
        state = update.state
        with self._tx() as db:
            cur = db.execute(
                "UPDATE conversations SET status = ?, queue = ?, priority = ?, state_json = ?, version = version + 1,"
                " updated_at = ? WHERE force_id = ? AND id = ? AND version = ?",
                (state.status.value, state.queue, state.priority, _json(state.to_dict()), _ts(update.at),
                 force, conversation_id, expected_version),
            )
            if cur.rowcount != 1:
                raise StoreConflict(f"conversation {conversation_id} changed (expected version {expected_version})")
            messages = [self._insert_message(db, force, m) for m in update.messages]
            if update.decision is not None:
                d = update.decision
                db.execute(
                    "INSERT INTO decisions (force_id, conversation_id, message_id, turn, decision_json, created_at)"
                    " VALUES (?,?,?,?,?,?)",
                    (force, conversation_id, d.message_id, d.turn, _json(dict(d.decision)), _ts(d.created_at)),
                )
            self._insert_events(db, force, update.events)
            row = db.execute(
                "SELECT * FROM conversations WHERE force_id = ? AND id = ?", (force, conversation_id)
            ).fetchone()
        return _conversation(row), messages

    # -- messages -------------------------------------------------------------------------------
    def _insert_message(self, db: sqlite3.Connection, force: str, m: MessageRecord) -> MessageRecord:
        try:
            row = db.execute(
                "INSERT INTO messages (force_id, id, conversation_id, seq, role, kind, text, options_json, client_id,"
                " reply_to, author, created_at) VALUES (?, ?, ?,"
                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE force_id = ? AND conversation_id = ?),"
                " ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                (force, m.id, m.conversation_id, force, m.conversation_id, m.role, m.kind, m.text,
                 _json([{"id": o["id"], "label": o["label"]} for o in m.options]), m.client_id, m.reply_to,
                 m.author, _ts(m.created_at)),
            ).fetchone()
        except sqlite3.IntegrityError as exc:
            if m.client_id is not None and "client_id" in str(exc):
                raise DuplicateClientId(f"conversation {m.conversation_id} already has client_id") from exc
            raise StoreError(f"{self.path}: cannot store message ({exc})") from exc
        return _replace_seq(m, int(row[0]))

    def add_message(self, *, force: str, message: MessageRecord) -> MessageRecord:
        with self._tx() as db:
            return self._insert_message(db, force, message)

    def get_message_by_client_id(
        self, *, force: str, conversation_id: str, client_id: str,
    ) -> MessageRecord | None:
        rows = self._query(
            "SELECT * FROM messages WHERE force_id = ? AND conversation_id = ? AND client_id = ?",
            (force, conversation_id, client_id),
        )
        return _message(rows[0]) if rows else None

    def list_messages(
        self, *, force: str, conversation_id: str, reply_to: str | None = None, after_seq: int = 0,
    ) -> list[MessageRecord]:
        sql = "SELECT * FROM messages WHERE force_id = ? AND conversation_id = ? AND seq > ?"
        params: list[Any] = [force, conversation_id, after_seq]
        if reply_to is not None:
            sql += " AND reply_to = ?"
            params.append(reply_to)
        return [_message(r) for r in self._query(sql + " ORDER BY seq", params)]

    # -- decisions and events -------------------------------------------------------------------
    def get_decision(self, *, force: str, message_id: str) -> DecisionRecord | None:
        rows = self._query("SELECT * FROM decisions WHERE force_id = ? AND message_id = ?", (force, message_id))
        return _decision(rows[0]) if rows else None

    def list_decisions(self, *, force: str, conversation_id: str) -> list[DecisionRecord]:
        rows = self._query(
            "SELECT * FROM decisions WHERE force_id = ? AND conversation_id = ? ORDER BY turn, id",
            (force, conversation_id),
        )
        return [_decision(r) for r in rows]

    def _insert_events(self, db: sqlite3.Connection, force: str, events: Sequence[Event]) -> list[int]:
        ids = []
        for e in events:
            if e.force != force:
                raise StoreError(f"event {e.type} belongs to force {e.force!r}, not {force!r}")
            cur = db.execute(
                "INSERT INTO events (force_id, type, conversation_id, schema_version, data_json, at)"
                " VALUES (?,?,?,?,?,?)",
                (force, e.type, e.conversation_id, e.schema_version, _json(dict(e.data)), _ts(e.at)),
            )
            ids.append(int(cur.lastrowid or 0))
        return ids

    def add_events(self, *, force: str, events: Sequence[Event]) -> list[int]:
        with self._tx() as db:
            return self._insert_events(db, force, events)

    def list_events(
        self, *, force: str, conversation_id: str | None = None, type: str | None = None,
        after_id: int = 0, limit: int = 1000,
    ) -> list[StoredEvent]:
        rows = self._log_rows("events", force, after_id, limit, conversation_id=conversation_id, type=type)
        return [
            StoredEvent(
                id=r["id"],
                event=Event(
                    type=r["type"], force=r["force_id"], at=_dt(r["at"]), conversation_id=r["conversation_id"],
                    data=json.loads(r["data_json"]), schema_version=r["schema_version"],
                ),
            )
            for r in rows
        ]


    # -- staff and audit ------------------------------------------------------------------------
    def upsert_operator(self, *, force: str, operator: OperatorRecord) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO operators (force_id, username, name, role, queues_json, password_hash, active, updated_at)"
                " VALUES (?,?,?,?,?,?,?,datetime('now')) ON CONFLICT (force_id, username) DO UPDATE SET"
                " name = excluded.name, role = excluded.role, queues_json = excluded.queues_json,"
                " password_hash = excluded.password_hash, active = excluded.active, updated_at = excluded.updated_at",
                (force, operator.username, operator.name, operator.role, _json(list(operator.queues)),
                 operator.password_hash, int(operator.active)),
            )

    def get_operator(self, *, force: str, username: str) -> OperatorRecord | None:
        rows = self._query("SELECT * FROM operators WHERE force_id = ? AND username = ?", (force, username))
        if not rows:
            return None
        r = rows[0]
        return OperatorRecord(force=r["force_id"], username=r["username"], name=r["name"], role=r["role"],
                              queues=tuple(json.loads(r["queues_json"])), password_hash=r["password_hash"],
                              active=bool(r["active"]))

    def add_audit(self, *, force: str, record: AuditRecord) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO audit_log (force_id, at, actor, action, conversation_id, reason, detail_json)"
                " VALUES (?,?,?,?,?,?,?)",
                (force, _ts(record.at), record.actor, record.action, record.conversation_id, record.reason,
                 _json(dict(record.detail))),
            )
            return int(cur.lastrowid or 0)

    def list_audit(
        self, *, force: str, conversation_id: str | None = None, actor: str | None = None,
        after_id: int = 0, limit: int = 200,
    ) -> list[AuditRecord]:
        return [
            AuditRecord(force=r["force_id"], at=_dt(r["at"]), actor=r["actor"], action=r["action"],
                        conversation_id=r["conversation_id"], reason=r["reason"],
                        detail=json.loads(r["detail_json"]), id=r["id"])
            for r in self._log_rows("audit_log", force, after_id, limit, conversation_id=conversation_id, actor=actor)
        ]

    def _log_rows(self, table: str, force: str, after_id: int, limit: int, **equal: str | None) -> list[sqlite3.Row]:
        """Rows of an append-only log table (``events``, ``audit_log``) after ``after_id``, in id
        order, filtered on each column given a value."""
        sql = f"SELECT * FROM {table} WHERE force_id = ? AND id > ?"
        params: list[Any] = [force, int(after_id)]
        for column, value in equal.items():
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        sql += " ORDER BY id LIMIT ?"
        params.append(int(limit))
        return self._query(sql, params)

def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _conversation(r: sqlite3.Row) -> ConversationRecord:
    return ConversationRecord(
        id=r["id"], force=r["force_id"], site=r["site"], token_hash=r["token_hash"],
        state=ConversationState.from_dict(json.loads(r["state_json"])),
        created_at=_dt(r["created_at"]), updated_at=_dt(r["updated_at"]), version=r["version"],
    )


def _message(r: sqlite3.Row) -> MessageRecord:
    return MessageRecord(
        id=r["id"], conversation_id=r["conversation_id"], role=r["role"], text=r["text"],
        created_at=_dt(r["created_at"]), kind=r["kind"], options=tuple(json.loads(r["options_json"])),
        client_id=r["client_id"], reply_to=r["reply_to"], author=r["author"], seq=r["seq"],
    )


def _decision(r: sqlite3.Row) -> DecisionRecord:
    return DecisionRecord(
        id=r["id"], conversation_id=r["conversation_id"], message_id=r["message_id"], turn=r["turn"],
        decision=json.loads(r["decision_json"]), created_at=_dt(r["created_at"]),
    )


def _replace_seq(m: MessageRecord, seq: int) -> MessageRecord:
    import dataclasses

    return dataclasses.replace(m, seq=seq)
