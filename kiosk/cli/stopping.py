"""Stop a server at once on Ctrl+C or SIGTERM, with nothing left waiting.

A signal handler runs in the main thread between two of its bytecodes,
wherever that thread is. Python's own Ctrl+C (``KeyboardInterrupt``) and a
handler that calls ``sys.exit`` raise there, in the middle of whatever the
server's loop was doing: between waitress taking a connection's output lock
and the ``try`` that gives it back, the exception leaves the lock taken, and the
worker writing that connection's last bytes (an event stream ending) then
waits for it for good, so waitress waits five seconds for that thread, twice.
So these handlers raise nothing and take no lock the main thread may hold:
they end the screens' event streams (an open stream holds a server thread for
up to ``stream_max_age`` seconds) and set a flag, which the server's loop
(:func:`serve_until_stopped`) reads between two turns of at most
``TURN_SECONDS``; everything after that runs in plain order.
"""
import signal
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any, Union

from waitress import wasyncore

if TYPE_CHECKING:
    from kiosk.screen.events import Broadcaster

#: What ``signal.signal`` takes and ``signal.getsignal`` gives.
Handler = Union[Callable[[int, FrameType | None], Any], int, signal.Handlers, None]

#: The longest the server's loop waits before it looks at the flag again.
TURN_SECONDS = 0.2


class Stopping:
    """Whether SIGINT or SIGTERM asked the process to stop.

    :param events: the kiosk's :class:`~kiosk.screen.events.Broadcaster`, whose open
        streams end in the handler, before the server waits for their threads.
    """

    def __init__(self, events: "Broadcaster | None" = None) -> None:
        self.events = events
        self.requested = False
        self._previous: dict[int, Handler] = {}

    def install(self, signals: Iterable[int] = (signal.SIGINT, signal.SIGTERM)) -> "Stopping":
        """Handle *signals* from now on (call from the main thread) until :meth:`restore`; return self.

        A signal this process was started with ignored stays ignored, as
        ``nohup`` and a shell's background jobs expect.
        """
        for number in signals:
            previous = signal.getsignal(number)
            if previous is not signal.SIG_IGN:
                self._previous[number] = previous
                signal.signal(number, self._handle)
        return self

    def restore(self) -> None:
        """Put back the handlers :meth:`install` replaced (a server run inside a longer process)."""
        while self._previous:
            number, previous = self._previous.popitem()
            signal.signal(number, previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self.events is not None:
            self.events.close()


def serve_until_stopped(server: Any, stopping: Stopping) -> None:
    """Run waitress *server*'s loop until *stopping* is requested (waitress's own
    ``run`` only ends on an exception raised into it)."""
    while not stopping.requested:
        wasyncore.loop(timeout=TURN_SECONDS, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)
