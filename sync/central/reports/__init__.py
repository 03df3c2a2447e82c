"""Head office's figures, read from the rollups (sync/central/store/rollups.py), never from raw rows.

A period is a run of whole local days *of each site*: "today" is each site's
own today in its own zone, so a site in Helsinki and one in Lisbon each show
their day. Sites are grouped by the days they cover, one query per group
(usually one or two), and summed per what the page groups by: site, kiosk,
service or provider. Every figure comes from :mod:`sync.wire.figures` and is shown
by :mod:`sync.wire.display` (the manager screen's formulas and rounding), given the
counts summed here.

Hours come from ``rollup_hour`` (UTC hours, shown at their local start), days
and longer ranges from ``rollup_day`` (exact local days in every zone).

The package: :mod:`.periods` (periods and scope), :mod:`.queries` (the rollup queries),
:mod:`.presentation` (figures as the pages show them), :mod:`.comments`, :mod:`.fleet` and
:mod:`.export` (the CSV export). The names below are what the pages, the digest and the
alerts use, as ``reports.<name>``.
"""
from sync.central.reports.comments import (  # noqa: F401
    COMMENTS_PER_PAGE,
    CommentRow,
    comments,
)
from sync.central.reports.fleet import (  # noqa: F401
    SILENT_MINUTES,
    FleetRow,
    fleet,
)
from sync.central.reports.network import network_document  # noqa: F401
from sync.central.reports.periods import (  # noqa: F401
    MAX_RANGE_DAYS,
    PERIOD_DAYS,
    PERIODS,
    Period,
    PeriodError,
    Scope,
    local_day_bounds,
    local_today,
)
from sync.central.reports.presentation import (  # noqa: F401
    Figures,
    empty_figures,
    figures_by,
    heat_map,
    hours_of_day,
    months,
    total_figures,
)
from sync.central.reports.queries import (  # noqa: F401
    NAMED_BY,
    ReasonGroups,
    UnpublishedReason,
    brand_settings,
    day_counts,
    hour_counts,
    named,
    reason_groups,
    reason_labels,
    sites_in,
)
