"""The wire: the protocol's documents and checks, opening hours, figures and how they are shown.
Pure Python, no framework: the kiosk, the uploader and central all read it."""
