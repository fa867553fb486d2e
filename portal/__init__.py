"""Tuanyuan Portal: the public website and SMS hotline of the Tuanyuan anti-trafficking campaign."""

from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import INSTANCE_DIR, ROOT, Settings


def create_app(config: Mapping[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """Build the portal.

    `settings`: the portal's configuration (default: read from the environment once, here).
    `config`: extra Flask config keys, used by tests (for example TESTING).
    Raises portal.config.ConfigurationError in production when a secret is missing or unsafe.
    """
    settings = settings or Settings.from_env()
    settings.check_production()

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    from portal.query_args import IdConverter

    # Before any route is added: every `<int:…>` in a URL is limited to what an id column holds.
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings.database_url),
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
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
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
    )
    if config:
        app.config.update(config)
    INSTANCE_DIR.mkdir(exist_ok=True)
    # The development server's access log names each client address; tips must leave none behind.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    if settings.trusted_proxy_count > 0:
        n = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    from portal.security.crypto import keyring

    keyring.configure(settings.data_encryption_keys, settings.lookup_key)

    _init_extensions(app)
    _register_blueprints(app)

    from portal import cli, errors, i18n
    from portal.security import headers
    from portal.staff import auth as staff_auth

    staff_auth.init_app(app)
    i18n.init_app(app)
    headers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app


def _engine_options(url: str) -> dict[str, Any]:
    # hide_parameters: a database error's message (logged with its traceback) must never carry
    # the values of a tip or a booking.
    if url.startswith("sqlite"):
        # Wait for a writer instead of failing at once when the worker and the web share the file.
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    return {"pool_pre_ping": True, "hide_parameters": True}


def _init_extensions(app: Flask) -> None:
    from portal.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    # The limiter object is shared by every app in a process; say it is on, or one app that
    # switched it off would leave the next one unlimited.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from portal.db_sqlite import enable_sqlite_pragmas

        with app.app_context():
            enable_sqlite_pragmas(db.engine)


def _register_blueprints(app: Flask) -> None:
    from portal.public import bp as public_bp
    from portal.sampling import bp as sampling_bp
    from portal.sms import bp as sms_bp
    from portal.staff import bp as staff_bp
    from portal.tips import bp as tips_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(tips_bp, url_prefix="/tips")
    app.register_blueprint(sampling_bp, url_prefix="/sampling")
    app.register_blueprint(sms_bp, url_prefix="/sms")
    app.register_blueprint(staff_bp, url_prefix="/staff")

    from portal import devtools

    # /dev/sms: only with the console SMS backend, never in production.
    devtools.register(app)
