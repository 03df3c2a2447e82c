"""The config files ``hymy install`` writes when none exists (it never overwrites one).

Each sets only the data dir, which the units and every ``hymy`` command run by
root must agree on, and shows the keys an installer most often changes as
comments. docs/configuration.md lists every key.
"""

KIOSK_CONFIG = """\
# Hymy kiosk configuration (docs/configuration.md lists every key and its default).
# Written once by hymy install, which never overwrites it. After a change:
#   sudo systemctl restart hymy-kiosk

# The database, the kiosk's id and its enrollment (the kiosk unit's StateDirectory).
data_dir = "/var/lib/hymy"

# The screen's default language, and the languages on its switch.
# language = "fi"
# languages = ["fi", "sv", "en"]
# timezone = "Europe/Helsinki"

# The touchscreen: its rotation in degrees (0, 90, 180 or 270) and the output it is on
# (unset: the first output wlr-randr lists). Outside opening hours the screen is off.
# display_rotation = 0
# display_output = "DSI-1"

# The smiley buttons' and LEDs' BCM pins, for ratings 1 to 4 (docs/install.md, "Wiring the buttons").
# button_pins = [5, 6, 13, 19]
# led_pins = [12, 16, 20, 21]

# Opening hours until the kiosk is enrolled (head office's hours apply from then on).
# [opening_hours]
# mon = ["08:00-20:00"]
# sat = ["09:00-18:00"]
"""

CENTRAL_CONFIG = """\
# Hymy central configuration (docs/configuration.md, "Central configuration", lists every key and its default).
# Written once by hymy install, which never overwrites it. The database's address and
# password go in /etc/hymy/central.env. After a change:
#   sudo systemctl restart hymy-central hymy-central-worker

# The default SQLite database and the worker's lock file (the units' StateDirectory).
data_dir = "/var/lib/hymy-central"

# Where gunicorn listens: keep loopback and put a TLS-terminating proxy in front.
# host = "127.0.0.1"
# port = 8100
# workers = 2
# proxy_hops = 1

# Mail for alerts and daily digests.
# smtp_host = "smtp.example.com"
# smtp_from = "hymy@example.com"
"""

CENTRAL_ENVIRONMENT = """\
# Environment of the hymy-central units (readable by root and hymy-central only: it may hold
# the database's password). Unset: SQLite in /var/lib/hymy-central.
# DATABASE_URL=postgresql://hymy:PASSWORD@db.example.com:5432/hymy
# HYMY_CENTRAL_SMTP_PASSWORD=
"""
