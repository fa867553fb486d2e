"""Pictures sent by MMS with a tip: the worker downloads each with the account's credentials into the
tip's photos, against a local stub of Twilio's media URLs (basic auth, a redirect to a CDN host)."""

from __future__ import annotations

import base64
import dataclasses
import io
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import InboundMessage, SmsMedia, TipPhoto, utcnow
from portal.core.outbox.worker import run_pass
from portal.jobs import PERIODIC_JOBS
from portal.hotline import media
from portal.core.photos import MAX_PHOTOS
from tests.support.settings import TWILIO_TEST_TOKEN
from tests.support.factories import create_tip

ACCOUNT_SID = "AC" + "0" * 32  # the test settings' account (tests/support/settings.py make_settings)
MEDIA_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM{'1' * 32}/Media/"


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


class StubTwilioMedia:
    """A local HTTP server standing in for Twilio's media URLs. Under MEDIA_PATH it demands the
    account's basic auth (401 otherwise), like an account that enforces HTTP auth on media; "ok"
    redirects to a CDN path on another host name (localhost), as Twilio redirects to
    mms.twiliocdn.com. Every request is recorded as (path, Authorization header or None)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []
        self.failures_before_success = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                stub.requests.append((self.path, self.headers.get("Authorization")))
                stub.answer(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}{MEDIA_PATH}{name}"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        if path.startswith("/cdn/"):
            return self.send(handler, 200, "image/jpeg", jpeg_bytes())
        if not path.startswith(MEDIA_PATH):
            return self.send(handler, 404, "text/plain", b"not found")
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{TWILIO_TEST_TOKEN}".encode()).decode()
        if handler.headers.get("Authorization") != expected:
            return self.send(handler, 401, "application/json", b'{"code": 20003}')
        name = path[len(MEDIA_PATH):]
        if name == "ok":
            handler.send_response(302)
            handler.send_header("Location", f"http://localhost:{self.port}/cdn/ME1.jpg")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif name == "direct":
            self.send(handler, 200, "image/jpeg", jpeg_bytes())
        elif name == "page":
            self.send(handler, 200, "image/jpeg", b"<html><body>not a picture</body></html>")
        elif name == "huge":
            self.send(handler, 200, "image/jpeg", b"\xff" * (2 * 1024 * 1024))
        elif name == "flaky":
            if self.failures_before_success > 0:
                self.failures_before_success -= 1
                return self.send(handler, 503, "text/plain", b"busy")
            self.send(handler, 200, "image/jpeg", jpeg_bytes())
        elif name == "elsewhere":
            handler.send_response(302)
            handler.send_header("Location", "https://169.254.169.254/latest/meta-data/")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            self.send(handler, 404, "application/json", b'{"code": 20404}')

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, content_type: str, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubTwilioMedia]:
    server = StubTwilioMedia()
    server.thread.start()
    # The test override of the allowed hosts: the stub plays api.twilio.com (127.0.0.1) and the
    # CDN (localhost), over plain http.
    monkeypatch.setattr(media, "MEDIA_HOSTS", ("127.0.0.1",))
    monkeypatch.setattr(media, "REDIRECT_HOSTS", ("127.0.0.1", "localhost"))
    monkeypatch.setattr(media, "PLAIN_HTTP_HOSTS", ("127.0.0.1", "localhost"))
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def photo_dir(app, tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], tip_photo_dir=str(folder), tip_photo_max_mb=1)
    return folder


def pending_media(url: str, *, with_tip: bool = True) -> SmsMedia:
    """The rows the webhook makes for an MMS: the stored message, and a pending media URL."""
    receipt = create_tip()
    message = InboundMessage(provider_message_id="SM" + "2" * 30 + str(db.session.query(InboundMessage).count()),
                             from_phone_hash="h", body="举报 看图片", item_id=receipt.tip.item_id)
    db.session.add(message)
    db.session.flush()
    row = SmsMedia(inbound_message_id=message.id, url=url, tip_id=receipt.tip.id if with_tip else None,
                   status="pending")
    db.session.add(row)
    db.session.commit()
    return row


def reload(row: SmsMedia) -> SmsMedia:
    db.session.expire_all()
    return db.session.get(SmsMedia, row.id)


def test_mms_picture_is_downloaded_with_the_account_credentials_into_the_tips_photos(app, stub, photo_dir):
    row = pending_media(stub.url("ok"))
    tip_id = row.tip_id

    run_pass()

    row = reload(row)
    assert row.status == "stored" and row.attempts == 1 and row.last_error is None
    assert row.content_type == "image/jpeg"
    photo = db.session.get(TipPhoto, row.photo_id)
    assert photo.tip_id == tip_id and (photo.width, photo.height) == (64, 48) and not photo.kept_location
    stored = photo_dir / photo.stored_name
    with Image.open(stored) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
    # The credentials went to the media URL only, never to the CDN it redirected to.
    (media_path, media_auth), (cdn_path, cdn_auth) = stub.requests
    assert media_path.endswith("/Media/ok") and media_auth.startswith("Basic ")
    assert cdn_path == "/cdn/ME1.jpg" and cdn_auth is None

    run_pass(now=utcnow() + timedelta(days=1))
    assert len(stub.requests) == 2  # stored once, never fetched again
    assert db.session.scalars(select(TipPhoto)).all() == [photo]


def test_the_media_job_runs_with_the_worker(app):
    assert media.download_pending_media in [job.run for job in PERIODIC_JOBS]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("missing", "HTTP 404"),
        ("page", "not a usable picture (not_image)"),
        ("huge", "larger than TIP_PHOTO_MAX_MB"),
        ("elsewhere", "not a host pictures are fetched from"),
    ],
)
def test_a_picture_that_cannot_be_used_fails_at_once_and_is_not_fetched_again(app, stub, photo_dir, name, error):
    row = pending_media(stub.url(name))

    run_pass()
    run_pass(now=utcnow() + timedelta(days=1))

    row = reload(row)
    assert (row.status, row.attempts, row.last_error, row.photo_id) == ("failed", 1, error, None)
    assert db.session.scalars(select(TipPhoto)).all() == []
    assert len(stub.requests) == 1
    assert not photo_dir.exists() or list(photo_dir.iterdir()) == []


def test_wrong_credentials_are_refused_by_the_provider_and_fail_the_picture(app, stub, photo_dir):
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], twilio_auth_token="wrong-token")
    row = pending_media(stub.url("direct"))
    run_pass()
    assert (reload(row).status, reload(row).last_error) == ("failed", "HTTP 401")


def test_a_server_error_is_tried_again_after_a_back_off_and_then_stored_once(app, stub, photo_dir):
    stub.failures_before_success = 2
    row = pending_media(stub.url("flaky"))
    start = utcnow()

    run_pass(now=start)
    row = reload(row)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 503")
    run_pass(now=start)  # backing off: not tried again yet
    assert len(stub.requests) == 1

    run_pass(now=start + timedelta(minutes=2))
    assert (reload(row).status, reload(row).attempts) == ("pending", 2)
    run_pass(now=start + timedelta(minutes=4))

    row = reload(row)
    assert (row.status, row.attempts) == ("stored", 3)
    assert len(stub.requests) == 3
    assert len(db.session.scalars(select(TipPhoto)).all()) == 1


def test_a_picture_that_cannot_be_reached_fails_after_the_last_attempt(app, stub, photo_dir):
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    row = pending_media(f"http://127.0.0.1:{closed_port}{MEDIA_PATH}gone")
    start = utcnow()

    for hour in range(media.MAX_ATTEMPTS + 2):
        run_pass(now=start + timedelta(hours=hour))

    row = reload(row)
    assert row.status == "failed" and row.attempts == media.MAX_ATTEMPTS
    assert row.last_error.startswith(f"gave up after {media.MAX_ATTEMPTS} attempts: no answer")


def test_a_picture_of_a_message_that_belongs_to_no_tip_waits(app, stub, photo_dir):
    row = pending_media(stub.url("direct"), with_tip=False)
    run_pass()
    assert (reload(row).status, reload(row).attempts) == ("pending", 0)
    assert stub.requests == []


def test_a_tip_that_already_has_the_most_photos_gets_no_more_from_mms(app, stub, photo_dir):
    row = pending_media(stub.url("direct"))
    for n in range(MAX_PHOTOS):
        db.session.add(TipPhoto(tip_id=row.tip_id, stored_name=f"{n:032x}.jpg", width=1, height=1, byte_size=1))
    db.session.commit()
    run_pass()
    assert reload(row).status == "failed" and f"already has {MAX_PHOTOS} photos" in reload(row).last_error
    assert stub.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",  # not https
        "https://api.twilio.com.evil.example/Media/ME1",
        "https://evil.example/api.twilio.com/Media/ME1",
        "https://169.254.169.254/latest/meta-data/",
        "https://mms.twiliocdn.com/AC1/ME1",  # a CDN host only as a redirect's target
        "file:///etc/passwd",
        "ftp://api.twilio.com/x",
    ],
)
def test_only_https_urls_on_the_providers_own_hosts_are_fetched(url):
    with pytest.raises(media.MediaRefused):
        media.fetch_media(url, ("AC1", "token"), 1024)


def test_a_picture_whose_last_attempt_was_never_recorded_is_marked_failed_a_day_later(app, stub, photo_dir):
    row = pending_media(stub.url("direct"))
    row.attempts = media.MAX_ATTEMPTS  # the worker stopped during the last attempt
    db.session.commit()
    run_pass(now=utcnow() + timedelta(hours=1))
    assert reload(row).status == "pending"
    run_pass(now=utcnow() + timedelta(days=1, minutes=1))
    assert reload(row).status == "failed" and "worker stopped" in reload(row).last_error
    assert stub.requests == []


def test_a_media_url_that_cannot_be_parsed_is_refused():
    with pytest.raises(media.MediaRefused):
        media.fetch_media("https://[api.twilio.com/Media/ME1", None, 1024)


def test_a_download_overtaken_by_a_later_attempt_leaves_no_photo_behind(app, stub, photo_dir, monkeypatch):
    from sqlalchemy import update

    row = pending_media(stub.url("direct"))
    real_save = media.save_photo_bytes

    def save_while_another_worker_claims_the_next_attempt(raw, *, keep_location):
        photo = real_save(raw, keep_location=keep_location)
        with db.engine.begin() as other_worker:
            other_worker.execute(update(SmsMedia).where(SmsMedia.id == row.id).values(attempts=SmsMedia.attempts + 1))
        return photo

    # Our own code is wrapped here only to simulate a second worker at exactly this moment.
    monkeypatch.setattr(media, "save_photo_bytes", save_while_another_worker_claims_the_next_attempt)
    run_pass()

    assert (reload(row).status, reload(row).attempts) == ("pending", 2)
    assert db.session.scalars(select(TipPhoto)).all() == []
    assert list(photo_dir.iterdir()) == []
