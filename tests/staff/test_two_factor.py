"""Two-step sign-in (TOTP), enrolment at the first sign-in, lockout and slow-down, idle expiry,
and "sign out everywhere". Tests move `portal.core.clock` instead of waiting."""

from __future__ import annotations

import pyotp
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import AuditEvent, StaffUser
from portal.core.permissions import Role
from portal.staff.accounts import create_staff_user
from tests.support.factories import STAFF_PASSWORD, STAFF_TOTP_SECRET, create_staff
from tests.support.helpers import check_page, csrf_token, get_page, text_of
from tests.support.staff import browser, control_clock, sign_in, totp_code


def _actions() -> list[str]:
    db.session.expire_all()
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _wrong_code(username: str) -> str:
    right = totp_code(username)
    return f"{(int(right) + 1) % 1_000_000:06d}"


def test_right_password_and_wrong_code_does_not_sign_in(app: Flask) -> None:
    user = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    response = sign_in(client, user.username, code=_wrong_code(user.username))
    assert response.status_code == 400
    assert "请输入身份验证器应用当前显示的6位验证码" in text_of(response)
    assert client.get("/staff/queue").status_code == 302
    assert _actions() == ["login_failed"]


def test_password_alone_never_opens_the_console(app: Flask) -> None:
    user = create_staff(Role.ADMIN)
    client = browser(app)
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                 "username": user.username, "password": STAFF_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].startswith("/staff/login/code")
    assert client.get("/staff/queue").status_code == 302


def test_a_code_is_accepted_only_once(app: Flask) -> None:
    user = create_staff(Role.TRIAGE_OFFICER)
    code = totp_code(user.username)
    assert sign_in(browser(app), user.username, code=code).status_code == 303
    again = sign_in(browser(app), user.username, code=code)
    assert again.status_code == 400


def test_the_code_step_expires_after_five_minutes(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    clock = control_clock(monkeypatch)
    client = browser(app)
    page = client.get("/staff/login")
    client.post("/staff/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                      "username": user.username, "password": STAFF_PASSWORD})
    clock.advance(minutes=6)
    response = client.get("/staff/login/code")
    assert response.status_code == 303 and response.headers["Location"].startswith("/staff/login")


def test_first_sign_in_enrols_an_authenticator_with_a_qr_code(app: Flask) -> None:
    create_staff_user("new.officer", STAFF_PASSWORD, Role.TRIAGE_OFFICER)
    db.session.commit()
    client = browser(app)
    page = client.get("/staff/login")
    step = client.post("/staff/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                             "username": "new.officer", "password": STAFF_PASSWORD})
    assert step.headers["Location"].startswith("/staff/login/enrol")
    response, parsed = get_page(client, "/staff/login/enrol", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert "<svg" in html and 'class="qr-code"' in html and "Set up two-step sign-in" in text_of(response)
    # The same key on a reload, so a person who reloads is not left with a stale QR code.
    assert get_page(client, "/staff/login/enrol")[0].get_data(as_text=True).count("totp-secret") == 1
    db.session.expire_all()
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "new.officer"))
    assert user.totp_secret and user.totp_secret.replace(" ", "") in html.replace(" ", "")
    assert user.totp_enrolled_at is None
    wrong = client.post("/staff/login/enrol", data={"csrf_token": csrf_token(html), "code": "000000"})
    assert wrong.status_code == 400 and client.get("/staff/queue").status_code == 302
    right = client.post("/staff/login/enrol", data={"csrf_token": csrf_token(html), "code": totp_code("new.officer")})
    assert right.status_code == 303 and right.headers["Location"] == "/staff/queue"
    db.session.expire_all()
    assert db.session.get(StaffUser, user.id).totp_enrolled_at is not None
    assert "totp_enrolled" in _actions() and _actions()[-1] == "login"


def test_five_wrong_passwords_lock_the_account_until_the_lock_expires(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    clock = control_clock(monkeypatch)
    for _attempt in range(5):
        assert sign_in(browser(app), user.username, password="not the password").status_code == 400
        clock.advance(seconds=20)  # past each slow-down wait
    locked = sign_in(browser(app), user.username)
    assert locked.status_code == 429
    assert "失败次数太多" in text_of(locked) and "前不能登录" in text_of(locked)
    clock.advance(minutes=14)
    assert sign_in(browser(app), user.username).status_code == 429
    clock.advance(minutes=2)
    assert sign_in(browser(app), user.username).status_code == 303


def test_wrong_codes_count_towards_the_lock_too(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    clock = control_clock(monkeypatch)
    for _attempt in range(5):
        sign_in(browser(app), user.username, code=_wrong_code(user.username))
        clock.advance(seconds=20)
    assert sign_in(browser(app), user.username).status_code == 429


def test_failures_slow_down_before_the_lock(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    control_clock(monkeypatch)
    codes = [sign_in(browser(app), user.username, password="not the password").status_code for _ in range(3)]
    assert codes == [400, 400, 400]
    # The fourth attempt comes too soon: refused before the password is even checked.
    assert sign_in(browser(app), user.username).status_code == 429


def test_unknown_usernames_lock_like_real_ones(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = control_clock(monkeypatch)
    for _attempt in range(5):
        sign_in(browser(app), "nobody-here", password="not the password")
        clock.advance(seconds=20)
    assert sign_in(browser(app), "nobody-here", password="not the password").status_code == 429


def test_many_failures_from_one_address_lock_that_address(app_factory, app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    strict = app_factory(login_address_max_failures=4)
    user = create_staff(Role.TRIAGE_OFFICER)
    clock = control_clock(monkeypatch)
    for n in range(4):
        sign_in(browser(strict), f"guess-{n}", password="not the password")
        clock.advance(seconds=1)
    assert sign_in(browser(strict), user.username).status_code == 429


def test_idle_session_expires(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    user = create_staff(Role.TRIAGE_OFFICER)
    clock = control_clock(monkeypatch)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    clock.advance(minutes=29)
    assert client.get("/staff/queue").status_code == 200  # activity keeps it alive
    clock.advance(minutes=29)
    assert client.get("/staff/queue").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/staff/queue")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    assert client.get("/staff/account").status_code == 302


def test_a_busy_session_still_ends_twelve_hours_after_sign_in_and_the_worker_forgets_it(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from portal.core.extensions import db
    from portal.core.models import StaffSession
    from portal.staff.jobs import forget_old_staff_sessions

    user = create_staff(Role.TRIAGE_OFFICER)
    clock = control_clock(monkeypatch)
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    for _ in range(28):  # a request every 25 minutes keeps it from idling: 11 hours 40 minutes
        clock.advance(minutes=25)
        assert client.get("/staff/queue").status_code == 200
    clock.advance(minutes=21)  # 12 hours and a minute after signing in
    response = client.get("/staff/queue")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    fresh = browser(app)
    assert sign_in(fresh, user.username).status_code == 303
    forget_old_staff_sessions(clock.now)
    assert db.session.scalar(select(func.count()).select_from(StaffSession)) == 1  # only the new one
    assert fresh.get("/staff/queue").status_code == 200


def test_sign_out_everywhere_ends_every_other_session_of_that_user_only(app: Flask) -> None:
    user = create_staff(Role.TRIAGE_OFFICER)
    other = create_staff(Role.SUPERVISOR)
    office, phone, colleague = browser(app), browser(app), browser(app)
    for client, name in ((office, user.username), (phone, user.username), (colleague, other.username)):
        assert sign_in(client, name).status_code == 303
    page, _parsed = get_page(office, "/staff/account")
    response = office.post("/staff/account/sign-out-everywhere", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 303
    assert office.get("/staff/queue").status_code == 200
    assert phone.get("/staff/queue").status_code == 302
    assert colleague.get("/staff/queue").status_code == 200
    assert "sign_out_everywhere" in _actions()


def test_create_staff_with_totp_secret_is_enrolled_at_once(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=[
        "create-staff", "--username", "scripted", "--role", "supervisor", "--password", "a long enough password",
        "--totp-secret", STAFF_TOTP_SECRET.lower(),
    ])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "scripted"))
    assert user.totp_secret == STAFF_TOTP_SECRET and user.totp_enrolled_at is not None
    client = browser(app)
    page = client.get("/staff/login")
    step = client.post("/staff/login", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                             "username": "scripted", "password": "a long enough password"})
    assert step.headers["Location"].startswith("/staff/login/code")
    code_page = client.get("/staff/login/code")
    check_page(code_page)
    done = client.post("/staff/login/code", data={"csrf_token": csrf_token(code_page.get_data(as_text=True)),
                                                  "code": pyotp.TOTP(STAFF_TOTP_SECRET).now()})
    assert done.status_code == 303


def test_create_staff_refuses_a_malformed_secret_and_common_passwords(app: Flask) -> None:
    runner = app.test_cli_runner()
    bad_secret = runner.invoke(args=["create-staff", "--username", "a", "--role", "admin",
                                     "--password", "a long enough password", "--totp-secret", "not-base32!"])
    assert bad_secret.exit_code == 1 and "base32" in bad_secret.output
    for common in ("password123", "1234567890", "qwertyuiop", "Iloveyou12"):
        result = runner.invoke(args=["create-staff", "--username", "b", "--role", "admin", "--password", common])
        assert result.exit_code == 1 and "too common" in result.output, common
    assert db.session.scalar(select(StaffUser)) is None
