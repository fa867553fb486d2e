"""The home and privacy pages say what a text message shows the police (the sender's number) and
how it is protected, and what STOP and 退订 do to the hotline's answers, in both languages. What
they say is what the hotline and the staff console do: tests/hotline/test_conversations.py
(answers after 退订, none after STOP until START) and tests/staff/test_sms_tipster_contact.py
(the number masked unless the tipster agreed)."""

from __future__ import annotations

import pytest

from tests.support.helpers import get_page, text_of

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}

HOME = {
    "zh": ("短信举报不是匿名的：民警会看到您的手机号码。", "除非您同意被联系，工作人员只能看到部分号码；确需查看完整号码的，必须写明理由",
           "如果发送STOP，在您发送START之前将收不到任何回复，连受理编号也收不到。", "请发送“退订”"),
    "en": ("A text message is not anonymous: it shows the police your mobile number.",
           "staff see only part of it unless you agree to be contacted; anyone who needs all of it must record why",
           "If you text STOP, no reply comes at all, not even your reference number, until you text START.",
           "Text 退订 instead"),
}
PRIVACY = {
    "zh": ("用短信联系热线时", "所以用短信举报不是匿名的", "必须写明理由，并会被记录",
           "热线不再主动给您发短信，但仍会回复您发来的短信", "直到您发送START为止"),
    "en": ("When you text the hotline", "a report by text message is not anonymous",
           "must give a reason, and this is recorded", "but still answers the messages you send",
           "even the answer with your reference number, until you text START"),
}


@pytest.mark.parametrize(("language", "headers"), [("zh", ZH), ("en", EN)])
def test_the_home_page_says_an_sms_shows_the_number_how_it_is_protected_and_what_stop_does(client, language, headers):
    page, _ = get_page(client, "/", headers=headers)
    text = text_of(page)
    for words in HOME[language]:
        assert words in text
    # Beside "reports can be anonymous", in a paragraph of its own.
    assert text.index(HOME[language][0]) > text.index("匿名" if language == "zh" else "anonymous")


@pytest.mark.parametrize(("language", "headers"), [("zh", ZH), ("en", EN)])
def test_the_privacy_page_says_what_an_sms_reveals_and_what_stop_and_td_do(client, language, headers):
    page, _ = get_page(client, "/privacy", headers=headers)
    text = text_of(page)
    for words in PRIVACY[language]:
        assert words in text
