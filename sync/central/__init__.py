"""The central service-management server: ingest, kiosk config, export.

The web tier keeps no state of its own: every request reads and writes the
database, so several processes or hosts can share one PostgreSQL.
"""
