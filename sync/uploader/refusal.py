"""Central refused this kiosk's token: remembered so ``/healthz`` and ``hymy sync --status`` say so."""
from kiosk.storage.state import sync_state
from sync.uploader.client import CentralError


def note_refusal(error: CentralError) -> None:
    """Remember a refusal of the token (cleared by the first pass central answers again)."""
    if error.token_refused:
        sync_state.token_refused = str(error)
