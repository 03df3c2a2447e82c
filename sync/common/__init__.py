"""Plumbing the parts share: config reading, files and locks, SQLite, the clock,
catalogs, templates and JSON over HTTP. Imports the wire, never a part above it."""
