"""Schema migrations, applied in order and recorded in ``schema_migrations``.

To change the schema, append a :class:`Migration` with the next version number (never edit one
that has shipped). Each migration carries the SQL for every backend that exists; the PostgreSQL
store will add a ``postgresql`` text beside ``sqlite``. Every table has a ``force_id`` column
(the tenant) and every index starts with it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sqlite: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "conversations, messages, decisions, events",
        """
        CREATE TABLE conversations (
            force_id    TEXT    NOT NULL,
            id          TEXT    NOT NULL,
            site        TEXT    NOT NULL,
            token_hash  TEXT    NOT NULL,
            status      TEXT    NOT NULL,
            queue       TEXT,
            priority    INTEGER NOT NULL DEFAULT 0,
            state_json  TEXT    NOT NULL,
            version     INTEGER NOT NULL DEFAULT 1,
            created_at  TEXT    NOT NULL,
            updated_at  TEXT    NOT NULL,
            PRIMARY KEY (force_id, id)
        );
        CREATE INDEX conversations_queue ON conversations (force_id, status, queue, priority DESC, updated_at);
        CREATE INDEX conversations_created ON conversations (force_id, created_at);

        CREATE TABLE messages (
            force_id        TEXT    NOT NULL,
            id              TEXT    NOT NULL,
            conversation_id TEXT    NOT NULL,
            seq             INTEGER NOT NULL,
            role            TEXT    NOT NULL,
            kind            TEXT    NOT NULL DEFAULT 'message',
            text            TEXT    NOT NULL,
            options_json    TEXT    NOT NULL DEFAULT '[]',
            client_id       TEXT,
            reply_to        TEXT,
            author          TEXT,
            created_at      TEXT    NOT NULL,
            PRIMARY KEY (force_id, id),
            FOREIGN KEY (force_id, conversation_id) REFERENCES conversations (force_id, id) ON DELETE CASCADE
        );
        CREATE UNIQUE INDEX messages_seq ON messages (force_id, conversation_id, seq);
        CREATE UNIQUE INDEX messages_client_id ON messages (force_id, conversation_id, client_id)
            WHERE client_id IS NOT NULL;
        CREATE INDEX messages_reply_to ON messages (force_id, reply_to) WHERE reply_to IS NOT NULL;

        CREATE TABLE decisions (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            force_id        TEXT    NOT NULL,
            conversation_id TEXT    NOT NULL,
            message_id      TEXT    NOT NULL,
            turn            INTEGER NOT NULL,
            decision_json   TEXT    NOT NULL,
            created_at      TEXT    NOT NULL,
            FOREIGN KEY (force_id, conversation_id) REFERENCES conversations (force_id, id) ON DELETE CASCADE
        );
        CREATE UNIQUE INDEX decisions_message ON decisions (force_id, message_id);
        CREATE INDEX decisions_conversation ON decisions (force_id, conversation_id, turn);

        CREATE TABLE events (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            force_id        TEXT    NOT NULL,
            type            TEXT    NOT NULL,
            conversation_id TEXT,
            schema_version  INTEGER NOT NULL,
            data_json       TEXT    NOT NULL,
            at              TEXT    NOT NULL
        );
        CREATE INDEX events_conversation ON events (force_id, conversation_id, id);
        CREATE INDEX events_type ON events (force_id, type, at);
        """,
    ),
    Migration(
        2,
        "operators and the access audit log (DPA 2018 s.62)",
        """
        CREATE TABLE operators (
            force_id      TEXT    NOT NULL,
            username      TEXT    NOT NULL,
            name          TEXT    NOT NULL,
            role          TEXT    NOT NULL,
            queues_json   TEXT    NOT NULL DEFAULT '[]',
            password_hash TEXT    NOT NULL,
            active        INTEGER NOT NULL DEFAULT 1,
            updated_at    TEXT    NOT NULL,
            PRIMARY KEY (force_id, username)
        );

        CREATE TABLE audit_log (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            force_id        TEXT    NOT NULL,
            at              TEXT    NOT NULL,
            actor           TEXT    NOT NULL,
            action          TEXT    NOT NULL,
            conversation_id TEXT,
            reason          TEXT    NOT NULL DEFAULT '',
            detail_json     TEXT    NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_conversation ON audit_log (force_id, conversation_id, id);
        CREATE INDEX audit_actor ON audit_log (force_id, actor, id);
        """,
    ),
)
