"""Live fan-out of conversation events (operator replies, queue position, status changes).

:class:`PubSub` is the small interface; :class:`InProcessPubSub` serves one process. A Redis
implementation will replace it when several workers serve one deployment: publishers and
subscribers only ever see this interface.

``publish`` is synchronous and thread-safe (the conversation service runs in worker threads);
subscriptions are consumed on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any, AsyncIterator, Mapping, Protocol

log = logging.getLogger("switchboard.pubsub")


def conversation_channel(force: str, conversation_id: str) -> str:
    """The channel a conversation's live events are published on."""
    return f"conversation:{force}:{conversation_id}"


class Subscription(Protocol):
    """Payloads published on one channel after subscribing, in order."""

    async def get(self) -> Mapping[str, Any]:
        """Wait for the next payload. A ``{"type": "resync"}`` payload means some were dropped
        (a slow consumer): the consumer should re-read the transcript from the store."""


class PubSub(Protocol):
    def publish(self, channel: str, payload: Mapping[str, Any]) -> None:
        """Deliver ``payload`` (JSON-serialisable) to every current subscriber of ``channel``."""

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """``async with pubsub.subscribe(ch) as sub: await sub.get()``."""


class _QueueSubscription:
    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Mapping[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self.overflowed = False

    def _put(self, payload: Mapping[str, Any]) -> None:  # runs on self.loop
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.overflowed = True

    async def get(self) -> Mapping[str, Any]:
        if self.overflowed and self.queue.empty():
            self.overflowed = False
            return {"type": "resync"}
        return await self.queue.get()


class InProcessPubSub:
    """Fan-out inside one process. ``maxsize`` bounds each subscriber's backlog."""

    def __init__(self, maxsize: int = 256) -> None:
        self._subs: dict[str, set[_QueueSubscription]] = {}
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def subscriber_count(self, channel: str) -> int:
        with self._lock:
            return len(self._subs.get(channel, ()))

    def publish(self, channel: str, payload: Mapping[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs.get(channel, ()))
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub._put, dict(payload))
            except RuntimeError:  # the subscriber's loop has closed
                log.debug("dropping payload for a closed loop")

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        sub = _QueueSubscription(asyncio.get_running_loop(), self._maxsize)
        with self._lock:
            self._subs.setdefault(channel, set()).add(sub)
        try:
            yield sub
        finally:
            with self._lock:
                subs = self._subs.get(channel)
                if subs is not None:
                    subs.discard(sub)
                    if not subs:
                        del self._subs[channel]
