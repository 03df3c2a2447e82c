"""The fleet page: each kiosk's last sync, heartbeat, backlog and whether it has gone silent."""
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.central.reports.periods import Scope
from sync.central.store.models import (
    Kiosk,
    KioskStatus,
    Site,
)
from sync.common.zones import site_hours

#: A kiosk silent this long within its site's opening hours is flagged on the fleet page.
SILENT_MINUTES = 60


@dataclass(frozen=True)
class FleetRow:
    kiosk: Kiosk
    site: Site
    status: KioskStatus | None  # None: never reported
    silent: bool

    @property
    def last_sync_at(self) -> datetime | None:
        """When the kiosk's uploader last reached central: the later of its last heartbeat and the last
        batch central took (None: neither yet). A kiosk with nothing to send heartbeats every pass and
        sends no batch; it is in sync, not stale."""
        moments = [moment for moment in (self.status.reported_at if self.status else None, self.kiosk.last_batch_at)
                   if moment is not None]
        return max(moments, default=None)

    @property
    def clock_offset_seconds(self) -> float | None:
        """The kiosk's wall clock minus central's at its last heartbeat (positive: ahead)."""
        if self.status is None:
            return None
        return (self.status.wall - self.status.reported_at).total_seconds()

    @property
    def has_gap(self) -> bool:
        """Central holds a row numbered above one it lacks, or the kiosk reported a gap it could not fill."""
        return self.kiosk.seq_highest > self.kiosk.seq_contiguous or bool(self.status and self.status.gap_error)


def fleet(scope: Scope, now: datetime) -> list[FleetRow]:
    """Every kiosk of *scope* (revoked ones left out) with its last heartbeat and how it is doing.

    An enrolled kiosk that never sent a heartbeat is silent counted from its enrollment: a
    kiosk installed and then unplugged is exactly what the page is for.
    """
    from sync.central.alerts.rules import Thresholds, silent_breach

    kiosks = list(Kiosk.select(Kiosk, Site).join(Site)
                  .where(scope.kiosk_condition() & ~Kiosk.revoked).order_by(Site.name, Kiosk.name))
    statuses = {s.kiosk_id: s for s in KioskStatus.select().where(KioskStatus.kiosk.in_([k.id for k in kiosks]))} \
        if kiosks else {}
    thresholds = Thresholds(silent_minutes=SILENT_MINUTES)
    hours: dict[int, Any] = {}
    rows = []
    for kiosk in kiosks:
        if kiosk.site_id not in hours:
            hours[kiosk.site_id] = site_hours(kiosk.site)
        status = statuses.get(kiosk.id)
        last_seen = status.reported_at if status is not None else kiosk.enrolled_at
        silent = silent_breach(last_seen, now, hours[kiosk.site_id], thresholds)
        rows.append(FleetRow(kiosk, kiosk.site, status, silent))
    return rows
