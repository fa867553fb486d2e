"""One visitor's sign-in never lets another browser into the staff console."""

from portal.permissions import Role
from tests.factories import STAFF_PASSWORD, create_staff
from tests.helpers import post_form


def test_a_second_browser_stays_anonymous_after_someone_else_signs_in(app):
    create_staff(Role.ADMIN, username="admin")
    officer = app.test_client()
    signed_in = post_form(officer, "/staff/login", {"username": "admin", "password": STAFF_PASSWORD})
    assert signed_in.status_code in (302, 303)
    assert officer.get("/staff/queue").status_code == 200

    stranger = app.test_client()
    response = stranger.get("/staff/queue")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]
