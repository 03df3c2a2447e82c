"""The wire's vocabulary: the faces, sources, filters, quality-model groups, limits and time format."""

#: The four faces, very unhappy (1) to very happy (4). No neutral.
RATINGS = (1, 2, 3, 4)
UNHAPPY_RATINGS = (1, 2)
HAPPY_RATINGS = (3, 4)
SOURCES = ("touch", "button")
#: Filter names: ``repeat`` and ``closed`` never count; ``unverified`` waits for a trusted clock.
REPEAT, CLOSED, UNVERIFIED = "repeat", "closed", "unverified"
FILTERS = (REPEAT, CLOSED, UNVERIFIED)
KIOSK_FILTERS = (None, *FILTERS)
COMMENT_MAX = 500
TECHNICAL, FUNCTIONAL = "technical", "functional"
#: Quality-model group -> dimension (Grönroos: technical = what, functional = how). Keys never change.
GROUPS = {
    "outcome": TECHNICAL,
    "attitude": FUNCTIONAL,
    "accessibility": FUNCTIONAL,
    "reliability": FUNCTIONAL,
    "communication": FUNCTIONAL,
    "environment": FUNCTIONAL,
    "trust": FUNCTIONAL,
    "recovery": FUNCTIONAL,
}
GROUP_KEYS = tuple(GROUPS)

MAX_ROWS = 1000
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_QUESTION_VERSION = 1_000_000
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# A kiosk's wall clock may be days off, but never centuries: anything outside
# these years is garbage, and would overflow time arithmetic downstream.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
# CLOCK_BOOTTIME in seconds: never negative, and 1e10 s is over 300 years of uptime.
MAX_MONOTONIC = 1e10
MAX_NUMBER = 1e12
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
