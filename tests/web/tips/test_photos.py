"""Photos sent with a tip: decoded to check, re-encoded without metadata (GPS kept only by choice),
refused with a clear error when they are not photos, stored outside the web root, shown only to staff."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageFile
from PIL.ExifTags import IFD, Base
from sqlalchemy import select

from portal.core.config import ROOT
from portal.core.extensions import db
from portal.core.models import Tip, TipPhoto
from portal.core import photos as photos_module
from portal.core.photos import MAX_PIXELS, MAX_SIDE, CleanPhoto, PhotoRefused, clean_photo
from tests.support.helpers import get_page, text_of
from tests.support.tips import EN, ZH, answer_page, errors_on, fill_journey, jpeg_bytes, visitor_client

DATA = Path(__file__).parent.parent.parent / "data"
# A 64x48 JPEG whose EXIF (orientation 6, a GPS block) is slightly damaged: Pillow reads it, but
# writing it back raised TypeError inside ImageOps.exif_transpose (found by fuzzing).
DAMAGED_EXIF = (DATA / "damaged-exif.jpg").read_bytes()
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


SECRET = "Taken by Wang Wei at 12 Heping Road"


def _icc_profile() -> bytes:
    from PIL import ImageCms

    profile = ImageCms.createProfile("sRGB")
    return ImageCms.ImageCmsProfile(profile).tobytes()


def _jpeg_with_comment() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(
        out, "JPEG", comment=SECRET.encode(), icc_profile=_icc_profile(),
        xmp=f"<x:xmpmeta xmlns:x='adobe:ns:meta/'>{SECRET}</x:xmpmeta>".encode(), exif=camera_exif())
    return out.getvalue()


def _gif_with_comment() -> bytes:
    out = io.BytesIO()
    Image.new("P", (40, 30)).save(out, "GIF", comment=SECRET.encode())
    return out.getvalue()


def _png_with_comment() -> bytes:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("comment", SECRET)
    text.add_text("Description", SECRET)
    text.add_itxt("Comment", SECRET)
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "PNG", pnginfo=text, icc_profile=_icc_profile())
    return out.getvalue()


@pytest.mark.parametrize("keep_location", [False, True])
@pytest.mark.parametrize(("name", "make"), [
    ("comment.jpg", _jpeg_with_comment), ("comment.gif", _gif_with_comment), ("comment.png", _png_with_comment),
])
def test_a_jpeg_gif_or_png_with_a_comment_xmp_or_icc_profile_is_stored_with_none_of_them(
        client, photo_dir, name, make, keep_location):
    original = make()
    assert SECRET.encode() in original
    fill_journey(client, EN)
    assert upload(client, [(name, original)], keep_location=keep_location).status_code == 303
    (stored,) = photo_dir.glob("*.jpg")
    raw = stored.read_bytes()
    assert SECRET.encode() not in raw and b"Heping" not in raw and b"xmpmeta" not in raw
    assert b"\xff\xfe" not in raw.split(b"\xff\xda", 1)[0]  # no COM segment before the image data
    left = set(Image.open(stored).info) - {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    assert left == ({"exif"} if keep_location and name.endswith(".jpg") else set())  # exif: the GPS block alone


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


@pytest.mark.parametrize(("headers", "message"), [
    (EN, "We could not find that photo. It may have been removed already."),
    (ZH, "找不到这张照片，它可能已经删除了。"),
])
@pytest.mark.parametrize("value", ["²", "99999999999999999999"])
def test_removing_a_photo_by_a_number_the_server_cannot_use_is_explained_and_keeps_the_photos(
        client, photo_dir, value, headers, message):
    fill_journey(client, headers)
    upload(client, [("a.jpg", jpeg_bytes())], headers=headers)
    response = answer_page(client, "/tips/report/photos", {"remove": value}, headers, files=True)
    assert response.status_code == 200
    assert message in text_of(response)
    assert len(db.session.scalars(select(TipPhoto)).all()) == 1 and len(list(photo_dir.glob("*.jpg"))) == 1


def test_photos_are_stored_in_the_configured_folder_outside_the_web_root(app, app_factory, client, photo_dir):
    fill_journey(client, EN)
    upload(client, [("a.jpg", jpeg_bytes())])
    (stored,) = photo_dir.glob("*.jpg")
    assert (stored.stat().st_mode & 0o777) == 0o600
    assert not str(stored.resolve()).startswith(str((ROOT / "static").resolve()))
    assert client.get(f"/static/{stored.name}").status_code == 404
    assert visitor_client(app_factory).get("/staff/items/TY-2222-2222/photo?n=" + stored.name).status_code == 302


def test_the_default_photo_folder_is_under_instance_not_static():
    from portal.core.config import INSTANCE_DIR, Settings

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
    assert exploded.value.reason == "too_many_pixels" and exploded.value.size == (10000, 10000)


def test_a_rotated_phone_photo_is_stored_upright():
    exif = Image.Exif()
    exif[Base.Orientation] = 6  # the camera was turned: display rotated by 90 degrees
    cleaned = clean_photo(jpeg_bytes(size=(64, 48), exif=exif), keep_location=False, max_bytes=10_000_000)
    assert (cleaned.width, cleaned.height) == (48, 64)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def _black_png(size: tuple[int, int], mode: str = "1") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, "PNG")
    return buffer.getvalue()


def stored_names(photo_dir: Path) -> set[str]:
    return {path.name for path in photo_dir.glob("*")} if photo_dir.exists() else set()


def row_names() -> set[str]:
    db.session.expire_all()
    return {photo.stored_name for photo in db.session.scalars(select(TipPhoto))}


@pytest.mark.parametrize("keep_location", [False, True])
def test_a_jpeg_with_damaged_exif_is_kept_upright_without_its_metadata(keep_location):
    cleaned = clean_photo(DAMAGED_EXIF, keep_location=keep_location, max_bytes=10_000_000)
    assert (cleaned.width, cleaned.height) == (48, 64)  # orientation 6 still turned it upright
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.format == "JPEG" and dict(image.getexif()) == {}
    assert cleaned.kept_location is False  # the damaged GPS block is lost, not the photo


def test_a_photo_with_damaged_exif_sent_with_a_good_one_keeps_both_with_their_rows(client, photo_dir):
    fill_journey(client, EN)
    response = upload(client, [("damaged.jpg", DAMAGED_EXIF), ("good.jpg", jpeg_bytes())], keep_location=True)
    assert response.status_code == 303
    assert len(stored_names(photo_dir)) == 2 and stored_names(photo_dir) == row_names()


def test_a_refused_file_beside_good_ones_leaves_every_file_with_its_row(client, photo_dir):
    fill_journey(client, EN)
    response = upload(client, [("good.jpg", jpeg_bytes()), ("notes.jpg", b"%PDF-1.4"), ("also.png", _png())])
    assert response.status_code == 200
    assert errors_on(response) == ["notes.jpg is not a photo. Choose a JPG, PNG, WEBP or GIF photo"]
    assert len(stored_names(photo_dir)) == 2 and stored_names(photo_dir) == row_names()


def test_whatever_pillow_raises_while_decoding_refuses_the_file_as_not_a_photo(monkeypatch):
    def broken_load(self):
        raise TypeError("bad operand type for abs(): 'str'")

    png = _png()
    monkeypatch.setattr(ImageFile.ImageFile, "load", broken_load)  # decoding a file, not our own pixels
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(png, keep_location=False, max_bytes=10_000_000)
    assert refused.value.reason == "not_image"


def test_a_failure_to_write_the_second_photo_deletes_the_first_and_is_not_called_a_refusal(client, photo_dir, monkeypatch):
    fill_journey(client, EN)
    real_store = photos_module.store_photo
    written: list[str] = []

    def store_then_fail(photo, folder):
        if written:
            raise OSError("disk full")
        written.append(real_store(photo, folder))
        return written[-1]

    monkeypatch.setattr("portal.tips.uploads.store_photo", store_then_fail)
    with pytest.raises(OSError, match="disk full"):
        upload(client, [("a.jpg", jpeg_bytes()), ("b.jpg", jpeg_bytes())])
    assert written and stored_names(photo_dir) == set() and row_names() == set()


def test_two_hundred_damaged_copies_of_a_photo_with_exif_are_each_cleaned_or_refused():
    import random

    original = jpeg_bytes(exif=camera_exif())
    flips = random.Random(20261129)
    outcomes = {"cleaned": 0, "refused": 0}
    for _ in range(200):
        damaged = bytearray(original)
        for _flip in range(flips.randint(1, 8)):
            damaged[flips.randrange(len(damaged))] = flips.randrange(256)
        for keep_location in (False, True):
            try:
                result = clean_photo(bytes(damaged), keep_location=keep_location, max_bytes=10_000_000)
            except PhotoRefused:
                outcomes["refused"] += 1
            else:
                assert isinstance(result, CleanPhoto) and result.data[:2] == b"\xff\xd8"
                outcomes["cleaned"] += 1
    assert outcomes["cleaned"] and outcomes["refused"]  # the loop met both kinds of damage


@pytest.mark.parametrize(("headers", "message"), [
    (EN, "bomb.png has too many pixels (6000 × 6000). Choose a photo of at most 25 megapixels, or take a screenshot of it"),
    (ZH, "bomb.png的像素太多（6000 × 6000）。请选择不超过2500万像素的照片，或者截图后再添加"),
])
def test_an_image_with_too_many_pixels_is_refused_by_its_dimensions_not_its_file_size(client, photo_dir, headers, message):
    bomb = _black_png((6000, 6000))  # 36 megapixels in a few kilobytes
    assert len(bomb) < 100_000
    fill_journey(client, headers)
    response = upload(client, [("bomb.png", bomb)], headers=headers)
    assert response.status_code == 200
    assert errors_on(response) == [message]
    assert stored_names(photo_dir) == set()


def test_the_pixel_limit_is_read_from_the_header_before_decoding(monkeypatch):
    bomb = _black_png((6000, 6000))
    decoded: list[tuple[int, int]] = []
    real_load = Image.Image.load

    def watched_load(self):
        decoded.append(self.size)
        return real_load(self)

    monkeypatch.setattr(Image.Image, "load", watched_load)
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(bomb, keep_location=False, max_bytes=10_000_000)
    assert refused.value.reason == "too_many_pixels" and 6000 * 6000 > MAX_PIXELS
    assert (6000, 6000) not in decoded


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_stored_at_most_2560_pixels_wide():
    buffer = io.BytesIO()
    Image.new("RGB", (5712, 4284), (20, 90, 160)).save(buffer, "JPEG")  # a 24 MP phone photo
    cleaned = clean_photo(buffer.getvalue(), keep_location=False, max_bytes=10_000_000)
    assert (cleaned.width, cleaned.height) == (MAX_SIDE, 1920)
    assert cleaned.decoded_pixels == 2856 * 2142  # half scale: a quarter of the pixels


def test_photos_beyond_the_pixel_budget_of_one_request_are_refused_until_sent_on_their_own():
    png = _black_png((3000, 3000), "RGB")
    first = clean_photo(png, keep_location=False, max_bytes=10_000_000, pixel_budget=10_000_000)
    assert first.decoded_pixels == 9_000_000
    with pytest.raises(PhotoRefused) as refused:
        clean_photo(png, keep_location=False, max_bytes=10_000_000, pixel_budget=10_000_000 - first.decoded_pixels)
    assert refused.value.reason == "over_budget"


def test_a_photo_beyond_what_one_request_may_decode_is_refused_and_the_others_kept(client, photo_dir, monkeypatch):
    monkeypatch.setattr("portal.tips.uploads.MAX_REQUEST_PIXELS", 25_000)
    fill_journey(client, EN)
    square = _black_png((100, 100), "RGB")  # 10,000 pixels each
    response = upload(client, [("a.png", square), ("b.png", square), ("c.png", square)])
    assert errors_on(response) == ["c.png was not added: these photos are too big to add at once. Add it again on its own"]
    assert len(stored_names(photo_dir)) == 2 and stored_names(photo_dir) == row_names()
