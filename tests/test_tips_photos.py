"""Photos sent with a tip: decoded to check, re-encoded without metadata (GPS kept only by choice),
refused with a clear error when they are not photos, stored outside the web root, shown only to staff."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from PIL.ExifTags import IFD, Base
from sqlalchemy import select

from portal.config import ROOT
from portal.extensions import db
from portal.models import Tip, TipPhoto
from portal.tips.photos import PhotoRefused, clean_photo
from tests.helpers import get_page, text_of
from tests.tips_helpers import EN, ZH, answer_page, errors_on, fill_journey, jpeg_bytes, visitor_client

GPS = {1: "N", 2: (32.0, 5.0, 10.5), 3: "E", 4: (121.0, 10.0, 2.0)}


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = "Canon"
    exif[Base.Model] = "Canon EOS 5D Mark IV"
    exif[Base.BodySerialNumber] = "SN-0042-TIPSTER"
    exif[Base.Software] = "Firmware 1.2"
    exif[IFD.GPSInfo] = GPS
    return exif


@pytest.fixture
def photo_dir(tmp_path) -> Path:
    return tmp_path / "tip-photos"


@pytest.fixture
def client(app, app_factory, photo_dir):
    return visitor_client(app_factory, tip_photo_dir=str(photo_dir))


def upload(client, files, keep_location=False, headers=EN, action="upload"):
    data = {"action": action, "photos": [(io.BytesIO(content), name) for name, content in files]}
    if keep_location:
        data["keep_location"] = "y"
    return answer_page(client, "/tips/report/photos", data, headers, files=True)


def stored_images(photo_dir: Path) -> list[Image.Image]:
    return [Image.open(path) for path in sorted(photo_dir.glob("*.jpg"))]


def test_a_jpeg_with_gps_and_camera_exif_is_stored_without_any_of_it(client, photo_dir):
    original = jpeg_bytes(exif=camera_exif())
    assert b"Canon" in original and b"SN-0042" in original
    fill_journey(client, EN)
    assert upload(client, [("IMG_20261128_1530.jpg", original)]).status_code == 303
    files = list(photo_dir.glob("*.jpg"))
    assert len(files) == 1
    raw = files[0].read_bytes()
    assert b"Canon" not in raw and b"SN-0042" not in raw and b"Firmware" not in raw and b"Exif" not in raw
    image = Image.open(files[0])
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(IFD.GPSInfo) == {}
    assert "IMG_20261128" not in files[0].name
    row = db.session.scalar(select(TipPhoto))
    assert row.kept_location is False and row.draft_id is not None and row.tip_id is None


def test_keeping_the_location_keeps_only_the_gps_block(client, photo_dir):
    fill_journey(client, EN)
    upload(client, [("a.jpg", jpeg_bytes(exif=camera_exif()))], keep_location=True)
    (image,) = stored_images(photo_dir)
    exif = image.getexif()
    assert set(exif) == {IFD.GPSInfo}
    assert exif.get_ifd(IFD.GPSInfo) == GPS
    raw = next(photo_dir.glob("*.jpg")).read_bytes()
    assert b"Canon" not in raw and b"SN-0042" not in raw
    assert db.session.scalar(select(TipPhoto)).kept_location is True


@pytest.mark.parametrize(("headers", "message"), [
    (EN, "holiday.jpg is not a photo. Choose a JPG, PNG, WEBP or GIF photo"),
    (ZH, "holiday.jpg不是照片。请选择JPG、PNG、WEBP或GIF格式的照片"),
])
def test_a_jpg_that_is_not_an_image_is_refused_clearly_and_every_answer_is_kept(client, photo_dir, headers, message):
    fill_journey(client, headers, description="Everything I typed before the photo")
    response = upload(client, [("holiday.jpg", b"%PDF-1.4 not really a picture")], headers=headers)
    assert response.status_code == 200
    assert errors_on(response) == [message]
    assert f'<a href="#photos">{message}</a>' in response.get_data(as_text=True)
    assert not list(photo_dir.glob("*"))
    check, _ = get_page(client, "/tips/report/check", headers=headers)
    assert "Everything I typed before the photo" in text_of(check)


def test_photos_travel_with_the_tip_and_at_most_five_are_kept(client, photo_dir):
    fill_journey(client, EN)
    upload(client, [(f"p{n}.png", _png()) for n in range(4)])
    response = upload(client, [("p5.jpg", jpeg_bytes()), ("p6.jpg", jpeg_bytes())])
    assert "You can add up to 5 photos" in text_of(response)
    assert len(list(photo_dir.glob("*.jpg"))) == 5
    page, _ = get_page(client, "/tips/report/photos", headers=EN)
    assert 'name="photos"' not in page.get_data(as_text=True)  # no room left
    answer_page(client, "/tips/report/check", {}, EN)
    tip = db.session.scalar(select(Tip))
    photos = db.session.scalars(select(TipPhoto)).all()
    assert len(photos) == 5 and all(p.tip_id == tip.id and p.draft_id is None for p in photos)


def test_a_photo_can_be_removed_before_sending(client, photo_dir):
    fill_journey(client, EN)
    upload(client, [("a.jpg", jpeg_bytes())])
    photo = db.session.scalar(select(TipPhoto))
    page, _ = get_page(client, "/tips/report/photos", headers=EN)
    assert f'name="remove" value="{photo.id}"' in page.get_data(as_text=True)
    answer_page(client, "/tips/report/photos", {"remove": str(photo.id)}, EN, files=True)
    db.session.expire_all()
    assert db.session.scalar(select(TipPhoto)) is None and not list(photo_dir.glob("*.jpg"))


def test_photos_are_stored_in_the_configured_folder_outside_the_web_root(app, app_factory, client, photo_dir):
    fill_journey(client, EN)
    upload(client, [("a.jpg", jpeg_bytes())])
    (stored,) = photo_dir.glob("*.jpg")
    assert (stored.stat().st_mode & 0o777) == 0o600
    assert not str(stored.resolve()).startswith(str((ROOT / "static").resolve()))
    assert client.get(f"/static/{stored.name}").status_code == 404
    assert visitor_client(app_factory).get("/staff/items/TY-2222-2222/photo?n=" + stored.name).status_code == 302


def test_the_default_photo_folder_is_under_instance_not_static():
    from portal.config import INSTANCE_DIR, Settings

    folder = Path(Settings().tip_photo_dir)
    assert folder.parent == INSTANCE_DIR and "static" not in folder.parts
    assert Settings.from_env({"TIP_PHOTO_DIR": "/srv/tip-photos"}).tip_photo_dir == "/srv/tip-photos"


def test_an_oversized_file_and_a_decompression_bomb_are_refused():
    with pytest.raises(PhotoRefused) as too_big:
        clean_photo(jpeg_bytes(), keep_location=False, max_bytes=100)
    assert too_big.value.reason == "too_large"
    bomb = io.BytesIO()
    Image.new("1", (10000, 10000)).save(bomb, "PNG")  # 100 megapixels, a few kilobytes
    with pytest.raises(PhotoRefused) as exploded:
        clean_photo(bomb.getvalue(), keep_location=False, max_bytes=10_000_000)
    assert exploded.value.reason == "too_large"


def test_a_rotated_phone_photo_is_stored_upright():
    exif = Image.Exif()
    exif[Base.Orientation] = 6  # the camera was turned: display rotated by 90 degrees
    cleaned = clean_photo(jpeg_bytes(size=(64, 48), exif=exif), keep_location=False, max_bytes=10_000_000)
    assert (cleaned.width, cleaned.height) == (48, 64)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(buffer, "PNG")
    return buffer.getvalue()
