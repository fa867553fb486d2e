"""Nothing typed is lost, and nothing is sent twice: server-side drafts, double submits, repeated
tips, the honeypot, and what the database and the logs keep about the person who sent a tip."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from portal.core.extensions import db
from portal.core.models import Tip, TipDraft, utcnow
from tests.support.helpers import get_page, text_of
from tests.support.tips import EN, ZH, answer_page, csrf_of, fill_journey, jpeg_bytes, send_tip, visitor_client


@pytest.fixture
def client(app, app_factory, tmp_path):
    return visitor_client(app_factory, tip_photo_dir=str(tmp_path / "photos"))


def tip_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Tip))


def test_the_draft_cookie_is_its_own_http_only_cookie_and_the_row_holds_only_its_hash(client):
    response = answer_page(client, "/tips/report", {"child_in_danger": "no"}, EN)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("tip_draft="))
    assert "HttpOnly" in cookie and "Path=/;" in cookie and "SameSite=Lax" in cookie
    token = client.get_cookie("tip_draft").value
    assert len(token) >= 32
    rows = db.session.execute(text("SELECT key_hash, answers FROM tip_draft")).all()
    assert len(rows) == 1
    assert token not in rows[0].key_hash and "child_in_danger" not in rows[0].answers  # hashed, encrypted


def test_deleting_the_session_cookie_mid_journey_loses_no_answer(client):
    fill_journey(client, EN, description="The child had a red coat and a scar on her chin",
                 extra={"/tips/report/who": {"child_height": "about 1.1 m"}})
    page, _ = get_page(client, "/tips/report/contact", headers=EN)
    client.delete_cookie("session")
    # The next answer arrives with a CSRF token whose session is gone: the page offers to send it again.
    refused = client.post("/tips/report/contact", headers=EN,
                          data={"csrf_token": csrf_of(page.get_data(as_text=True)), "contact_name": "Wang Fang"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'value="Wang Fang"' in html
    resent = client.post("/tips/report/contact", headers=EN,
                         data={"csrf_token": csrf_of(html), "contact_name": "Wang Fang", "homepage": ""})
    assert resent.status_code == 303
    check, _ = get_page(client, "/tips/report/check", headers=EN)
    words = text_of(check)
    for answer in ("The child had a red coat and a scar on her chin", "about 1.1 m", "Wang Fang", "江苏省南通市海门区",
                   "Haimen bus station, north square", "苏F 12345"):
        assert answer in words, answer
    assert answer_page(client, "/tips/report/check", {}, EN).status_code == 303
    assert tip_count() == 1


def test_switching_language_mid_journey_keeps_every_answer(app, app_factory):
    client = visitor_client(app_factory)
    fill_journey(client, ZH, description="孩子穿红色外套")
    client.get("/language/en?next=/tips/report/check")
    check, page = get_page(client, "/tips/report/check")
    assert page.html_lang == "en"
    assert "孩子穿红色外套" in text_of(check) and "Check your answers" in text_of(check)


def test_another_browser_cannot_see_a_draft(app, app_factory, client):
    fill_journey(client, EN, description="Only my browser may see this")
    other = visitor_client(app_factory)
    response = other.get("/tips/report/check")
    assert response.status_code == 302 and response.headers["Location"].endswith("/tips/report")
    other.set_cookie("tip_draft", "A" * 32)
    assert other.get("/tips/report/check").status_code == 302


def test_an_expired_draft_is_not_shown_and_the_worker_deletes_it(client):
    fill_journey(client, EN)
    draft = db.session.scalar(select(TipDraft))
    draft.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/tips/report/check").status_code == 302
    from portal.tips.jobs import delete_expired_drafts

    delete_expired_drafts(utcnow())
    assert db.session.scalar(select(func.count()).select_from(TipDraft)) == 0


def test_a_double_submission_creates_one_tip_and_shows_the_same_receipt(client):
    fill_journey(client, EN)
    page, _ = get_page(client, "/tips/report/check", headers=EN)
    form = {"csrf_token": csrf_of(page.get_data(as_text=True))}
    first = client.post("/tips/report/check", data=form, headers=EN)
    second = client.post("/tips/report/check", data=form, headers=EN)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert tip_count() == 1
    reference = db.session.scalar(select(Tip)).item.reference
    assert reference in client.get("/tips/confirmation").get_data(as_text=True)


def test_the_same_text_again_within_minutes_gives_the_first_reference_and_new_text_a_new_tip(client):
    send_tip(client, headers=EN, description="A boy begging at the bridge")
    first = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", client.get("/tips/confirmation").get_data(as_text=True)).group(0)
    send_tip(client, headers=EN, description="A  boy begging at the bridge ")
    again = re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", client.get("/tips/confirmation").get_data(as_text=True)).group(0)
    assert again == first and tip_count() == 1
    send_tip(client, headers=EN, description="A different child at the market")
    assert tip_count() == 2


def test_the_same_text_after_the_repeat_window_or_from_another_browser_is_a_new_tip(app, app_factory, client):
    send_tip(client, headers=EN, description="A boy begging at the bridge")
    with client.session_transaction() as session:
        session["tip_recent"] = [[key, ref, sent_at - 11 * 60] for key, ref, sent_at in session["tip_recent"]]
    send_tip(client, headers=EN, description="A boy begging at the bridge")
    assert tip_count() == 2
    send_tip(visitor_client(app_factory), headers=EN, description="A boy begging at the bridge")
    assert tip_count() == 3


def test_a_filled_honeypot_is_answered_like_any_report_and_stored_nowhere(client, tmp_path):
    fill_journey(client, EN, extra={"/tips/report/photos": {}})
    answer_page(client, "/tips/report/photos", {"photos": (io.BytesIO(jpeg_bytes()), "p.jpg"),
                                                "action": "upload"}, EN)
    page, _ = get_page(client, "/tips/report/check", headers=EN)
    response = client.post("/tips/report/check", headers=EN,
                           data={"csrf_token": csrf_of(page.get_data(as_text=True)), "homepage": "http://spam.example"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/tips/confirmation")
    receipt, _ = get_page(client, "/tips/confirmation", headers=EN)
    assert "Report sent" in text_of(receipt)
    assert re.search(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", text_of(receipt))
    assert tip_count() == 0
    for table in ("intake_item", "tip_draft", "tip_photo"):
        assert db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    assert not any((tmp_path / "photos").glob("*.jpg"))


def test_the_database_holds_no_client_address_or_user_agent_for_tips(app, app_factory, client, tmp_path):
    """docs/threat-model.md#identifying-a-tipster: every table the tip journey writes is inspected."""
    address, agent = "203.0.113.77", "Mozilla/5.0 (Linux; Android 14; SM-S918B) TipsterPhone/1.0"
    environ = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent}
    client.environ_base.update(environ)
    fill_journey(client, EN, contact_phone="13800138000", extra={"/tips/report/contact": {"may_contact_by_sms": "y"}})
    answer_page(client, "/tips/report/photos", {"photos": (io.BytesIO(jpeg_bytes()), "p.jpg"),
                                                "action": "upload"}, EN)
    answer_page(client, "/tips/report/check", {}, EN)
    tip = db.session.scalar(select(Tip))
    code = tip.follow_up_code_display
    # A wrong code, then the right one and an answer with a photo.
    status, _ = get_page(client, "/tips/status")
    client.post("/tips/status", data={"csrf_token": csrf_of(status.get_data(as_text=True)),
                                      "reference": tip.item.reference, "follow_up_code": "2222-2222-2222-2222"})
    client.post("/tips/status", data={"csrf_token": csrf_of(status.get_data(as_text=True)),
                                      "reference": tip.item.reference, "follow_up_code": code})
    page, _ = get_page(client, "/tips/status/report")
    client.post("/tips/status/report", content_type="multipart/form-data",
                data={"csrf_token": csrf_of(page.get_data(as_text=True)), "text": "More details",
                      "photos": (io.BytesIO(jpeg_bytes()), "q.jpg")})
    tables = ["tip", "intake_item", "tip_draft", "tip_photo", "tip_follow_up", "follow_up_guard", "audit_event",
              "outbound_message"]
    counts = {}
    for table in tables:
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()
        counts[table] = len(rows)
        stored = " ".join(str(value) for row in rows for value in row)
        assert address not in stored and "203.0.113" not in stored, table
        assert "TipsterPhone" not in stored and "Android" not in stored, table
    assert counts["tip"] == 1 and counts["tip_photo"] == 2 and counts["tip_follow_up"] == 1


def test_the_request_log_of_tip_routes_holds_no_client_address(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    send_tip(client, headers=EN)
    get_page(client, "/tips/status")
    assert "198.51.100.23" not in caplog.text


def test_a_bot_that_fills_the_hidden_field_on_the_first_page_still_gets_a_receipt_and_nothing_is_stored(client):
    response = answer_page(client, "/tips/report", {"child_in_danger": "no", "homepage": "bot"}, EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/tips/report/what")
    page, _ = get_page(client, "/tips/report/check", headers=EN)
    sent = client.post("/tips/report/check", data={"csrf_token": csrf_of(page.get_data(as_text=True))}, headers=EN)
    assert sent.headers["Location"].endswith("/tips/confirmation")
    assert "Report sent" in text_of(client.get("/tips/confirmation", headers=EN))
    assert tip_count() == 0
    assert db.session.execute(text("SELECT count(*) FROM tip_draft")).scalar() == 0


def test_the_development_server_logs_no_client_address_for_a_tip(app):
    """No IP address in the request logs of tip routes (docs/threat-model.md#identifying-a-tipster).
    The real server, a real request."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    logging.getLogger("werkzeug").addHandler(handler)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/tips/report") as response:
            assert response.status == 200
    finally:
        server.shutdown()
        logging.getLogger("werkzeug").removeHandler(handler)
    assert not [line for line in records if "127.0.0.1" in line]


def test_the_same_text_again_with_a_new_place_or_number_plate_is_a_new_tip_and_nothing_is_dropped(client):
    """The red team's case: "I forgot the plate, sending again" with the same description used to
    give the first reference and drop the new place and plate while the page said "Report sent"."""
    send_tip(client, headers=EN, description="A boy begging at the bridge")
    send_tip(client, headers=EN, description="A boy begging at the bridge", place="Exit 2 of Nantong station",
             vehicle_plate="苏F NEW99")
    assert tip_count() == 2
    newest = db.session.scalars(select(Tip).order_by(Tip.id.desc())).first()
    assert newest.place == "Exit 2 of Nantong station" and newest.vehicle_plate == "苏FNEW99"
    reference = newest.item.reference
    assert reference in client.get("/tips/confirmation", headers=EN).get_data(as_text=True)


def test_a_repeat_with_photos_is_a_new_tip_so_its_photos_are_kept(client):
    send_tip(client, headers=EN, description="A boy begging at the bridge")
    fill_journey(client, EN, description="A boy begging at the bridge", extra={"/tips/report/photos": {}})
    answer_page(client, "/tips/report/photos", {"photos": (io.BytesIO(jpeg_bytes()), "p.jpg"), "action": "upload"}, EN)
    assert answer_page(client, "/tips/report/check", {}, EN).status_code == 303
    assert tip_count() == 2
    assert db.session.execute(text("SELECT count(*) FROM tip_photo WHERE tip_id IS NOT NULL")).scalar() == 1
