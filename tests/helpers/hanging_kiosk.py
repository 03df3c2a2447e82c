"""``hymy kiosk`` with a test-only hang switch: while the file named by HANG_SWITCH_FILE exists,
every request to the kiosk blocks in its server thread, as a hung worker would.

The switch lives here, in the tests, not in the product: the kiosk is the real
one, built by the real ``hymy kiosk`` command; only ``create_app`` is wrapped.
"""
import os
import sys
import time
from pathlib import Path

import kiosk.app

_create_app = kiosk.app.create_app


def create_app(*args, **kwargs):
    app = _create_app(*args, **kwargs)
    switch = Path(os.environ.pop("HANG_SWITCH_FILE"))

    @app.before_request
    def hang_while_switched_on():
        while switch.exists():
            time.sleep(0.05)

    return app


kiosk.app.create_app = create_app

if __name__ == "__main__":
    from kiosk.cli import main

    sys.exit(main(sys.argv[1:], prog_name="hymy"))
