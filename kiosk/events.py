"""In-process fan-out of recorded ratings to the open screens.

The recorder publishes after each commit; every open Server-Sent Events stream
holds a :class:`Subscription`. A slow or vanished screen never blocks the
recorder: its queue is bounded and the oldest event is dropped. The last few
events are kept, so a screen that reconnects (streams are closed every
minute) gets what it missed by naming the last ``seq`` it saw.
"""
import queue
import threading
from collections import deque


class Subscription:
    def __init__(self, broadcaster, size):
        self._broadcaster = broadcaster
        self._queue = queue.Queue(maxsize=size)

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
        """The next event, or None when *timeout* seconds pass without one."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        self._broadcaster.unsubscribe(self)


class Broadcaster:
    """Hands each published event to every current subscription."""

    def __init__(self, queue_size=64, replay=64):
        self._lock = threading.Lock()
        self._subscriptions = set()
        self._queue_size = queue_size
        self._recent = deque(maxlen=replay)

    def subscribe(self, after_seq=None):
        """A new subscription; with *after_seq*, first the kept events after it."""
        subscription = Subscription(self, self._queue_size)
        with self._lock:
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

    def publish(self, event):
        """Hand *event* (a dict with a ``seq``) to every subscription."""
        with self._lock:
            self._recent.append(event)
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.put(event)
