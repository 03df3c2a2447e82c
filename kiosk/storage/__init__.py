"""The kiosk's storage: the SQLite file and its one write path, the outbox, hourly counts,
retention, identity, enrollment, content, backup and restore. No web, GPIO or HTTP client."""
