"""The SQLite store: migrations, tenant scoping, idempotency keys, optimistic versions."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from switchboard.store import (
    MIGRATIONS,
    ConversationRecord,
    ConversationUpdate,
    DecisionRecord,
    DuplicateClientId,
    MessageRecord,
    Migration,
    SQLiteStore,
    Store,
    StoreConflict,
)
from switchboard.types import ConversationState, Event, Status

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def _conv(cid: str = "c1", force: str = "demo") -> ConversationRecord:
    return ConversationRecord(id=cid, force=force, site="demo", token_hash="h" * 64, state=ConversationState(),
                              created_at=T0, updated_at=T0)


def _msg(mid: str, cid: str = "c1", role: str = "visitor", text: str = "hi", **kw: object) -> MessageRecord:
    return MessageRecord(id=mid, conversation_id=cid, role=role, text=text, created_at=T0, **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore.in_data_dir(tmp_path)
    s.migrate()
    yield s
    s.close()


def test_implements_the_store_protocol_and_uses_wal(store, tmp_path):
    assert isinstance(store, Store)
    mode = sqlite3.connect(tmp_path / "switchboard.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert store.health().status == "ok"


def test_migrations_are_recorded_and_applied_once(store):
    assert store.schema_version() == MIGRATIONS[-1].version
    assert store.migrate() == []


def test_a_later_migration_is_applied_on_top(tmp_path):
    s = SQLiteStore(tmp_path / "db.sqlite3")
    assert s.migrate() == [m.version for m in MIGRATIONS]
    s.close()
    extra = Migration(MIGRATIONS[-1].version + 1, "a test table",
                      "CREATE TABLE test_extra (force_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (force_id, id))")
    s2 = SQLiteStore(tmp_path / "db.sqlite3", migrations=(*MIGRATIONS, extra))
    assert s2.migrate() == [extra.version]
    assert s2.schema_version() == extra.version
    s2.close()


def test_queries_are_scoped_by_force(store):
    store.create_conversation(force="demo", conversation=_conv(), messages=[_msg("m1")])
    store.create_conversation(force="other", conversation=_conv(force="other"), messages=[_msg("m1")])
    assert store.get_conversation(force="demo", conversation_id="c1").force == "demo"
    assert store.get_conversation(force="nowhere", conversation_id="c1") is None
    assert [m.id for m in store.list_messages(force="other", conversation_id="c1")] == ["m1"]
    assert store.list_conversations(force="demo") and store.list_conversations(force="nowhere") == []


def test_messages_are_ordered_and_client_ids_unique(store):
    store.create_conversation(force="demo", conversation=_conv(), messages=[_msg("g", role="bot")])
    first = store.add_message(force="demo", message=_msg("m1", client_id="k1"))
    assert first.seq == 2
    with pytest.raises(DuplicateClientId):
        store.add_message(force="demo", message=_msg("m2", client_id="k1"))
    assert store.get_message_by_client_id(force="demo", conversation_id="c1", client_id="k1").id == "m1"
    assert [m.seq for m in store.list_messages(force="demo", conversation_id="c1")] == [1, 2]


def test_update_is_atomic_and_version_checked(store):
    store.create_conversation(force="demo", conversation=_conv())
    visitor = store.add_message(force="demo", message=_msg("v1"))
    state = ConversationState(status=Status.QUEUED, queue="contact_centre", priority=2, turn=1)
    ev = Event(type="decision.made", force="demo", at=T0, conversation_id="c1", data={"turn": 1})
    decision = DecisionRecord(conversation_id="c1", message_id="v1", turn=1, decision={"risk_level": "none"},
                              created_at=T0)
    conv, stored = store.update_conversation(
        force="demo", conversation_id="c1", expected_version=1,
        update=ConversationUpdate(state=state, at=T0 + timedelta(seconds=1),
                                  messages=[_msg("r1", role="bot", reply_to=visitor.id,
                                                 options=({"id": "human", "label": "Talk to a person"},))],
                                  decision=decision, events=[ev]),
    )
    assert conv.version == 2 and conv.state.status is Status.QUEUED and conv.state.queue == "contact_centre"
    assert stored[0].seq == 2 and stored[0].options[0]["id"] == "human"
    assert store.get_decision(force="demo", message_id="v1").decision == {"risk_level": "none"}
    assert [e.event.type for e in store.list_events(force="demo", conversation_id="c1")] == ["decision.made"]
    assert store.list_conversations(force="demo", status="queued", queue="contact_centre")[0].id == "c1"
    # a stale version changes nothing, not even the messages of the same update
    with pytest.raises(StoreConflict):
        store.update_conversation(force="demo", conversation_id="c1", expected_version=1,
                                  update=ConversationUpdate(state=ConversationState(), at=T0,
                                                            messages=[_msg("r2", role="bot")]))
    assert [m.id for m in store.list_messages(force="demo", conversation_id="c1")] == ["v1", "r1"]
    assert store.get_conversation(force="demo", conversation_id="c1").state.status is Status.QUEUED


def test_an_event_of_another_force_is_refused(store):
    from switchboard.store import StoreError

    with pytest.raises(StoreError):
        store.add_events(force="demo", events=[Event(type="x", force="other", at=T0)])
    assert store.list_events(force="demo") == []


def test_everything_survives_reopening(tmp_path):
    s = SQLiteStore.in_data_dir(tmp_path)
    s.migrate()
    s.create_conversation(force="demo", conversation=_conv(), messages=[_msg("m1", text="<b>bold</b>")],
                          events=[Event(type="conversation.started", force="demo", at=T0, conversation_id="c1",
                                        data={"site": "demo"})])
    s.close()
    s2 = SQLiteStore.in_data_dir(tmp_path)
    s2.migrate()
    got = s2.list_messages(force="demo", conversation_id="c1")
    assert got == [dataclasses.replace(_msg("m1", text="<b>bold</b>"), seq=1)]
    ev = s2.list_events(force="demo")[0].event
    assert (ev.type, ev.schema_version, dict(ev.data), ev.at) == ("conversation.started", 1, {"site": "demo"}, T0)
    s2.close()
