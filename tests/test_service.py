"""ConversationService: store-before-reply, idempotency, decisions, events, live fan-out."""

from __future__ import annotations

import asyncio
import threading

import pytest

from switchboard import hookimpl
from switchboard.dispatch import Dispatcher
from switchboard.plugin_manager import make_plugin_manager
from switchboard.service import ConversationService, InvalidToken, TurnFailed, UnknownSite
from switchboard.store import SQLiteStore, StoreConflict
from switchboard.store.pubsub import InProcessPubSub, conversation_channel
from switchboard.types import RiskLevel, RiskSignal, Status


class BreakIn:
    @hookimpl
    def assess_risk(self, message):
        if "breaking into my house" in message.normalised:
            return RiskSignal(RiskLevel.IMMEDIATE, "crime_in_progress", "break-in now", rule_id="t-breakin")
        return None


class Recorder:
    def __init__(self) -> None:
        self.events = []

    @hookimpl
    def on_event(self, event):
        self.events.append(event)


@pytest.fixture
def make_service(sb_settings, tmp_path):
    made = []

    def make(plugins=(), **overrides):
        settings = sb_settings(**overrides)
        pm = make_plugin_manager(extra_plugins=list(plugins))
        store = SQLiteStore.in_data_dir(settings.data_dir)
        store.migrate()
        made.append(store)
        return ConversationService(settings=settings, dispatcher=Dispatcher(pm, settings), store=store,
                                   pubsub=InProcessPubSub())

    yield make
    for s in made:
        s.close()


def test_start_stores_hashed_token_and_greeting(make_service):
    svc = make_service()
    started = svc.start(site="demo")
    conv = svc.store.get_conversation(force="demo", conversation_id=started.conversation.id)
    assert conv.token_hash != started.token and len(conv.token_hash) == 64
    assert svc.authenticate(conv.id, started.token).id == conv.id
    with pytest.raises(InvalidToken):
        svc.authenticate(conv.id, started.token + "x")
    assert [m.kind for m in started.messages] == ["greeting"]
    assert "human" in [o["id"] for o in started.messages[0].options]
    with pytest.raises(UnknownSite):
        svc.start(site="nope")


def test_visitor_message_is_stored_before_the_reply_is_computed(make_service):
    svc = make_service()
    conv = svc.start(site="demo").conversation
    seen = []
    real = svc.dispatcher.dispatch

    def spy(message):
        stored = svc.store.list_messages(force="demo", conversation_id=conv.id)
        seen.append([(m.role, m.text) for m in stored])
        return real(message)

    svc.dispatcher.dispatch = spy  # type: ignore[method-assign]
    svc.handle_visitor_message(conv.id, text="my bike was stolen last week")
    assert seen == [[("bot", seen[0][0][1]), ("visitor", "my bike was stolen last week")]]


def test_a_failed_turn_keeps_the_message_and_a_retry_finishes_it(make_service):
    rec = Recorder()
    svc = make_service(plugins=[("rec", rec)])
    conv = svc.start(site="demo").conversation
    real = svc.dispatcher.dispatch
    svc.dispatcher.dispatch = lambda message: (_ for _ in ()).throw(RuntimeError("journey bug"))  # type: ignore[method-assign]
    with pytest.raises(TurnFailed):
        svc.handle_visitor_message(conv.id, text="noise every night", client_id="k1")
    msgs = svc.store.list_messages(force="demo", conversation_id=conv.id)
    assert [(m.role, m.text) for m in msgs][1:] == [("visitor", "noise every night")]
    assert "turn.failed" in [e.event.type for e in svc.store.list_events(force="demo", conversation_id=conv.id)]
    svc.dispatcher.dispatch = real  # type: ignore[method-assign]
    result = svc.handle_visitor_message(conv.id, text="noise every night", client_id="k1")
    assert not result.replayed and result.messages[0].id == msgs[1].id and len(result.messages) > 1
    again = svc.handle_visitor_message(conv.id, text="noise every night", client_id="k1")
    assert again.replayed and [m.id for m in again.messages] == [m.id for m in result.messages]
    visitor_rows = [m for m in svc.store.list_messages(force="demo", conversation_id=conv.id) if m.role == "visitor"]
    assert len(visitor_rows) == 1
    assert len(svc.store.list_decisions(force="demo", conversation_id=conv.id)) == 1
    assert "turn.failed" in [e.type for e in rec.events]


def test_decision_and_versioned_events_are_stored_without_visitor_text(make_service):
    rec = Recorder()
    svc = make_service(plugins=[("breakin", BreakIn), ("rec", rec)])
    conv = svc.start(site="demo").conversation
    result = svc.handle_visitor_message(conv.id, text="someone is breaking into my house right now")
    assert result.state.emergency and result.messages[1].kind == "emergency"
    decision = svc.store.get_decision(force="demo", message_id=result.messages[0].id)
    assert decision.decision["risk_level"] == "immediate" and decision.decision["emergency"] is True
    stored = [e.event for e in svc.store.list_events(force="demo", conversation_id=conv.id)]
    types = [e.type for e in stored]
    for wanted in ("conversation.started", "message.received", "decision.made", "emergency.diverted",
                   "handover.requested", "status.changed", "message.sent"):
        assert wanted in types
    assert all(e.schema_version == 1 and e.force == "demo" for e in stored)
    assert "breaking" not in repr([dict(e.data) for e in stored])
    assert [e.type for e in rec.events] == types  # the observers saw exactly what was stored


def test_concurrent_retries_with_one_client_id_store_once(make_service):
    svc = make_service()
    conv = svc.start(site="demo").conversation
    results = []

    def send():
        results.append(svc.handle_visitor_message(conv.id, text="lost my wallet", client_id="same"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for r in results if not r.replayed) == 1
    assert len({tuple(m.id for m in r.messages) for r in results}) == 1
    visitors = [m for m in svc.store.list_messages(force="demo", conversation_id=conv.id) if m.role == "visitor"]
    assert len(visitors) == 1


def test_live_channel_gets_visitor_bot_and_operator_messages_and_state(make_service):
    svc = make_service()
    conv = svc.start(site="demo").conversation

    async def scenario():
        async with svc.pubsub.subscribe(conversation_channel("demo", conv.id)) as sub:
            await asyncio.to_thread(svc.handle_visitor_message, conv.id, choice="human")
            await asyncio.to_thread(svc.post_message, conv.id, role="operator", text="Hello, PC Smith here",
                                    author="op1", change_state=lambda s: s.replace(status=Status.WITH_OPERATOR))
            got = []
            while len(got) < 5:
                got.append(await asyncio.wait_for(sub.get(), 10))
            return got

    got = asyncio.run(scenario())
    kinds = [(p["type"], p.get("message", {}).get("role")) for p in got]
    assert kinds == [("message", "visitor"), ("message", "bot"), ("state", None), ("message", "operator"),
                     ("state", None)]
    assert got[2]["state"]["status"] == "queued"
    assert got[-1] == {"type": "state", "state": {**got[-1]["state"], "status": "with_operator"}}
    operator = [p["message"] for p in got if p["type"] == "message" and p["message"]["role"] == "operator"]
    assert operator[0]["text"] == "Hello, PC Smith here"
    assert svc.pubsub.subscriber_count(conversation_channel("demo", conv.id)) == 0


def test_change_state_refuses_a_stale_version(make_service):
    svc = make_service()
    conv = svc.start(site="demo").conversation
    svc.change_state(conv.id, lambda s: s.replace(status=Status.WITH_OPERATOR), expected_version=conv.version)
    with pytest.raises(StoreConflict):  # a second operator claiming from the same read loses
        svc.change_state(conv.id, lambda s: s.replace(status=Status.WITH_OPERATOR), expected_version=conv.version)
    assert svc.get(conv.id).state.status is Status.WITH_OPERATOR
