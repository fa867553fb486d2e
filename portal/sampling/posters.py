"""What a sampling poster says (docs/pdf.md, "Posters"): a printable A4 poster for one sampling
site, or for the whole deployment (every active site), that sends families to book free DNA
sampling: the site's name, address, hours and phones, a QR code to the page that starts a booking
there, and the SMS hotline's number and keywords. A poster holds no personal data.

Plain functions of the site and of addresses the caller builds (this module knows no request):
the staff console turns them into the print page and the PDF (`portal.staff.posters`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.identity import display_mobile
from portal.core.models import SamplingSite
from portal.core.pdf import data_uri
from portal.sampling.content import opening_hours
from portal.sampling.site_phones import SitePhone, area_code_for, site_phone_numbers


@dataclass(frozen=True)
class SiteContact:
    """Where a site is and how to call it, as a poster shows them.

    `address`: the street address, or None when staff have not entered one (the poster then
    shows the city and district); `phones`: the numbers to call, each with its area code and its
    `tel:` URI (`portal.sampling.site_phones.SitePhone`; may be empty).
    """

    address: str | None
    phones: list[SitePhone]


def site_contact(site: SamplingSite) -> SiteContact:
    """The address and phones a poster shows for `site`: its address field and its phones,
    normalised with their area code (`site_phone_numbers`). The one place posters read them."""
    return SiteContact(address=site.address or None, phones=site_phone_numbers(site))


@dataclass(frozen=True)
class SitePoster:
    """One site on a poster, in the current language.

    `place`: the city and district (shown when there is no address, and above it otherwise);
    `emergency_sms`: the local number of the 12110 text-message line (`emergency_sms_number`);
    `hours`: lines such as "Monday to Friday 9:00am–5:00pm" (portal.sampling.content.opening_hours,
    the site's local time); `booking_url`: the absolute address that starts a booking at the
    site.
    """

    site_id: int
    name: str
    place: str
    contact: SiteContact
    hours: list[str]
    booking_url: str
    emergency_sms: str | None = None

    @property
    def qr_code(self) -> str:
        """A `data:` URI of an SVG QR code of `booking_url` (made when asked: the deployment
        poster lists sites without one)."""
        return qr_code_data_uri(self.booking_url)


def qr_code_data_uri(text: str) -> str:
    """A QR code of `text` (error correction M, a quiet zone of 4 modules, as the QR standard
    asks) as a `data:image/svg+xml` URI: vector, so it prints sharp at any size, and fetched by
    nobody (the PDF worker reads only `data:` URLs)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4,
                         image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return data_uri(out.getvalue(), "image/svg+xml")


def _place(site: SamplingSite) -> str:
    if site.district and site.district not in site.city:
        return f"{site.city}{site.district}"
    return site.city


def emergency_sms_number(site: SamplingSite) -> str | None:
    """The police's text-message line for people who cannot speak, where `site` is: 12110
    followed by the last three digits of the city's area code (12110513 in Nantong, 0513;
    12110010 in Beijing, 010), as the police publish it; None when the site's area code is not
    known (the poster then gives the general rule)."""
    code = area_code_for(site.province, site.city, site.district)
    return f"12110{code[-3:]}" if code else None


def site_poster(site: SamplingSite, booking_url: str) -> SitePoster:
    """`site` as a poster shows it, in the current language (`booking_url`: see SitePoster)."""
    return SitePoster(site_id=site.id, name=site.name, place=_place(site), contact=site_contact(site),
                      hours=opening_hours(site), booking_url=booking_url, emergency_sms=emergency_sms_number(site))


def active_sites() -> list[SamplingSite]:
    """The sites taking bookings, as the deployment poster lists them: by province, city, name."""
    return list(db.session.scalars(select(SamplingSite).where(SamplingSite.active.is_(True))
                                   .order_by(SamplingSite.province, SamplingSite.city, SamplingSite.name)))


def hotline_for_poster(number: str) -> str | None:
    """The SMS hotline number as a poster prints it: a mobile grouped for reading
    (138 0013 8000), a short code or other number as configured; None when there is none."""
    return display_mobile(number) if number else None
