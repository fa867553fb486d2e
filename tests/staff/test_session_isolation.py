"""One visitor's sign-in never lets another browser into the staff console."""

from portal.core.permissions import Role
from tests.support.factories import create_staff
from tests.support.staff import sign_in


def test_a_second_browser_stays_anonymous_after_someone_else_signs_in(app):
    create_staff(Role.ADMIN, username="admin")
    officer = app.test_client()
    signed_in = sign_in(officer, "admin")
    assert signed_in.status_code in (302, 303)
    assert officer.get("/staff/queue").status_code == 200

    stranger = app.test_client()
    response = stranger.get("/staff/queue")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]
