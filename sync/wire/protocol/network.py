"""``GET /api/v1/network``: where a kiosk's site stands in the brand's network.

For each period (yesterday, the last 7 and the last 30 local days of each site) the
document gives the brand's figures overall and for the kiosk's service, the site's own
figures as central sees them (every kiosk of the site), and the site's rank among the
sites that run the kiosk's service, with the best and the median site's satisfaction.
Other sites are named only when head office shares their names. A kiosk drops fields it
does not know, so central may add some without breaking older kiosks; an older central
answers 404, and the kiosk shows no network.
"""

from sync.wire.protocol.actions import ACTION_FIELDS
from sync.wire.protocol.checks import (
    Default,
    Document,
    Fields,
    ListOf,
    Number,
    Optional,
    Text,
    Time,
    Whole,
)

#: The periods of the document, shortest first.
NETWORK_PERIODS = ("yesterday", "7d", "30d")

#: One figure as every surface shows it: counted ratings, satisfaction (whole percent) and
#: Happy Index (one decimal), both null under ``min_responses``.
FIGURE_FIELDS: Fields = {
    "counted": Whole(0),
    "satisfaction": Optional(Whole(0, 100)),
    "happy_index": Optional(Number(0, 100, "a Happy Index")),
}

#: One period: the brand, the kiosk's service across the brand, the site; the site's rank among
#: the sites taking part (null when it does not), how many take part, the best and the median.
NETWORK_PERIOD_FIELDS: Fields = {
    "brand": Document(FIGURE_FIELDS),
    "service": Document(FIGURE_FIELDS, nullable=True),
    "site": Document(FIGURE_FIELDS),
    "rank": Optional(Whole(1)),
    "of": Whole(0),
    "best": Optional(Whole(0, 100)),
    "median": Optional(Whole(0, 100)),
}

#: A site of the ranking, when head office shares the names.
RANKED_SITE_FIELDS: Fields = {
    "name": Text(120),
    "rank": Whole(1),
    "satisfaction": Whole(0, 100),
}

NETWORK_FIELDS: Fields = {
    "generated_at": Time(),
    "periods": Document({name: Document(NETWORK_PERIOD_FIELDS) for name in NETWORK_PERIODS}),
    # Per period, the sites taking part, best first; only with share_site_names on at central.
    "site_names": Default(
        Optional(Document({name: ListOf(RANKED_SITE_FIELDS, 10_000) for name in NETWORK_PERIODS})), None
    ),
    # Every action row of the site, oldest first (an edit supersedes, a withdrawal is a row of its own).
    "actions": Default(ListOf(ACTION_FIELDS, 10_000), []),
}
