"""``python -m kiosk`` runs the ``hymy`` command."""
from kiosk.cli import main

main()
