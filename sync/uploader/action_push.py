"""A pass's step after the ratings: send the manager's actions (their own small outbox).

An action is not a rating and takes no place in the rating sequence; it goes after the pass's
batches, oldest first, one request each (a manager records a few a month). Central keeps a row
once by its id, so a row whose answer was lost is simply sent again and answered 200. A row
central says it will never keep (409: its id is kept with other content; 422: malformed; 403:
another kiosk's) is marked refused, kept and shown on the manager's Actions page, and never
holds back the rows after it. Anything else (no answer, a 5xx) stops the step until the next
pass, without failing the pass: the ratings have been shipped already.
"""

import logging
from datetime import datetime

from kiosk.storage import actions
from sync.uploader.client import CentralClient, CentralError

log = logging.getLogger(__name__)

#: Central's answers that mean "never": the row is set aside, not sent again.
NEVER = (403, 409, 422)


def push_actions(client: CentralClient, now: datetime) -> int:
    """Send the unsent actions; the number central kept (or already had)."""
    sent = 0
    for action in actions.unsent():
        try:
            client.send_action(action)
        except CentralError as error:
            if error.from_central and error.status in NEVER:
                log.error("central refused action %s for good: %s", action["id"], error)
                actions.mark_refused(action["id"], str(error))
                continue
            log.warning("could not send action %s, trying again at the next pass: %s", action["id"], error)
            return sent
        actions.mark_sent(action["id"], now)
        sent += 1
    return sent
