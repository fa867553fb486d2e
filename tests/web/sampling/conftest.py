"""Every test here walks the booking journey, which posts five forms or more."""

from __future__ import annotations

import pytest

from tests.support.sampling import JOURNEY_LIMITS


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Form limits a whole booking journey cannot reach. The limits themselves are tested here with
    apps of their own: test_pages.py::test_journey_posts_are_rate_limited,
    test_manage.py::test_wrong_combinations_are_rate_limited and
    test_answers_and_refusals.py::test_refused_identity_attempts_are_rate_limited_per_client."""
    return dict(JOURNEY_LIMITS)
