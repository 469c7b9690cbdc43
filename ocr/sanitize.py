"""The bytes we keep of an upload: the image alone, without metadata or anything appended.

Phones write the GPS position, the camera and often the owner's name into EXIF/XMP, and a
file can be two formats at once (a JPEG with a ZIP or an HTML page appended or hidden in a
comment: a polyglot). Each format is walked by its own container structure (JPEG
segments, PNG chunks, RIFF chunks), never decoded and re-encoded, so the pixels stay
exactly as sent and the same upload always gives the same bytes:

- kept: what decoding needs (tables, frames, scans, palette, transparency, colour
  profile and Adobe colour transform), and the EXIF orientation as a minimal EXIF block
  holding that one tag, so the photo stays upright;
- dropped: EXIF (GPS, device, owner), XMP, comments, text chunks, thumbnails and any
  bytes after the image's end marker;
- refused: markup, archives or documents hidden in metadata or appended after the end.
"""

import struct
import zlib

from PIL import Image

from ocr import errors

ORIENTATION_TAG = 0x0112
# Other formats' openings found inside an image's metadata or after its end.
_FOREIGN = (b"PK\x03\x04", b"PK\x05\x06", b"%PDF", b"<script", b"<html", b"<!doctype",
            b"<?php", b"<svg", b"<iframe", b"<body", b"MZ\x90\x00", b"\x7fELF", b"Rar!")

_TRAILER_HEAD = 1024
_ZIP_TAIL = 65_557  # a ZIP's end-of-directory record plus its longest comment

# JPEG markers kept besides frames, tables and scans: APP0 JFIF, APP2 ICC profile,
# APP14 Adobe (it says whether CMYK data is inverted).
_JPEG_KEEP_APP = {0xE0, 0xE2, 0xEE}
_JPEG_STANDALONE = {0xD8, 0xD9, 0x01} | set(range(0xD0, 0xD8))
# PNG chunks kept: critical ones and those that change how pixels look.
_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB",
             b"iCCP", b"sBIT"}
# Compressed pixels (an animated PNG's frames): dropped, not searched (a few bytes could
# match by chance).
_PNG_PIXEL_DATA = {b"IDAT", b"fdAT"}
_WEBP_DROP = {b"EXIF", b"XMP "}


def strip_metadata(data: bytes, fmt: str, orientation: int = 1) -> bytes:
    """The image of ``data`` (already sniffed as ``fmt``) with metadata and trailers gone.

    Raises ``ImageRejected`` (image_polyglot) when another format hides in it, and
    (image_corrupt) when its structure is broken.
    """
    try:
        if fmt == "JPEG":
            return _strip_jpeg(data, orientation)
        if fmt == "PNG":
            return _strip_png(data, orientation)
        return _strip_webp(data, orientation)
    except (struct.error, IndexError, ValueError):
        raise errors.image_corrupt() from None


def orientation_of(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block only loses the orientation
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def refuse_foreign(blob: bytes) -> None:
    """Metadata (small) is searched whole."""
    lowered = blob.lower()
    if any(signature.lower() in lowered for signature in _FOREIGN):
        raise errors.image_polyglot()


def refuse_appended(trailer: bytes) -> None:
    """Bytes after the end (a motion photo's video is harmless and simply dropped) are
    searched where a reader of another format looks: at their start, and for a ZIP's
    end-of-directory record near the end of the file. Searching megabytes of video whole
    would find these few bytes by chance."""
    refuse_foreign(trailer[:_TRAILER_HEAD])
    if b"PK\x05\x06" in trailer[-_ZIP_TAIL:]:
        raise errors.image_polyglot()


def _minimal_exif(orientation: int) -> bytes:
    """``Exif\\0\\0`` + a TIFF block holding only the orientation tag."""
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    return exif.tobytes()


def _strip_jpeg(data: bytes, orientation: int) -> bytes:
    out = [b"\xff\xd8"]
    if orientation != 1:
        exif = _minimal_exif(orientation)
        out.append(b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif)
    pos = 2
    while True:
        pos = _next_marker(data, pos)
        marker = data[pos + 1]
        if marker == 0xD9:  # EOI: the image ends here
            out.append(b"\xff\xd9")
            refuse_appended(data[pos + 2:])
            return b"".join(out)
        if marker in _JPEG_STANDALONE:
            out.append(data[pos:pos + 2])
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise ValueError("segment runs past the end")
        segment = data[pos:end]
        is_app, is_comment = 0xE0 <= marker <= 0xEF, marker == 0xFE
        if is_app or is_comment:
            refuse_foreign(segment)
        if not (is_comment or (is_app and marker not in _JPEG_KEEP_APP)):
            out.append(segment)
        pos = end
        if marker == 0xDA:  # SOS: entropy-coded data up to the next real marker
            scan_end = _scan_end(data, pos)
            out.append(data[pos:scan_end])
            pos = scan_end


def _next_marker(data: bytes, pos: int) -> int:
    if data[pos] != 0xFF:
        raise ValueError("no marker where one belongs")
    while data[pos + 1] == 0xFF:  # fill bytes
        pos += 1
    return pos


def _scan_end(data: bytes, pos: int) -> int:
    """Skip entropy-coded bytes: FF00 is a stuffed FF and FFD0-FFD7 are restart markers."""
    while True:
        pos = data.index(b"\xff", pos)
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _strip_png(data: bytes, orientation: int) -> bytes:
    out, pos = [data[:8]], 8
    while True:
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise ValueError("chunk runs past the end")
        if kind in _PNG_KEEP:
            if kind == b"IEND" and orientation != 1:
                out.append(_png_chunk(b"eXIf", _minimal_exif(orientation)[6:]))
            out.append(data[pos:end])
        elif kind not in _PNG_PIXEL_DATA:
            refuse_foreign(data[pos + 8:end - 4])
        pos = end
        if kind == b"IEND":
            refuse_appended(data[pos:])
            return b"".join(out)


def _strip_webp(data: bytes, orientation: int) -> bytes:
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = min(8 + riff_size, len(data))
    refuse_appended(data[end:])
    chunks, pos = [], 12
    while pos + 8 <= end:
        kind = data[pos:pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4:pos + 8])
        stop = pos + 8 + length + (length & 1)
        if kind in _WEBP_DROP:
            refuse_foreign(data[pos + 8:stop])
        else:
            chunks.append(bytearray(data[pos:stop]))
        pos = stop
    if orientation != 1 and chunks and chunks[0][:4] == b"VP8X":
        body = _minimal_exif(orientation)[6:]
        chunks.append(bytearray(b"EXIF" + struct.pack("<I", len(body)) + body
                                + b"\0" * (len(body) & 1)))
    else:
        orientation = 1
    if chunks and chunks[0][:4] == b"VP8X":
        flags = chunks[0][8] & ~0x0C  # EXIF and XMP flags off
        chunks[0][8] = flags | (0x08 if orientation != 1 else 0)
    body = b"WEBP" + b"".join(bytes(chunk) for chunk in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
