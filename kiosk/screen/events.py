"""In-process fan-out of recorded ratings to the open screens.

The recorder publishes after each commit; every open Server-Sent Events stream
holds a :class:`Subscription`. A slow or vanished screen never blocks the
recorder: its queue is bounded and the oldest event is dropped. The last few
events are kept, so a screen that reconnects (streams are closed every
minute) gets what it missed by naming the last ``seq`` it saw.

Each open stream holds a server thread, so the broadcaster also caps how many
subscriptions exist at once (``max_streams``): counted under the same lock
that adds them, so two screens arriving together cannot both take the last slot.
So that other clients can never take every slot from the kiosk's own screen,
each other address may hold at most ``max_streams_per_client`` streams, and
none of them may take the last free slot: that one is kept for the screen.

When the kiosk stops, :meth:`Broadcaster.close` ends every open stream at
once: the server waits for its threads before it exits, and a stream would
otherwise hold one for up to ``stream_max_age`` seconds.
"""
import queue
import threading
from collections import Counter, deque
from typing import Any, cast

from sync.wire.errors import HymyError


class TooManyStreams(HymyError):
    """Every stream slot is taken; the screen should come back in a few seconds."""


#: Put in a subscription's queue to wake its stream when the broadcaster closes.
_END = object()
#: An event as the screen's stream sends it (JSON: ``seq``, ``id``, ``rating`` …).
Event = dict[str, Any]


class Subscription:
    def __init__(self, broadcaster: "Broadcaster", size: int, client: str | None = None) -> None:
        self._broadcaster = broadcaster
        self._queue: queue.Queue[Event | object] = queue.Queue(maxsize=size)
        self.client = client
        self.ended = False

    def put(self, event: Event | object) -> None:
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass

    def get(self, timeout: float | None) -> Event | None:
        """The next event, or None when *timeout* seconds pass without one or the stream has :attr:`ended`."""
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return None if event is _END else cast(Event, event)

    def end(self) -> None:
        """Tell the stream to finish now, waking it if it waits: the kiosk is stopping."""
        self.ended = True
        self.put(_END)

    def close(self) -> None:
        """Give the slot back; safe to call more than once."""
        self._broadcaster.unsubscribe(self)


class Broadcaster:
    """Hands each published event to every current subscription.

    :param max_subscribers: subscriptions open at once at most (None: no cap);
        one more raises :class:`TooManyStreams`.
    :param max_per_client: subscriptions one client may hold at once (None: no
        cap), for every client but *own_screen*.
    :param own_screen: the client the last free slot is kept for (the kiosk's
        own screen); the other clients never take it. A subscription made
        without a client (in-process) is counted but neither capped nor kept out.

    >>> broadcaster = Broadcaster(max_subscribers=2, max_per_client=1, own_screen="127.0.0.1")
    >>> lan = broadcaster.subscribe(client="192.0.2.7")  # the next LAN one would take the last slot
    >>> screen = broadcaster.subscribe(client="127.0.0.1")
    """

    def __init__(
        self,
        queue_size: int = 64,
        replay: int = 64,
        max_subscribers: int | None = None,
        max_per_client: int | None = None,
        own_screen: str | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._per_client: Counter[str] = Counter()
        self._queue_size = queue_size
        self._recent: deque[Event] = deque(maxlen=replay)
        self._closed = False
        self.max_subscribers = max_subscribers
        self.max_per_client = max_per_client
        self.own_screen = own_screen

    def subscribe(self, after_seq: int | None = None, client: str | None = None) -> Subscription:
        """A new subscription for *client* (its address); with *after_seq*, first the kept events after it.
        Once the broadcaster is closed, an already ended one (the screen comes back later).

        :raises TooManyStreams: ``max_subscribers`` are already open, or *client*
            holds ``max_per_client``, or it would take the slot kept for ``own_screen``.
        """
        subscription = Subscription(self, self._queue_size, client)
        with self._lock:
            if self._closed:
                subscription.end()
                return subscription
            self._check_room(client)
            if after_seq is not None:
                for event in self._recent:
                    if event["seq"] > after_seq:
                        subscription.put(event)
            self._subscriptions.add(subscription)
            if client is not None:
                self._per_client[client] += 1
        return subscription

    def _check_room(self, client: str | None) -> None:
        """Raise :class:`TooManyStreams` unless *client* may open one more stream (under the lock)."""
        open_now = len(self._subscriptions)
        if self.max_subscribers is not None and open_now >= self.max_subscribers:
            raise TooManyStreams(f"all {self.max_subscribers} screen streams are open")
        if client is None or client == self.own_screen:
            return
        if self.max_per_client is not None and self._per_client[client] >= self.max_per_client:
            raise TooManyStreams(f"{client} already has {self.max_per_client} screen streams open")
        if self.own_screen is not None and self.max_subscribers is not None and open_now + 1 >= self.max_subscribers:
            raise TooManyStreams("the last free screen stream is kept for the kiosk's own screen")

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.discard(subscription)
                if subscription.client is not None:
                    self._per_client[subscription.client] -= 1
                    if not self._per_client[subscription.client]:
                        del self._per_client[subscription.client]

    def client_count(self, client: str) -> int:
        """How many subscriptions *client* holds now."""
        with self._lock:
            return self._per_client[client]

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def close(self) -> None:
        """End every open stream and each one opened from now on; safe to call more than once."""
        with self._lock:
            self._closed = True
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.end()

    def publish(self, event: Event) -> None:
        """Hand *event* (a dict with a ``seq``) to every subscription."""
        with self._lock:
            self._recent.append(event)
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.put(event)
