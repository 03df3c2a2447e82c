"""The data path's tests run on the world's clock, which records every wait (make_world, in
tests/conftest.py, builds the world: tests/helpers/world.py)."""

import pytest

from tests.helpers.world import START, RecordingClock


@pytest.fixture
def clock():
    """The kiosk's clock (overrides the suite's plain FakeClock)."""
    return RecordingClock(START)


