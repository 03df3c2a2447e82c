"""``hymy central``: head office's commands, the gunicorn runner and the demo's central network."""
