"""Reference numbers, follow-up codes, and encryption at rest; a database error never shows a personal value."""

import math
import re

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from portal.core.extensions import db
from portal.core.security import crypto
from portal.core.security.references import ALPHABET, FOLLOW_UP_CODE_LENGTH, new_follow_up_code, new_reference, normalise_follow_up_code, normalise_reference
from tests.support.factories import create_tip


def test_reference_is_short_readable_and_free_of_ambiguous_characters():
    for _ in range(200):
        reference = new_reference()
        assert re.fullmatch(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}", reference)
        assert not set(reference[3:].replace("-", "")) & set("01OILU")


def test_references_are_not_sequential():
    references = sorted(new_reference() for _ in range(50))
    assert len(set(references)) == 50


def test_reference_typed_any_way_is_recognised():
    assert normalise_reference(" ty 7k3m 9q2p ") == "TY-7K3M-9Q2P"
    assert normalise_reference("ＴＹ－７Ｋ３Ｍ－９Ｑ２Ｐ") == "TY-7K3M-9Q2P"
    assert normalise_reference("7K3M9Q2P") == "TY-7K3M-9Q2P"
    assert normalise_reference("TY-7K3M-9Q2") is None
    assert normalise_reference("DROP TABLE") is None


def test_follow_up_code_has_at_least_60_random_bits():
    assert FOLLOW_UP_CODE_LENGTH * math.log2(len(ALPHABET)) >= 60
    code = new_follow_up_code()
    assert normalise_follow_up_code(code.lower().replace("-", " ")) == code


def test_follow_up_code_is_stored_only_as_an_hmac(app):
    receipt = create_tip()
    row = db.session.execute(text("SELECT * FROM tip")).mappings().one()
    stored = " ".join(str(v) for v in row.values())
    assert receipt.follow_up_code not in stored
    assert row["follow_up_code_hash"] == crypto.lookup_hash(receipt.follow_up_code, "follow-up-code")


def test_contact_details_are_encrypted_at_rest(app):
    create_tip(contact_name="张三", contact_phone="+8613800138000")
    row = db.session.execute(text("SELECT contact_name, contact_phone FROM tip")).one()
    assert "张三" not in row.contact_name and "13800138000" not in row.contact_phone
    from portal.core.models import Tip

    tip = db.session.scalars(db.select(Tip)).one()
    assert (tip.contact_name, tip.contact_phone) == ("张三", "+8613800138000")


def test_data_under_an_old_key_is_readable_after_rotation(app):
    old_key = app.config["SETTINGS"].data_encryption_keys[0]
    token = crypto.encrypt("13800138000")
    new_key = Fernet.generate_key().decode()
    crypto.keyring.configure([new_key, old_key], app.config["SETTINGS"].lookup_key)
    try:
        assert crypto.decrypt(token) == "13800138000"
        rotated = crypto.rotate(token)
        crypto.keyring.configure([new_key], app.config["SETTINGS"].lookup_key)
        assert crypto.decrypt(rotated) == "13800138000"
    finally:
        crypto.keyring.configure(app.config["SETTINGS"].data_encryption_keys, app.config["SETTINGS"].lookup_key)


def test_rotate_keys_command_re_encrypts_every_value_under_the_newest_key(app):
    create_tip(contact_name="李四", contact_phone="+8613900139000")
    old_key = app.config["SETTINGS"].data_encryption_keys[0]
    new_key = Fernet.generate_key().decode()
    lookup = app.config["SETTINGS"].lookup_key
    crypto.keyring.configure([new_key, old_key], lookup)
    try:
        result = app.test_cli_runner().invoke(args=["rotate-keys"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 3 values" in result.output  # name, phone, follow-up code on display
        db.session.expire_all()
        crypto.keyring.configure([new_key], lookup)  # the old key is gone
        from portal.core.models import Tip

        tip = db.session.scalars(db.select(Tip)).one()
        assert (tip.contact_name, tip.contact_phone) == ("李四", "+8613900139000")
    finally:
        crypto.keyring.configure(app.config["SETTINGS"].data_encryption_keys, lookup)


def test_a_database_error_message_never_carries_the_submitted_values(app):
    from sqlalchemy.exc import IntegrityError

    from portal.core.models import InboundMessage

    for _ in range(2):
        db.session.add(InboundMessage(provider_message_id="SM-MARKER-4242", from_phone_hash="h",
                                      body="secret body 13800138000"))
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    # PostgreSQL itself names a duplicate key's value; every unique column here holds an id or an
    # HMAC, never a personal value. The bound values (the body) must not appear.
    assert "13800138000" not in str(caught.value) and "secret body" not in str(caught.value)
