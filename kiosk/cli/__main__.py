"""``python -m kiosk.cli`` runs the ``hymy`` command."""
from kiosk.cli import main

main()
