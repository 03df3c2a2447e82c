"""``python -m kiosk`` runs the ``hymy`` command."""
from .cli import main

main()
