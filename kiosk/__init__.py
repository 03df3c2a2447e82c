"""Hymy kiosk: the edge device that records one-press customer ratings.

Importing this package has no side effects; the app factory is
``kiosk.app.create_app`` and the ``hymy`` command is ``kiosk.cli``.
"""
