"""``POST /api/v1/enroll``: the kiosk binds its own UUID to the token's kiosk."""

from sync.wire.protocol.checks import Text, uuid_text

#: ``POST /api/v1/enroll``: the kiosk's own UUID, bound to the token's kiosk.
ENROLL_FIELDS = {"kiosk_id": uuid_text, "software_version": Text(40)}
