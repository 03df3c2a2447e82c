"""The brand's default content, shared by the kiosk and central.

A kiosk records from its first minute with these until central sends its
own; central seeds its database with them. Labels are English message ids,
marked with :func:`N_` for extraction and translated where they are shown, by
each part's own catalog (kiosk/translations, sync/central/translations).
"""
from dataclasses import dataclass


def N_(message: str) -> str:
    """Mark *message* for translation without translating it here (gettext's ``N_``)."""
    return message


#: Languages the screens and central's content speak.
LANGUAGES = ("fi", "sv", "en")

DEFAULT_QUESTION_ID = "service"
DEFAULT_QUESTION_TEXT = N_("How did we do today?")

#: The satisfaction target (share of happy and very happy, in percent).
DEFAULT_TARGET = 85
#: Fewer counted ratings than this show "too few", not a percentage.
DEFAULT_MIN_RESPONSES = 5


@dataclass(frozen=True)
class DefaultReason:
    """A follow-up reason as shipped: a stable key, its quality-model group, an English label."""

    key: str
    group: str
    label: str


#: Grönroos's model: the outcome (technical, *what*) and the process (functional, *how*).
DEFAULT_REASONS = (
    DefaultReason("outcome", "outcome", N_("The result")),
    DefaultReason("staff", "attitude", N_("Staff")),
    DefaultReason("waiting", "accessibility", N_("Waiting time")),
    DefaultReason("opening_hours", "accessibility", N_("Opening hours")),
    DefaultReason("reliability", "reliability", N_("Reliability")),
    DefaultReason("information", "communication", N_("Information and advice")),
    DefaultReason("premises", "environment", N_("Premises and cleanliness")),
    DefaultReason("trust", "trust", N_("Trust")),
    DefaultReason("problem_handling", "recovery", N_("Problem solving")),
)
DEFAULT_REASON_KEYS = tuple(reason.key for reason in DEFAULT_REASONS)
