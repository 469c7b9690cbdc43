import hashlib
from types import SimpleNamespace

from ocr.settings import OcrSettings
from ocr.types import Row
from training_data.ocr_cache import CachedReader, settings_key


class CountingReader:
    """Stands in for receipts.reading.Reader: OCR is counted, interpretation echoes rows."""

    def __init__(self):
        self.ocr_calls = 0

    def read(self, data, *, today=None):
        self.ocr_calls += 1
        rows = [Row(text=data.decode(), score=0.9), Row(text="合计 12.00", score=0.75)]
        return SimpleNamespace(rows=rows, source="ocr")

    def interpret(self, rows, *, today=None):
        return SimpleNamespace(rows=rows, source="cache")


def test_second_read_of_an_image_skips_ocr_and_keeps_the_rows(tmp_path):
    inner = CountingReader()
    cached = CachedReader(inner, tmp_path, OcrSettings())
    first = cached.read("星巴克".encode())
    again = cached.read("星巴克".encode())
    assert inner.ocr_calls == 1
    assert (first.source, again.source) == ("ocr", "cache")
    assert again.rows == first.rows


def test_other_images_and_other_ocr_settings_are_read_again(tmp_path):
    inner = CountingReader()
    CachedReader(inner, tmp_path, OcrSettings()).read(b"a")
    CachedReader(inner, tmp_path, OcrSettings()).read(b"b")
    CachedReader(inner, tmp_path, OcrSettings(det_side_len=1280)).read(b"a")
    assert inner.ocr_calls == 3


def test_upload_limits_and_threads_do_not_change_the_key():
    assert settings_key(OcrSettings()) == settings_key(OcrSettings(max_upload_bytes=10))
    assert settings_key(OcrSettings()) == settings_key(OcrSettings(threads=1))
    assert settings_key(OcrSettings()) != settings_key(OcrSettings(rec_model="small"))
    assert settings_key(OcrSettings()) != settings_key(OcrSettings(equalize_contrast=False))


def test_fp32_keys_ignore_where_int8_models_would_be(tmp_path):
    fp32 = OcrSettings(precision="fp32")
    assert settings_key(fp32) == settings_key(OcrSettings(int8_model_dir=tmp_path))
    fields = fp32.model_dump_json(exclude={"threads", "max_upload_bytes", "max_pixels",
                                           "precision", "int8_model_dir"})
    assert settings_key(fp32) == hashlib.sha256(fields.encode()).hexdigest()[:12]


def test_each_precision_and_each_int8_build_has_its_own_key(tmp_path):
    from ocr.backends.models import DET, int8_file

    def key(precision: str) -> str:
        return settings_key(OcrSettings(precision=precision, int8_model_dir=tmp_path))

    (tmp_path / int8_file(DET)).write_text("<net/>")
    first_build = {precision: key(precision) for precision in ("fp32", "int8_det", "int8")}
    assert len(set(first_build.values())) == 3
    (tmp_path / int8_file(DET)).write_text("<net version='rebuilt'/>")
    assert key("int8_det") != first_build["int8_det"]
    assert key("fp32") == first_build["fp32"]
