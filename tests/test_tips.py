"""The web tip form: sending a report, its confirmation, double clicks, and checking progress."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import Channel, IntakeItem, ItemStatus, Priority, Tip, utcnow
from tests.helpers import get_page, parse_page, text_of
from tests.tips_helpers import ANSWERS, checked_values, form_fields, send_tip, visitor_client

EN = {"Accept-Language": "en-GB,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")
CODE = re.compile(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}")


@pytest.fixture
def client(app, app_factory):
    """Each request in its own app context (see `visitor_client`); `app` empties the tables."""
    return visitor_client(app_factory)


def only_tip() -> Tip:
    db.session.expire_all()
    tips = db.session.scalars(select(Tip)).all()
    assert len(tips) == 1, f"expected one tip, found {len(tips)}"
    return tips[0]


def confirmation(client, headers=None):
    response, _ = get_page(client, "/tips/confirmation", headers=headers or {})
    return response


@pytest.mark.parametrize(
    ("headers", "heading", "code_heading"),
    [(ZH, "线索已提交", "您的查询码"), (EN, "Report sent", "Your follow-up code")],
)
def test_sending_a_tip_ends_on_a_confirmation_with_reference_and_follow_up_code(client, headers, heading, code_heading):
    response = send_tip(client, headers=headers, description="我看到一个小孩在火车站被一个男人强迫乞讨")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/tips/confirmation")

    page = confirmation(client, headers)
    html = page.get_data(as_text=True)
    words = text_of(page)
    tip = only_tip()
    assert heading in words and code_heading in words
    reference = re.search(r'class="reference">(TY-[^<]+)<', html).group(1)
    assert REFERENCE.fullmatch(reference)
    assert reference == tip.item.reference
    code = CODE.search(words).group(0)
    assert code == tip.follow_up_code_display
    assert tip.description == "我看到一个小孩在火车站被一个男人强迫乞讨"
    assert tip.item.channel == Channel.WEB.value


def test_confirmation_tells_the_tipster_to_keep_the_code_and_when_police_will_look(client):
    send_tip(client, headers=EN)
    words = text_of(confirmation(client, EN))
    assert "Write down or photograph this code now" in words
    assert "We cannot show it again" in words
    assert "within 7 days" in words
    assert "print this page or take a screenshot" in words


def test_tip_gets_the_configured_feedback_deadline(app, app_factory):
    client = visitor_client(app_factory, feedback_deadline_days=5)
    send_tip(client, headers=EN)
    item = only_tip().item
    assert item.feedback_due_at - item.received_at == timedelta(days=5)
    assert "within 5 days" in text_of(confirmation(client, EN))


def test_stored_tip_and_intake_item_hold_no_ip_address(client):
    for address in ("127.0.0.1", "203.0.113.77"):
        hidden = form_fields(client)
        response = client.post(
            "/tips/report", data={**hidden, **ANSWERS, "contact_phone": "13800138000"}, environ_base={"REMOTE_ADDR": address}
        )
        assert response.status_code == 303
    for table in ("tip", "intake_item"):
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()
        assert len(rows) == 2
        stored = " ".join(str(value) for row in rows for value in row)
        assert "127.0.0.1" not in stored
        assert "203.0.113.77" not in stored


def test_contact_phone_is_stored_encrypted_and_as_e164(client):
    response = send_tip(client, contact_name="王芳", contact_phone="＋86 138-0013-8000", may_contact_by_sms="y")
    assert response.status_code == 303
    tip = only_tip()
    assert tip.contact_phone == "+8613800138000"
    assert tip.contact_name == "王芳"
    assert tip.may_contact_by_sms is True
    raw_phone, raw_name = db.session.execute(text("SELECT contact_phone, contact_name FROM tip")).one()
    assert "13800138000" not in raw_phone and "8000" not in raw_phone
    assert "王芳" not in raw_name


def test_a_tip_without_contact_details_is_anonymous(client):
    send_tip(client, may_contact_by_sms="y", contact_phone="")
    # Ticking "text me" without a number is a question to answer, not a silent drop.
    assert db.session.scalars(select(Tip)).all() == []
    send_tip(client)
    tip = only_tip()
    assert tip.contact_name is None and tip.contact_phone is None and tip.contact_phone_hash is None
    assert tip.may_contact_by_sms is False


@pytest.mark.parametrize(
    ("headers", "message"),
    [(ZH, "请输入手机号码，例如 138 0013 8000"), (EN, "Enter a mobile number, like 138 0013 8000")],
)
def test_malformed_mobile_number_is_explained_and_everything_typed_is_kept(client, headers, message):
    response = send_tip(
        client, headers=headers, contact_phone="138 0013", contact_name="Li Ming", child_in_danger="yes",
        category="other", may_contact_by_sms="y",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert f'<a href="#contact_phone">{message}</a>' in summary
    beside = re.search(r'<p id="contact_phone-error" class="error-message">(.*?)</p>', html, re.S).group(1)
    assert message in beside
    assert 'aria-invalid="true"' in html
    assert text_of(response).startswith("错误：" if headers is ZH else "Error:")
    assert 'value="138 0013"' in html
    assert 'value="Li Ming"' in html
    assert ANSWERS["description"] in html
    assert f'value="{ANSWERS["place"]}"' in html
    assert f'value="{ANSWERS["seen_when"]}"' in html
    assert checked_values(html, "child_in_danger") == ["yes"]
    assert checked_values(html, "category") == ["other"]
    assert checked_values(html, "may_contact_by_sms") == ["y"]
    assert db.session.scalars(select(Tip)).all() == []


@pytest.mark.parametrize(
    ("headers", "messages"),
    [
        (EN, ["Select whether a child is in danger right now", "Select what your report is about", "Enter what you saw"]),
        (ZH, ["请选择现在是否有儿童正处于危险之中", "请选择您要举报的情况", "请填写您看到的情况"]),
    ],
)
def test_empty_form_says_what_to_do_for_each_required_question(client, headers, messages):
    hidden = form_fields(client, headers=headers)
    response = client.post("/tips/report", data=hidden, headers=headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for message in messages:
        assert message in html
    assert 'href="#child_in_danger-0"' in html and 'href="#category-0"' in html and 'href="#description"' in html
    # The optional questions are marked, the required ones are not.
    words = text_of(response)
    optional = "(optional)" if headers is EN else "（选填）"
    assert words.count(optional) == 4


def test_a_choice_that_is_not_offered_is_refused_with_the_same_words(client):
    response = send_tip(client, headers=EN, category="kidnapped-by-aliens", child_in_danger="maybe")
    assert response.status_code == 200
    assert "Select what your report is about" in text_of(response)
    assert "Select whether a child is in danger right now" in text_of(response)
    assert "Not a valid choice" not in text_of(response)


def test_a_very_long_description_is_refused_without_losing_it(client):
    long_text = "看" * 5001
    response = send_tip(client, headers=EN, description=long_text)
    assert response.status_code == 200
    assert "What you saw must be 5,000 characters or fewer" in text_of(response)
    assert long_text in response.get_data(as_text=True)
    assert send_tip(client, description="看" * 5000).status_code == 303


def test_child_in_danger_makes_the_tip_urgent_and_the_confirmation_says_call_110(client):
    send_tip(client, headers=ZH, child_in_danger="yes")
    tip = only_tip()
    assert tip.child_in_danger is True
    assert tip.item.priority == Priority.URGENT.value
    page = confirmation(client, ZH)
    html = page.get_data(as_text=True)
    assert "请立即拨打110" in text_of(page)
    assert "12110" in text_of(page)
    assert '<div class="warning-text tip-danger" role="alert">' in html
    assert html.count('<a href="tel:110">110</a>') >= 2  # the banner and the warning
    english = text_of(confirmation(client, EN))
    assert "Call 110 now" in english and "12110" in english


def test_no_danger_gives_a_normal_priority_and_no_call_now_warning(client):
    send_tip(client, headers=EN)
    assert only_tip().item.priority == Priority.NORMAL.value
    assert "Call 110 now" not in text_of(confirmation(client, EN))


def test_double_submit_creates_one_tip_and_shows_the_same_receipt(client):
    hidden = form_fields(client)
    data = {**hidden, **ANSWERS}
    first = client.post("/tips/report", data=data)
    second = client.post("/tips/report", data=data)
    assert first.status_code == 303 and second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    tip = only_tip()
    assert tip.item.reference in confirmation(client).get_data(as_text=True)
    # A new form (a new submission id) is a new report.
    assert send_tip(client).status_code == 303
    assert len(db.session.scalars(select(Tip)).all()) == 2


def test_submission_id_is_kept_when_the_form_is_shown_again_with_errors(client):
    hidden = form_fields(client)
    response = client.post("/tips/report", data={**hidden, "description": ""})
    assert f'value="{hidden["submission_id"]}"' in response.get_data(as_text=True)
    assert len(hidden["submission_id"]) >= 16


def test_a_forged_submission_id_is_replaced_not_trusted(client):
    hidden = form_fields(client)
    response = client.post("/tips/report", data={**hidden, "submission_id": "<script>x</script>"})
    assert "<script>x" not in response.get_data(as_text=True)
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", parse_page(response.get_data(as_text=True)).inputs["submission_id"])


def test_confirmation_without_a_receipt_goes_to_the_form(client):
    response = client.get("/tips/confirmation")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/tips/report")


def test_confirmation_page_is_never_cached(client):
    send_tip(client)
    response = confirmation(client)
    assert "no-store" in response.headers["Cache-Control"]


def test_follow_up_code_is_no_longer_shown_after_the_display_window(client):
    send_tip(client, headers=EN)
    tip = only_tip()
    code = tip.follow_up_code_display
    tip.follow_up_code_display_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    page = confirmation(client, EN)
    assert code not in page.get_data(as_text=True)
    assert "For your safety, the follow-up code is no longer shown on this page." in text_of(page)
    assert tip.item.reference in page.get_data(as_text=True)


def _sent_tip_and_code(client) -> tuple[str, str]:
    send_tip(client)
    tip = only_tip()
    return tip.item.reference, tip.follow_up_code_display


def test_status_lookup_accepts_the_code_typed_lower_case_with_spaces(client):
    reference, code = _sent_tip_and_code(client)
    typed_code = code.replace("-", " ").lower()
    typed_reference = reference.lower().replace("-", "")
    hidden = form_fields(client, "/tips/status", headers=EN)
    response = client.post(
        "/tips/status", data={**hidden, "reference": typed_reference, "follow_up_code": typed_code}, headers=EN
    )
    assert response.status_code == 200
    words = text_of(response)
    assert "Progress of your report" in words
    assert reference in words
    assert "Received" in words and "waiting to be looked at" in words


@pytest.mark.parametrize(
    ("status", "word"),
    [(ItemStatus.TRIAGED, "正在核查"), (ItemStatus.VERIFYING, "正在核查"), (ItemStatus.CLOSED, "已办结")],
)
def test_status_lookup_says_the_progress_in_plain_words(client, status, word):
    reference, code = _sent_tip_and_code(client)
    db.session.scalar(select(IntakeItem)).status = status.value
    db.session.commit()
    hidden = form_fields(client, "/tips/status")
    response = client.post("/tips/status", data={**hidden, "reference": reference, "follow_up_code": code})
    assert word in text_of(response)


def test_wrong_code_and_unknown_reference_give_identical_pages(client):
    reference, code = _sent_tip_and_code(client)
    wrong_code = "2222-2222-2222-2222"
    unknown_reference = "TY-2222-2222" if reference != "TY-2222-2222" else "TY-3333-3333"

    def lookup(typed_reference: str, typed_code: str):
        hidden = form_fields(client, "/tips/status", headers=EN)
        response = client.post(
            "/tips/status", data={**hidden, "reference": typed_reference, "follow_up_code": typed_code}, headers=EN
        )
        assert response.status_code == 200
        return response

    wrong = lookup(reference, wrong_code)
    unknown = lookup(unknown_reference, code)
    message = "We could not find a report with that reference number and code. Check both and try again."
    assert message in text_of(wrong)
    assert text_of(wrong) == text_of(unknown)
    # The secret is never written back into the page.
    assert code not in unknown.get_data(as_text=True)
    assert 'href="#reference"' in wrong.get_data(as_text=True)


def test_status_lookup_asks_for_both_reference_and_code(client):
    hidden = form_fields(client, "/tips/status", headers=EN)
    response = client.post("/tips/status", data=hidden, headers=EN)
    words = text_of(response)
    assert "Enter the reference number" in words and "Enter the follow-up code" in words


def test_status_page_is_a_checked_page_in_both_languages(client):
    for headers, heading in ((EN, "Check progress of a report"), (ZH, "查询线索进度")):
        response, _ = get_page(client, "/tips/status", headers=headers)
        assert heading in text_of(response)


def test_progress_lookup_runs_the_same_queries_for_unknown_booking_and_tip_references(app):
    """THREATS.md: identical answers for wrong codes and unknown references, in timing too."""
    from sqlalchemy import event

    from portal.extensions import db as database
    from portal.tips.service import find_tip_for_follow_up
    from tests.factories import create_tip as make_tip

    receipt = make_tip()
    counts = []
    for reference in (receipt.reference, "TY-2222-2222"):
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        database.session.expire_all()
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            assert find_tip_for_follow_up(reference, "WRON-GCOD-E222-2222") is None
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[1] == 1


def test_a_phone_number_comes_back_as_typed_when_another_answer_is_missing(client):
    from tests.helpers import parse_page, post_form

    response = post_form(client, "/tips/report", {"child_in_danger": "no", "category": "other", "description": "",
                                                  "contact_phone": "138-0013-8000"})
    assert response.status_code == 200
    assert parse_page(response.get_data(as_text=True)).inputs["contact_phone"] == "138-0013-8000"
