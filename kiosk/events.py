"""In-process fan-out of recorded ratings to the open screens.

The recorder publishes after each commit; every open Server-Sent Events stream
holds a :class:`Subscription`. A slow or vanished screen never blocks the
recorder: its queue is bounded and the oldest event is dropped. The last few
events are kept, so a screen that reconnects (streams are closed every
minute) gets what it missed by naming the last ``seq`` it saw.

Each open stream holds a server thread, so the broadcaster also caps how many
subscriptions exist at once (``max_streams``): counted under the same lock
that adds them, so two screens arriving together cannot both take the last slot.

When the kiosk stops, :meth:`Broadcaster.close` ends every open stream at
once: the server waits for its threads before it exits, and a stream would
otherwise hold one for up to ``stream_max_age`` seconds.
"""
import queue
import threading
from collections import deque

from sync.errors import HymyError


class TooManyStreams(HymyError):
    """Every stream slot is taken; the screen should come back in a few seconds."""


#: Put in a subscription's queue to wake its stream when the broadcaster closes.
_END = object()


class Subscription:
    def __init__(self, broadcaster, size):
        self._broadcaster = broadcaster
        self._queue = queue.Queue(maxsize=size)
        self.ended = False

    def put(self, event):
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass

    def get(self, timeout):
        """The next event, or None when *timeout* seconds pass without one or the stream has :attr:`ended`."""
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return None if event is _END else event

    def end(self):
        """Tell the stream to finish now, waking it if it waits: the kiosk is stopping."""
        self.ended = True
        self.put(_END)

    def close(self):
        """Give the slot back; safe to call more than once."""
        self._broadcaster.unsubscribe(self)


class Broadcaster:
    """Hands each published event to every current subscription.

    :param max_subscribers: subscriptions open at once at most (None: no cap);
        one more raises :class:`TooManyStreams`.
    """

    def __init__(self, queue_size=64, replay=64, max_subscribers=None):
        self._lock = threading.Lock()
        self._subscriptions = set()
        self._queue_size = queue_size
        self._recent = deque(maxlen=replay)
        self._closed = False
        self.max_subscribers = max_subscribers

    def subscribe(self, after_seq=None):
        """A new subscription; with *after_seq*, first the kept events after it.
        Once the broadcaster is closed, an already ended one (the screen comes back later).

        :raises TooManyStreams: ``max_subscribers`` are already open.
        """
        subscription = Subscription(self, self._queue_size)
        with self._lock:
            if self._closed:
                subscription.end()
                return subscription
            if self.max_subscribers is not None and len(self._subscriptions) >= self.max_subscribers:
                raise TooManyStreams(f"all {self.max_subscribers} screen streams are open")
            if after_seq is not None:
                for event in self._recent:
                    if event["seq"] > after_seq:
                        subscription.put(event)
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription):
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def subscriber_count(self):
        with self._lock:
            return len(self._subscriptions)

    def close(self):
        """End every open stream and each one opened from now on; safe to call more than once."""
        with self._lock:
            self._closed = True
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.end()

    def publish(self, event):
        """Hand *event* (a dict with a ``seq``) to every subscription."""
        with self._lock:
            self._recent.append(event)
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.put(event)
