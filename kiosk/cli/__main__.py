"""``python -m kiosk.cli`` runs the ``hymy`` command."""
from . import main

main()
