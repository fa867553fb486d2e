"""The sampling desk's tests book families through the booking journey and the desk's forms."""

from __future__ import annotations

import pytest

from tests.support.sampling import JOURNEY_LIMITS


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Form limits a whole booking journey cannot reach, as in tests/web/sampling/."""
    return dict(JOURNEY_LIMITS)
