"""Time as the kiosk sees it, behind one injectable object.

A Raspberry Pi has no real-time clock: until NTP synchronises, wall time may be
days off. So every row keeps the UTC wall time, whether the clock was trusted
then, the boot id and a CLOCK_BOOTTIME reading. Decisions that compare two
moments (repeat presses, debounce) use the monotonic reading, never wall time.
Tests pass a :class:`FakeClock` so a day of kiosk time takes milliseconds.
"""
import ctypes
import ctypes.util
import functools
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Protocol

# adjtimex(2) returns TIME_ERROR while the kernel considers the clock
# unsynchronised (STA_UNSYNC). Reading it needs no privilege and works with any
# NTP client (systemd-timesyncd, chrony, ntpd), unlike their private status files.
_TIME_ERROR = 5
_TIMEX_BUFFER_BYTES = 512  # struct timex is about 208 bytes; modes=0 means read only
# A zeroed buffer per call (so threads never share one), made from a type built
# once: create_string_buffer would build the array type again on every press.
_Timex = ctypes.c_char * _TIMEX_BUFFER_BYTES


def _read_boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        # Not Linux: one id per process is the best honest substitute.
        return str(uuid.uuid4())


@functools.cache
def _libc() -> ctypes.CDLL:
    # find_library runs `ldconfig -p`: a subprocess, so once per process only.
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _kernel_clock_synchronised() -> bool:
    try:
        return bool(_libc().adjtimex(_Timex()) not in (-1, _TIME_ERROR))
    except (OSError, AttributeError):
        return False


class Clock(Protocol):
    """What the kiosk and central ask of a clock: :class:`SystemClock`, or :class:`FakeClock` in tests."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def boot_id(self) -> str: ...

    def trusted(self) -> bool: ...

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None: ...


class SystemClock:
    """The real clocks of this machine.

    :param trust: ``"auto"`` asks the kernel whether NTP has synchronised the
        clock; ``"always"`` and ``"never"`` fix the answer (a kiosk with a
        battery-backed RTC, or a test bench).
    """

    def __init__(self, trust: str = "auto") -> None:
        self.trust = trust
        self._boot_id = _read_boot_id()

    def now(self) -> datetime:
        """Current UTC wall time, timezone-aware."""
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        """Seconds since boot, counting suspend (CLOCK_BOOTTIME)."""
        return time.clock_gettime(time.CLOCK_BOOTTIME)

    def boot_id(self) -> str:
        return self._boot_id

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        """Wait *seconds*, or less if *stop* (a threading.Event) is set."""
        (stop or threading.Event()).wait(seconds)

    def trusted(self) -> bool:
        if self.trust == "always":
            return True
        if self.trust == "never":
            return False
        return _kernel_clock_synchronised()


class FakeClock:
    """A clock tests and the demo seeder move by hand.

    >>> clock = FakeClock(datetime(2026, 3, 29, 6, 0, tzinfo=timezone.utc))
    >>> clock.advance(2.5)   # wall and monotonic time both move
    >>> clock.set_wall(datetime(2026, 1, 1, tzinfo=timezone.utc))  # an NTP jump
    """

    def __init__(
        self, wall: datetime | None = None, monotonic: float = 1000.0, trusted: bool = True, boot_id: str = "fake-boot"
    ) -> None:
        self._lock = threading.Lock()
        self._wall = wall or datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
        self._monotonic = monotonic
        self._trusted = trusted
        self._boot_id = boot_id

    def now(self) -> datetime:
        with self._lock:
            return self._wall

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic

    def boot_id(self) -> str:
        return self._boot_id

    def trusted(self) -> bool:
        return self._trusted

    def advance(self, seconds: float) -> None:
        """Move wall and monotonic time forward together."""
        with self._lock:
            self._wall += timedelta(seconds=seconds)
            self._monotonic += seconds

    def set_wall(self, wall: datetime, trusted: bool | None = None) -> None:
        """Jump the wall clock only, as NTP does; monotonic time is untouched."""
        with self._lock:
            self._wall = wall
            if trusted is not None:
                self._trusted = trusted

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        """Let *seconds* pass at once: a simulated day of backoff takes no time."""
        self.advance(seconds)

    def set_trusted(self, trusted: bool) -> None:
        self._trusted = trusted

    def reboot(self, boot_id: str, monotonic: float = 5.0) -> None:
        """Start a new boot: a new id and a monotonic clock near zero."""
        with self._lock:
            self._boot_id = boot_id
            self._monotonic = monotonic
