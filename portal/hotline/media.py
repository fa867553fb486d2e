"""Pictures sent by MMS with a hotline tip: the worker downloads each one into the tip's photos.

The webhook only stores each media URL (an `SmsMedia` row, `pending`, with the tip it belongs
to); it never waits on the outside world. This periodic job then fetches each picture with the
account's credentials (Twilio: HTTP basic auth with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN,
which answers with a redirect to a short-lived URL on mms.twiliocdn.com) and turns it into a
`TipPhoto` through the same cleaning as a photo uploaded on the web (`save_photo_bytes`:
decoded, re-encoded as JPEG, metadata and location stripped, at most TIP_PHOTO_MAX_MB).

Outcomes: `stored` (with the photo's id); `failed` for a refusal that will not change (HTTP 4xx,
not an image, too large, a host we do not fetch from, the tip already has MAX_PHOTOS photos);
back to `pending` after a network error or a 5xx, tried again after a back-off, `failed` after
MAX_ATTEMPTS. Only https URLs on the provider's own hosts are fetched (no request forgery through
a stored URL), and the credentials go only to the hosts in MEDIA_HOSTS, never to a redirect's CDN.

Claiming a row is a conditional UPDATE of its attempt counter, so two workers never download
the same picture twice. Nothing here logs a URL, a phone number or a message text.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

import requests
from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from portal.core.extensions import db
from portal.core.models import SmsMedia, TipPhoto
from portal.core.outbox.worker import backoff
from portal.core.photos import MAX_PHOTOS, PhotoRefused, delete_photo_file
from portal.tips.uploads import save_photo_bytes

logger = logging.getLogger(__name__)

PENDING = "pending"
STORED = "stored"
FAILED = "failed"

MAX_ATTEMPTS = 5
# Pictures fetched per worker pass, so that a flood of MMS does not hold up the outbox.
MAX_PER_PASS = 20
CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 30.0
MAX_REDIRECTS = 3
# A picture still pending with all its attempts used this long after it arrived was abandoned.
ABANDONED_AFTER = timedelta(days=1)
# Where a media URL may point; the account's credentials are sent to these hosts only.
MEDIA_HOSTS: tuple[str, ...] = ("api.twilio.com",)
# Where the provider may redirect a media request ("*." matches any subdomain): Twilio's CDN for
# accounts that enforce HTTP auth on media, its public S3 bucket for older media.
REDIRECT_HOSTS: tuple[str, ...] = ("api.twilio.com", "*.twiliocdn.com", "s3-external-1.amazonaws.com")
# Hosts that may be fetched over plain http. Empty: https only. Tests set it to a local stub server.
PLAIN_HTTP_HOSTS: tuple[str, ...] = ()


class MediaRefused(Exception):
    """The picture cannot be fetched, and trying again will not help (HTTP 4xx, too large, a host
    or scheme we do not fetch from, too many redirects). The message is a short note for staff."""


class MediaUnavailable(Exception):
    """The picture could not be fetched this time (network error, timeout, HTTP 5xx or 429)."""


def _host_matches(host: str, patterns: tuple[str, ...]) -> bool:
    return any(host == p or (p.startswith("*.") and host.endswith(p[1:])) for p in patterns)


def _check_url(url: str, hosts: tuple[str, ...]) -> str:
    """The URL's host name when `url` may be fetched (https, or http to PLAIN_HTTP_HOSTS, on one
    of `hosts`); raises MediaRefused otherwise."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError as exc:  # "Invalid IPv6 URL", a bad port
        raise MediaRefused("not a valid URL") from exc
    plain_ok = parts.scheme == "http" and _host_matches(host, PLAIN_HTTP_HOSTS)
    if parts.scheme != "https" and not plain_ok:
        raise MediaRefused("not an https URL")
    if not host or not _host_matches(host, hosts):
        raise MediaRefused("not a host pictures are fetched from")
    return host


def fetch_media(url: str, auth: tuple[str, str] | None, max_bytes: int) -> tuple[bytes, str]:
    """Download one picture: (its bytes, its Content-Type).

    `url` must be on MEDIA_HOSTS; redirects (at most MAX_REDIRECTS) are followed only to
    REDIRECT_HOSTS, and `auth` (HTTP basic: account SID, auth token) is sent only to MEDIA_HOSTS.
    At most `max_bytes` are read. Raises MediaRefused (will not work later either) or
    MediaUnavailable (may work later).
    """
    with requests.Session() as session:
        hosts = MEDIA_HOSTS
        for _hop in range(MAX_REDIRECTS + 1):
            host = _check_url(url, hosts)
            credentials = auth if _host_matches(host, MEDIA_HOSTS) else None
            try:
                response = session.get(url, auth=credentials, allow_redirects=False, stream=True,
                                       timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS))
            except requests.RequestException as exc:
                raise MediaUnavailable(f"no answer ({type(exc).__name__})") from exc
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers["Location"])
                    hosts = REDIRECT_HOSTS
                    continue
                return _read_body(response, max_bytes)
        raise MediaRefused("too many redirects")


def _read_body(response: requests.Response, max_bytes: int) -> tuple[bytes, str]:
    status = response.status_code
    if status in (408, 429) or status >= 500:
        raise MediaUnavailable(f"HTTP {status}")
    if status != 200:
        raise MediaRefused(f"HTTP {status}")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise MediaRefused("larger than TIP_PHOTO_MAX_MB")
    data = bytearray()
    try:
        for chunk in response.iter_content(64 * 1024):
            data += chunk
            if len(data) > max_bytes:
                raise MediaRefused("larger than TIP_PHOTO_MAX_MB")
    except requests.RequestException as exc:
        raise MediaUnavailable(f"download interrupted ({type(exc).__name__})") from exc
    return bytes(data), response.headers.get("Content-Type", "")[:100]


def _wait_before(attempts: int) -> timedelta:
    """How long after the picture arrived its attempt number `attempts + 1` may start: the
    outbox's back-off after each failed attempt, added up (0, 1, 3, 7, 15 minutes)."""
    return sum((backoff(n) for n in range(1, attempts + 1)), timedelta())


def download_pending_media(now: datetime) -> None:
    """Fetch the pictures of SMS tips that are due (at most MAX_PER_PASS), each into a TipPhoto.

    `now`: the pass's UTC time. Pictures of messages that belong to no tip wait (a message may
    become a tip later). Commits its own work, one picture at a time.
    """
    _give_up_on_abandoned(now)
    due = or_(*(and_(SmsMedia.attempts == n, SmsMedia.created_at <= now - _wait_before(n))
                for n in range(MAX_ATTEMPTS)))
    rows = db.session.execute(
        select(SmsMedia.id, SmsMedia.attempts)
        .where(SmsMedia.status == PENDING, SmsMedia.tip_id.is_not(None), due)
        .order_by(SmsMedia.id).limit(MAX_PER_PASS)
    ).all()
    db.session.rollback()
    for media_id, attempts in rows:
        if _claim(media_id, attempts):
            _download(media_id, attempts + 1)


def _give_up_on_abandoned(now: datetime) -> None:
    """A picture whose last attempt was claimed but never recorded (its worker stopped) stays
    pending with MAX_ATTEMPTS attempts: a day after it arrived, mark it failed. (A day, not the
    last back-off: a worker that was stopped for hours may be making that attempt right now.)"""
    db.session.execute(
        update(SmsMedia)
        .where(SmsMedia.status == PENDING, SmsMedia.attempts >= MAX_ATTEMPTS,
               SmsMedia.created_at <= now - ABANDONED_AFTER)
        .values(status=FAILED, last_error=f"gave up after {MAX_ATTEMPTS} attempts: the worker stopped while fetching")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _claim(media_id: int, attempts: int) -> bool:
    """Count one more attempt, only if no other worker has: the counter is the claim."""
    claimed = db.session.execute(  # type: ignore[attr-defined]  # CursorResult
        update(SmsMedia)
        .where(SmsMedia.id == media_id, SmsMedia.status == PENDING, SmsMedia.attempts == attempts)
        .values(attempts=attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _settle(media_id: int, attempt: int, **values: object) -> bool:
    """Record an outcome if the row is still this attempt's; the caller commits."""
    return db.session.execute(  # type: ignore[attr-defined]  # CursorResult
        update(SmsMedia)
        .where(SmsMedia.id == media_id, SmsMedia.status == PENDING, SmsMedia.attempts == attempt)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def _fail(media_id: int, attempt: int, note: str, *, may_retry: bool) -> None:
    status = PENDING if may_retry and attempt < MAX_ATTEMPTS else FAILED
    if status == FAILED and may_retry:
        note = f"gave up after {attempt} attempts: {note}"
    _settle(media_id, attempt, status=status, last_error=note[:500])
    db.session.commit()
    logger.info("MMS picture %s: %s (attempt %s) %s", media_id, status, attempt, note)


def _download(media_id: int, attempt: int) -> None:
    settings = current_app.config["SETTINGS"]
    media = db.session.get(SmsMedia, media_id, populate_existing=True)
    if media is None or media.tip_id is None:  # its tip was erased meanwhile
        db.session.rollback()
        return
    url, tip_id = media.url, media.tip_id
    photos = db.session.scalar(select(func.count()).select_from(TipPhoto).where(TipPhoto.tip_id == tip_id))
    db.session.rollback()  # nothing stays open while the provider is called
    if photos >= MAX_PHOTOS:  # type: ignore[operator]  # a count is never None
        _fail(media_id, attempt, f"not added: the tip already has {MAX_PHOTOS} photos", may_retry=False)
        return
    auth = (settings.twilio_account_sid, settings.twilio_auth_token) if settings.twilio_account_sid else None
    try:
        raw, content_type = fetch_media(url, auth, settings.tip_photo_max_mb * 1024 * 1024)
        photo = save_photo_bytes(raw, keep_location=False)
    except MediaRefused as refused:
        _fail(media_id, attempt, str(refused), may_retry=False)
        return
    except PhotoRefused as refused:
        _fail(media_id, attempt, f"not a usable picture ({refused.reason})", may_retry=False)
        return
    except MediaUnavailable as unavailable:
        _fail(media_id, attempt, str(unavailable), may_retry=True)
        return
    except Exception as exc:  # noqa: BLE001 - a full disk, a library bug: try again later, up to the limit
        db.session.rollback()
        _fail(media_id, attempt, f"unexpected {type(exc).__name__}", may_retry=True)
        return
    try:
        photo.tip_id = tip_id
        db.session.add(photo)
        db.session.flush()
        kept = _settle(media_id, attempt, status=STORED, photo_id=photo.id, last_error=None,
                       content_type=func.coalesce(SmsMedia.content_type, content_type or None))
        if kept:
            db.session.commit()
    except BaseException:
        db.session.rollback()
        delete_photo_file(settings.tip_photo_dir, photo.stored_name)
        raise
    if not kept:
        # A slow download overtaken by a later attempt (or the tip was erased): that one decides.
        db.session.rollback()
        delete_photo_file(settings.tip_photo_dir, photo.stored_name)
        logger.info("MMS picture %s: attempt %s overtaken, its copy discarded", media_id, attempt)
        return
    logger.info("MMS picture %s: stored as tip photo %s (attempt %s)", media_id, photo.id, attempt)
