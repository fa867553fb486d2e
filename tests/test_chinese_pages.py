"""Every word a person reads on the Chinese pages is Chinese: the main public pages and every
staff page a GET reaches, rendered in zh, with their visible text (titles, headings, labels,
buttons, error messages) searched for runs of English words. Only names are allowed: the words in
ALLOWED_WORDS, reference numbers, and the test's own data (user names).

A string that never reached the catalog (passed to `_()` as a variable, so that extraction misses
it, or never wrapped at all) shows up here as English on a Chinese page.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask, url_for

from portal.core.extensions import db
from portal.tips.feedback import FEEDBACK_KINDS, default_text
from portal.core.models import CaseAttachment, WorkingGroup
from portal.core.permissions import Role
from portal.hotline.keywords import OPT_IN_WORDS, OPT_OUT_WORDS
from tests.support.factories import create_site, create_slot, create_staff, create_tip
from tests.support.helpers import text_of
from tests.support.staff import browser, create_appointment, sign_in
from tests.support.tips import ZH

# Names that stay as they are in Chinese text.
ALLOWED_WORDS = frozenset({
    "SMS", "PDF", "QR", "Tuanyuan", "DNA", "CSV", "TY", "ID", "TOTP", "Google", "Microsoft", "Authenticator",
    "FreeOTP", "App", "app", "English", "IP", "Shift", "Ctrl", "ISO", "IEC", "MOD", "Asia", "Shanghai", "UTC", "PNG", "JPG", "JPEG", "WEBP", "GIF", "MB", "KB",
    "Excel", "xlsx", "csv",  # a spreadsheet program and its file types, named as they are
    "UTF", "GBK",  # the text encodings a list of sites may be saved in
    "SHA",  # SHA-256, the checksum printed with a case file's attachments
    "holidays",  # the library the public holiday schedules come from, named on a site's holidays page
}) | OPT_OUT_WORDS | OPT_IN_WORDS  # SMS words are texted as they are (STOP, TD, START), whatever the language
# Text that is typed as it is, whatever the language: a sampling site file's column names, and the
# parts of a tube label format.
CSV_COLUMNS = "name, city, province, weekday_hours, phone, fee, notes, source"
LABEL_FORMAT = re.compile(r"(?<![A-Za-z])NT(?=\{)|\{[A-Z]+\}")
REFERENCE = re.compile(r"\b(?:TY-)?[0-9A-Z]{4}-[0-9A-Z]{4}(?:-[0-9A-Z]{4}-[0-9A-Z]{4})?\b")
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ -]+[A-Za-z][A-Za-z'’]*)*")

PUBLIC_PAGES = [
    "/", "/privacy", "/tips/report", "/tips/status", "/sampling/", "/sampling/who", "/sampling/sites",
    "/sampling/manage",
]


# A full-width colon followed by a space, directly or after inline tags ("错误：</span> 请输入").
SPACE_AFTER_COLON = re.compile(r"：(?:</?(?:span|strong|b|em|a)\b[^>]*>)*[ \u3000]")


def colon_spaces(html: str) -> list[str]:
    """Each place in `html` where a full-width colon is followed by a space, with some context."""
    return [html[max(match.start() - 20, 0):match.end() + 20] for match in SPACE_AFTER_COLON.finditer(html)]


WEB_ADDRESS = re.compile(r"https?://[^\s<>\"']+")


def english_runs(text: str, also_allowed: set[str]) -> list[str]:
    """The runs of English words in `text` that hold a word outside ALLOWED_WORDS and `also_allowed`."""
    text = LABEL_FORMAT.sub(" ", REFERENCE.sub(" ", text.replace(CSV_COLUMNS, " ")))
    text = WEB_ADDRESS.sub(" ", text)  # a poster prints its QR code's address under it
    for value in sorted(also_allowed, key=len, reverse=True):
        text = text.replace(value, " ")
    found = []
    for run in ENGLISH_RUN.findall(text):
        words = re.findall(r"[A-Za-z]+", run)
        if any(len(word) > 1 and word not in ALLOWED_WORDS for word in words):
            found.append(run)
    return found


@pytest.fixture
def zh_app(app_factory) -> Flask:  # type: ignore[no-untyped-def]
    return app_factory(config={"WTF_CSRF_ENABLED": False}, ratelimit_login="1000 per minute")


def test_every_word_of_the_main_public_pages_in_chinese_is_chinese(app, zh_app):
    site = create_site()
    create_slot(site)
    pages = [*PUBLIC_PAGES, f"/sampling/site/{site.id}"]
    client = zh_app.test_client()
    problems = {}
    for url in pages:
        response = client.get(url, headers=ZH, follow_redirects=True)
        assert response.status_code == 200, url
        if runs := english_runs(text_of(response), {site.name}) + colon_spaces(response.get_data(as_text=True)):
            problems[url] = runs
    # Pages with a form error.
    wrong_code = client.post("/tips/status", headers=ZH, data={"reference": "TY-2222-2222", "follow_up_code": "x"})
    if runs := english_runs(text_of(wrong_code), set()) + colon_spaces(wrong_code.get_data(as_text=True)):
        problems["POST /tips/status"] = runs
    assert problems == {}, problems


def test_every_word_of_the_staff_pages_in_chinese_is_chinese(app, zh_app):
    group = WorkingGroup(name="第一专班")
    db.session.add(group)
    db.session.commit()
    tip = create_tip(child_in_danger=True).tip
    tip.item.working_group_id = group.id
    site = create_site()
    create_appointment(create_slot(site))
    db.session.commit()
    admin = create_staff(Role.ADMIN, username="admin-user")
    other = create_staff(Role.SUPERVISOR, username="spare-account")
    # An attachment's row (its file is never read by the item page; its download answers 404).
    attachment = CaseAttachment(item_id=tip.item.id, original_name="询问笔录.pdf", kind="pdf", stored_name="0" * 32 + ".pdf",
                                byte_size=2048, sha256="0" * 64, uploaded_by_id=admin.id)
    db.session.add(attachment)
    db.session.commit()
    data = {admin.username, other.username, site.name, "询问笔录.pdf"}
    # The feedback templates' pages show each template's English version too, on purpose (lang="en").
    with zh_app.test_request_context():
        data |= {default_text(kind, "en") for kind in FEEDBACK_KINDS}
    values = {"reference": tip.item.reference, "user_id": other.id, "site_id": site.id, "alert_id": 1, "closure_id": 1,
              "kind": "child_found", "attachment_id": attachment.id}

    client = browser(zh_app)
    refused = client.post("/staff/login", headers=ZH, data={"username": "nobody", "password": "wrong password"})
    problems = {}
    if runs := english_runs(text_of(refused), set()) + colon_spaces(refused.get_data(as_text=True)):
        problems["POST /staff/login"] = runs
    assert "请输入正确的用户名和密码" in text_of(refused)

    assert sign_in(client, admin.username).status_code == 303
    checked = 0
    for rule in sorted(zh_app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if not rule.endpoint.startswith("staff.") or "GET" not in (rule.methods or set()):
            continue
        if rule.endpoint in ("staff.logout", "staff.login_code", "staff.login_enrol") or rule.rule.endswith(
                (".csv", ".svg", ".png", ".ics")):
            continue
        with zh_app.test_request_context():
            url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        response = client.get(url, headers=ZH)
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        checked += 1
        if runs := english_runs(text_of(response), data) + colon_spaces(response.get_data(as_text=True)):
            problems[url] = runs
    assert checked >= 15
    assert problems == {}, problems


def test_no_chinese_translation_has_a_space_after_a_full_width_colon():
    from portal.core.config import ROOT

    catalog = (ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    translations = [line for line in catalog.splitlines() if line.startswith("msgstr")]
    assert translations and [line for line in translations if "： " in line or "：　" in line] == []
    templates = [path for path in (ROOT / "templates").rglob("*.html") if "： " in path.read_text(encoding="utf-8")]
    assert templates == []
