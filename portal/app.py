"""The app factory: settings, extensions, blueprints and commands assembled into one Flask app.

The top of the layers (docs/architecture.md): it may import every package; nothing imports it but
`wsgi.py`, the tests and the benchmark."""

from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import cli, errors
from portal.core import i18n, place_names
from portal.core.config import INSTANCE_DIR, MAX_REQUEST_BYTES, ROOT, Settings
from portal.core.db_sqlite import enable_sqlite_pragmas
from portal.core.forgetting import EXTENSION as EXIT_EXTENSION, Forgetter
from portal.core.outbox.worker import JOBS_EXTENSION
from portal.core.extensions import csrf, db, limiter, login_manager, migrate
from portal.core.query_args import IdConverter
from portal.core.security import headers
from portal.core.security.browser import forget_browser_secret
from portal.core.security.crypto import keyring
from portal.devtools.blueprint import bp as devtools_bp, simulator_enabled
from portal.hotline.blueprint import bp as sms_bp
from portal.jobs import PERIODIC_JOBS
from portal.sampling import draft as booking_draft
from portal.staff import auth as staff_auth
from portal.staff.blueprint import bp as staff_bp
from portal.tips.drafts import forget_draft as forget_tip_draft
from portal.web.public.blueprint import bp as public_bp
from portal.web.sampling.blueprint import bp as sampling_bp
from portal.web.sampling.forget import forget_booking_pages
from portal.web.tips.blueprint import bp as tips_bp
from portal.web.tips.forget import forget_tip_pages

# Importing a views module adds its routes to its blueprint: these imports are for that alone.
import portal.devtools.sms_simulator  # noqa: E402,F401,I001
import portal.hotline.views  # noqa: E402,F401
import portal.staff.admin  # noqa: E402,F401
import portal.staff.attachments  # noqa: E402,F401
import portal.staff.case_file_views  # noqa: E402,F401
import portal.staff.bulk  # noqa: E402,F401
import portal.staff.classify_views  # noqa: E402,F401
import portal.staff.closure_views  # noqa: E402,F401
import portal.staff.duty_phone  # noqa: E402,F401
import portal.staff.feedback  # noqa: E402,F401
import portal.staff.holiday_views  # noqa: E402,F401
import portal.staff.item_actions  # noqa: E402,F401
import portal.staff.live_alerts  # noqa: E402,F401
import portal.staff.login  # noqa: E402,F401
import portal.staff.oversight  # noqa: E402,F401
import portal.staff.owners  # noqa: E402,F401
import portal.staff.posters  # noqa: E402,F401
import portal.staff.questions  # noqa: E402,F401
import portal.staff.sampling_views  # noqa: E402,F401
import portal.staff.saved_views  # noqa: E402,F401
import portal.staff.views  # noqa: E402,F401
import portal.web.public.views  # noqa: E402,F401
import portal.web.sampling.finish  # noqa: E402,F401
import portal.web.sampling.manage  # noqa: E402,F401
import portal.web.sampling.views  # noqa: E402,F401
import portal.web.tips.status_views  # noqa: E402,F401
import portal.web.tips.views  # noqa: E402,F401

# What "Exit this page" (/exit) forgets of the visitor's browser, area by area
# (portal/core/forgetting.py). Anything new a public page keeps for a visitor, in a row found
# through a cookie or in the session, adds its forgetter here.
EXIT_FORGETTERS: tuple[Forgetter, ...] = (
    forget_tip_draft,  # the tip draft: answers, photos, the sent tip's follow-up code on display
    forget_tip_pages,  # the tip confirmation, recent reports, a tip opened for follow-up
    booking_draft.forget,  # the booking draft: names and identity numbers typed
    forget_booking_pages,  # the booking confirmation, a booking opened at /sampling/manage
    forget_browser_secret,  # what recognises this browser's earlier booking
)


def create_app(config: Mapping[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """Build the portal.

    `settings`: the portal's configuration (default: read from the environment once, here).
    `config`: extra Flask config keys, used by tests (for example TESTING).
    Raises portal.core.config.ConfigurationError in production when a secret is missing or unsafe.
    """
    settings = settings or Settings.from_env()
    settings.check_production()

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    # Before any route is added: every `<int:…>` in a URL is limited to what an id column holds.
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        # A moving window counts the hits of the last minute (or hour) at every request. The
        # default fixed window restarts at each clock minute, so a client could send twice the
        # limit across the boundary, and a count begun at :59 was forgotten a second later.
        RATELIMIT_STRATEGY="moving-window",
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_DEFAULT_TIMEZONE="UTC",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.is_production,
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead; an expired form is still recoverable
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
    )
    if config:
        app.config.update(config)
    INSTANCE_DIR.mkdir(exist_ok=True)
    # The development server's access log names each client address; tips must leave none behind.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    if settings.trusted_proxy_count > 0:
        n = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    keyring.configure(settings.data_encryption_keys, settings.lookup_key)

    _init_extensions(app)
    # The outbox worker's periodic jobs: one list (portal/jobs.py).
    app.extensions[JOBS_EXTENSION] = PERIODIC_JOBS
    app.extensions[EXIT_EXTENSION] = EXIT_FORGETTERS
    _register_blueprints(app)

    staff_auth.init_app(app)
    i18n.init_app(app)
    headers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    # Places are recognised in each tip's words when it is created (the SMS webhook among them).
    place_names.prepare()
    return app


def _engine_options(url: str) -> dict[str, Any]:
    # hide_parameters: a database error's message (logged with its traceback) must never carry
    # the values of a tip or a booking.
    if url.startswith("sqlite"):
        # Wait for a writer instead of failing at once when the worker and the web share the file.
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    return {"pool_pre_ping": True, "hide_parameters": True}


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    # The limiter object is shared by every app in a process; say it is on, or one app that
    # switched it off would leave the next one unlimited.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            enable_sqlite_pragmas(db.engine)


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(public_bp)
    app.register_blueprint(tips_bp, url_prefix="/tips")
    app.register_blueprint(sampling_bp, url_prefix="/sampling")
    app.register_blueprint(sms_bp, url_prefix="/sms")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    # /dev/sms: only with the console SMS backend, never in production.
    if simulator_enabled(app.config["SETTINGS"]):
        app.register_blueprint(devtools_bp, url_prefix="/dev")
