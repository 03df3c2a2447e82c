"""What systemd says of ``hymy-kiosk.service``: doctor's units line, and restore's refusal.

systemd restarts a stopped kiosk within seconds (``Restart=always``), so its
lock file alone can look free between two runs; the unit's state does not.
"""
import shutil
import subprocess
from pathlib import Path

KIOSK_UNIT = "hymy-kiosk.service"
#: Present while systemd is the init (sd_booted(3) looks here).
SYSTEMD_RUNTIME = Path("/run/systemd/system")
#: States in which systemd runs the unit, or is about to.
RUNNING_STATES = frozenset({"active", "activating", "reloading", "deactivating"})


def ask_systemctl(command: str, verb: str, unit: str = KIOSK_UNIT) -> str:
    """systemctl's one-word answer (``enabled``, ``inactive`` …); empty when it gave none."""
    try:
        done = subprocess.run([command, verb, unit], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def kiosk_unit_running(runtime: Path | None = None, systemctl: str = "systemctl") -> bool:
    """True when systemd runs ``hymy-kiosk.service`` or is starting it; False without systemd."""
    runtime = SYSTEMD_RUNTIME if runtime is None else runtime
    command = shutil.which(systemctl) if runtime.is_dir() else None
    return command is not None and ask_systemctl(command, "is-active") in RUNNING_STATES
