"""Signing in (password, then a one-time code; enrolment at the first sign-in) and out.

Step one checks the password (argon2) and remembers, for five minutes, only which account is
half signed in. Step two asks for the authenticator's code; only then is the session signed in.
Both steps count failures against the account name and the address (`portal.staff.throttle`).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.core import audit, clock
from portal.core.extensions import db, limiter
from portal.core.i18n import format_local_datetime
from portal.core.models import StaffUser
from portal.core.permissions import Permission, Role, public_staff_view, requires
from portal.core.security.redirects import safe_next
from portal.staff import throttle, totp
from portal.staff.blueprint import bp
from portal.staff.accounts import end_other_sessions, normalise_username
from portal.staff.auth import SESSION_GENERATION, check_password, end_session, start_session
from portal.staff.forms import CodeForm, LoginForm

PENDING = "staff_pending"
PENDING_SECONDS = 300


def _login_limit() -> str:
    return current_app.config["SETTINGS"].ratelimit_login


def _address() -> str:
    return request.remote_addr or "unknown"


def _home(user: StaffUser) -> str:
    """Where a staff member starts: site staff at the sampling desk (the families arrive there),
    everyone else at the queue."""
    return url_for("staff.sampling_desk") if user.role == Role.SITE_STAFF else url_for("staff.queue")


def _after_login(target: str | None, user: StaffUser) -> str:
    """Where to go after signing in: `next` only when it is a staff page on this site, else
    the user's start page (`_home`)."""
    home = _home(user)
    target = safe_next(target, home)
    if target.split("?")[0].rstrip("/") in ("/staff", url_for("staff.login")) or target.startswith("/staff/login"):
        return home
    return target if target.startswith("/staff/") else home


def _refusal_message(refusal: throttle.Refusal) -> str:
    if refusal.locked:
        when = format_local_datetime(refusal.until, current_app.config["SETTINGS"].site_timezone)
        return _("Too many failed attempts. Signing in is locked until %(time)s. Try again then.", time=when)
    return _("Too many failed attempts. Wait a few seconds, then try again.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public_staff_view
def login() -> Response | tuple[str, int]:
    """Step one: username and password. One generic error for any failure; audited."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_after_login(request.args.get("next"), current_user))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username = form.username.data
        refusal = throttle.begin_attempt(username, _address())
        db.session.commit()  # the attempt is counted before the check, for parallel requests to see
        if refusal is not None:
            form.username.errors = [_refusal_message(refusal)]
            return render_template("staff/login.html", form=form), 429
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == normalise_username(username)))
        # Always check a hash (a dummy one for unknown names) so timing does not reveal who exists.
        if check_password(user, form.password.data) and user is not None and user.active:
            throttle.attempt_succeeded(username)
            session.clear()  # nothing set before sign-in survives it
            session[PENDING] = {"user": user.id, "at": int(clock.now().timestamp()), "generation": user.session_generation}
            db.session.commit()
            step = "staff.login_code" if user.totp_enrolled_at is not None else "staff.login_enrol"
            return redirect(url_for(step, next=request.args.get("next") or None), 303)
        throttle.record_failure(username, _address())
        # Unknown names are not recorded: they are often a password typed into the wrong box.
        audit.record("login_failed", actor_id=user.id if user is not None else None, fields=["password"])
        db.session.commit()
        form.username.errors = [_("Enter a correct username and password")]
    if form.errors:
        status = 400
    return render_template("staff/login.html", form=form), status


def _pending_user() -> StaffUser | None:
    """The account that gave its password in the last five minutes in this session, if still valid."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if clock.now().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    user = db.session.get(StaffUser, pending.get("user"))
    if user is None or not user.active or user.session_generation != pending.get("generation"):
        return None
    return user


def _second_step(user: StaffUser, form: CodeForm, secret: str) -> Response | None:
    """Check the code; on success finish signing in and return the redirect, else set the error."""
    refusal = throttle.begin_attempt(user.username, _address())
    db.session.commit()  # the attempt is counted before the check, for parallel requests to see
    if refusal is not None:
        form.code.errors = [_refusal_message(refusal)]
        return None
    step = totp.accepted_step(user, form.code.data, clock.now(), secret=secret)
    if step is not None and not totp.claim_step(user, step):
        step = None  # another session used this code a moment ago
    if step is None:
        throttle.record_failure(user.username, _address())
        audit.record("login_failed", actor_id=user.id, fields=["second_factor"])
        db.session.commit()
        form.code.errors = [_("Enter the 6-digit code your authenticator app shows now")]
        return None
    if user.totp_enrolled_at is None:
        user.totp_enrolled_at = clock.now()
        audit.record("totp_enrolled", actor_id=user.id)
    user.last_login_at = clock.now()
    throttle.clear_account(user.username)
    start_session(user)
    audit.record("login", actor_id=user.id)
    db.session.commit()
    return redirect(_after_login(request.args.get("next"), user), 303)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public_staff_view
def login_code() -> Response | tuple[str, int]:
    """Step two: the 6-digit code from the authenticator app."""
    user = _pending_user()
    if user is None:
        return redirect(url_for("staff.login", next=request.args.get("next") or None), 303)
    if user.totp_enrolled_at is None:
        return redirect(url_for("staff.login_enrol", next=request.args.get("next") or None), 303)
    form = CodeForm()
    if form.validate_on_submit():
        done = _second_step(user, form, user.totp_secret or "")
        if done is not None:
            return done
    return render_template("staff/login_code.html", form=form), 400 if form.errors else 200


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public_staff_view
def login_enrol() -> Response | tuple[str, int]:
    """First sign-in: scan the QR code into an authenticator app, then type its code."""
    user = _pending_user()
    if user is None:
        return redirect(url_for("staff.login", next=request.args.get("next") or None), 303)
    if user.totp_enrolled_at is not None:
        return redirect(url_for("staff.login_code", next=request.args.get("next") or None), 303)
    if not user.totp_secret:
        # Kept (encrypted) on the account until confirmed, so a reload shows the same QR code.
        user.totp_secret = totp.new_secret()
        db.session.commit()
    secret = user.totp_secret
    form = CodeForm()
    if form.validate_on_submit():
        done = _second_step(user, form, secret)
        if done is not None:
            return done
    return render_template(
        "staff/login_enrol.html",
        form=form,
        qr=totp.qr_svg(totp.provisioning_uri(user, secret)),
        secret=totp.grouped(secret),
    ), 400 if form.errors else 200


@bp.post("/logout")
@requires(Permission.SIGN_IN)
def logout() -> Response:
    """Sign out (a POST, so another site cannot sign staff out with a link)."""
    audit.record("logout", actor_id=current_user.id)
    db.session.commit()
    end_session()
    return redirect(url_for("staff.login"), 303)


@bp.get("/account")
@requires(Permission.SIGN_IN)
def account() -> str:
    """The signed-in person's own account: role, and "sign out everywhere"."""
    return render_template("staff/account.html")


@bp.post("/account/sign-out-everywhere")
@requires(Permission.SIGN_IN)
def sign_out_everywhere() -> Response:
    """End every other session of this account (other browsers, a forgotten office computer)."""
    user = current_user._get_current_object()
    session[SESSION_GENERATION] = end_other_sessions(user)
    audit.record("sign_out_everywhere", actor_id=user.id)
    db.session.commit()
    flash(_("Every other session of your account has ended."))
    return redirect(url_for("staff.account"), 303)
