"""Hostile uploads through the shopper API: each gets the right 4xx (or, for odd but real
photos, a decision), never a 500, and nothing is stored for a refused one."""

import io
import struct
import time
import zipfile
import zlib

import cv2
import numpy as np
import pytest
from fakes import reading
from PIL import Image
from sqlalchemy import func, select

from api.auth import issue_member_token
from core.db import session_scope
from receipts.models import Receipt


def _jpeg(size=(240, 360), mode="RGB", **save) -> bytes:
    image = Image.new("RGB", size, "white")
    image.paste((30, 30, 30), (20, 20, size[0] - 20, 60))
    buffer = io.BytesIO()
    image.convert(mode).save(buffer, "JPEG", quality=90, **save)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(side: int = 9000) -> bytes:
    """A 1-bit PNG of side×side black pixels: a few kB that decode to 81 million pixels."""
    rows = (b"\0" + b"\0" * ((side + 7) // 8)) * side
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows, 9)) + _png_chunk(b"IEND", b""))


def _png(array: np.ndarray) -> bytes:
    return cv2.imencode(".png", array)[1].tobytes()


def _sensor_noise_16bit(shape: tuple[int, ...]) -> np.ndarray:
    """A 16-bit photo's pixels: a camera's noise (a flat drawn PNG is a screenshot, which
    the fraud signals send to review)."""
    return np.random.default_rng(16).integers(40000, 60000, shape, dtype=np.uint16)


def _zip_appended_to(jpeg: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return jpeg + buffer.getvalue()


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script></svg>')
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"

REFUSED = {
    "truncated_jpeg": (lambda: _jpeg()[:900], "image/jpeg", 400, "image_corrupt"),
    "png_decompression_bomb": (_png_bomb, "image/png", 413, "image_too_many_pixels"),
    "svg": (lambda: SVG, "image/svg+xml", 415, "image_unsupported_type"),
    "html": (lambda: HTML, "text/html", 415, "image_unsupported_type"),
    "html_sent_as_jpeg": (lambda: HTML, "image/jpeg", 415, "image_unsupported_type"),
    "jpeg_zip_polyglot": (lambda: _zip_appended_to(_jpeg()), "image/jpeg", 415,
                          "image_polyglot"),
    "empty": (lambda: b"", "image/jpeg", 400, "image_empty"),
    "one_by_100000": (lambda: _png(np.full((100000, 1), 255, np.uint8)), "image/png", 400,
                      "image_bad_shape"),
}


@pytest.fixture
def upload(client, member):
    auth = {"Authorization": f"Bearer {issue_member_token(member)}"}

    def send(data: bytes, content_type: str):
        return client.post("/api/v1/receipts", headers=auth,
                           files={"image": ("receipt", data, content_type)})

    send.auth = auth
    return send


def _nothing_stored(tmp_path) -> None:
    with session_scope() as db_session:
        assert db_session.scalar(select(func.count()).select_from(Receipt)) == 0
    images = tmp_path / "data" / "images"
    assert not images.exists() or not any(p.is_file() for p in images.rglob("*"))


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_upload_is_refused_and_nothing_is_stored(upload, case, tmp_path):
    make, content_type, status, code = REFUSED[case]
    response = upload(make(), content_type)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    _nothing_stored(tmp_path)


def test_fifty_megabytes_are_refused_before_the_body_is_read(upload, tmp_path):
    response = upload(b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024), "image/jpeg")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    _nothing_stored(tmp_path)


def _decided(client, auth: dict, receipt_id: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/receipts/{receipt_id}", headers=auth).json()
        if body["status"] not in ("received", "processing"):
            return body
        time.sleep(0.05)
    raise AssertionError("not decided in time")


READ = {
    "cmyk_jpeg": (lambda: _jpeg(mode="CMYK"), "image/jpeg"),
    "sixteen_bit_png": (lambda: _png(_sensor_noise_16bit((300, 200, 3))), "image/png"),
    "sixteen_bit_grey_png": (lambda: _png(_sensor_noise_16bit((300, 200))), "image/png"),
    "jpeg_sent_as_text": (_jpeg, "text/plain"),
}


@pytest.mark.parametrize("case", sorted(READ))
def test_odd_but_real_photos_are_read_to_a_decision(client, upload, reads, case):
    reads(reading())
    make, content_type = READ[case]
    response = upload(make(), content_type)
    assert response.status_code == 202, response.text
    assert _decided(client, upload.auth, response.json()["id"])["status"] == "approved"
