"""Everything past the kiosk's disk: the wire protocol, the uploader and the
central service-management server."""
