"""Plain factory functions for tests: `create_tip(**overrides)` and friends. Each commits."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from portal.core.extensions import db
from portal.core.intake import new_item
from portal.core.models import Channel, InboundMessage, IntakeItem, ItemKind, OpeningPeriod, SamplingSite, Slot, StaffUser, TipCategory
from portal.core.permissions import Role
from portal.core.public_holidays import days_off
from portal.core.security.crypto import lookup_hash
from portal.staff.accounts import create_staff_user
from portal.sampling.site_phones import read_phone, set_site_phones, split_phones
from portal.tips.service import TipReceipt, create_tip as _create_tip

STAFF_PASSWORD = "correct horse battery staple"
# Every factory-made staff account is enrolled in two-step sign-in with this secret;
# `tests.support.staff.sign_in` reads each account's own secret, so others work too.
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def create_tip(**overrides: object) -> TipReceipt:
    values: dict = dict(
        channel=Channel.WEB,
        category=TipCategory.BEGGING_OR_EXPLOITED,
        description="我在成都火车站看到一个小孩被成年人强迫乞讨",
        place="成都火车站",
    )
    values.update(overrides)
    receipt = _create_tip(**values)
    db.session.commit()
    return receipt


def create_site(phone: str | None = "0513-83309663", **overrides: object) -> SamplingSite:
    """A committed site open 09:00-17:00 on weekdays; `phone`: its phones as published, several
    separated like 83309663、13812345678 (completed with the area code of the site's city, as the
    import does), or None for none."""
    values: dict = dict(province="江苏省", name="南通市公安局", city="南通市", slot_minutes=20, places_per_slot=3)
    values.update(overrides)
    site = SamplingSite(**values)
    if phone:
        set_site_phones(site, [read_phone(text, site.province, site.city, site.district) for text in split_phones(phone)])
    for weekday in range(5):
        site.opening_periods.append(OpeningPeriod(weekday=weekday, opens_at=time(9), closes_at=time(17)))
    db.session.add(site)
    db.session.commit()
    return site


def create_slot(site: SamplingSite, *, starts_at: datetime | None = None, capacity: int = 3, booked: int = 0) -> Slot:
    if starts_at is None:
        # 09:00 Asia/Shanghai (01:00 UTC) on the next weekday at least two days away that is
        # not a public holiday (sites close on those).
        day = datetime.now(timezone.utc).date() + timedelta(days=2)
        while day.weekday() >= 5 or day in days_off(day, day):
            day += timedelta(days=1)
        starts_at = datetime.combine(day, time(1, 0), tzinfo=timezone.utc)
    slot = Slot(site=site, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=site.slot_minutes),
                capacity=capacity, booked=booked)
    db.session.add(slot)
    db.session.commit()
    return slot


def create_staff(role: Role = Role.TRIAGE_OFFICER, username: str | None = None, **attrs: object) -> StaffUser:
    user = create_staff_user(username or f"{role.value}-user", STAFF_PASSWORD, role, totp_secret=STAFF_TOTP_SECRET)
    for key, value in attrs.items():
        setattr(user, key, value)
    db.session.commit()
    return user


def create_kept_sms(body: str, sid_digit: str = "1", sender: str = "+8613800138000") -> IntakeItem:
    """An SMS that matched nothing, kept as an item for staff (kind SMS_MESSAGE), with its one
    inbound message (`body`, Twilio sid "SM" + 32 × `sid_digit`, from `sender`); committed."""
    item = new_item(ItemKind.SMS_MESSAGE, Channel.SMS)
    db.session.flush()
    db.session.add(InboundMessage(provider_message_id="SM" + sid_digit * 32, from_phone=sender,
                                  from_phone_hash=lookup_hash(sender, "phone"), body=body, item_id=item.id))
    db.session.commit()
    return item
