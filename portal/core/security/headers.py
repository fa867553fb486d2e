"""Security headers, set in one place for every response."""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def set_security_headers(response: Response) -> Response:
    """Add CSP (no inline script), frame denial, no-sniff, referrer and permissions policies.

    Dynamic pages also get `Cache-Control: no-store`: almost every page shows or collects
    personal answers, and whoever picks up the phone next must not page back through them.
    """
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin: nothing about our pages reaches other sites, while our own form posts carry
    # an Origin that tells them apart from a post made by another site (portal.errors).
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    """Add the security headers to every response, and HSTS in production."""
    app.after_request(set_security_headers)
    if app.config["SETTINGS"].is_production:

        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            return response
