"""OCR rows of labelled images kept on disk, so that a parser or confidence change is
evaluated in seconds rather than by running OCR again (about 1.5 s a receipt).

Entries are keyed by the image's sha256 under a folder named after the OCR settings that
shape the rows (backend, models, detector size, preprocessing switches, …) and, at int8
precision, the int8 model files' content (a rebuild is a new folder). Code is not part of
the key: clear the folder after changing preprocessing or parsing of OCR output.
"""

import hashlib
import json
from datetime import date
from pathlib import Path

from ocr.backends.models import int8_fingerprint
from ocr.settings import OcrSettings, get_ocr_settings
from ocr.types import Row
from receipts.reading import Interpretation, Reader

# Settings that change the speed or which uploads are refused, not the rows read; every other
# setting (and any added later) is part of the key.
NOT_SHAPING_FIELDS = {"threads", "max_upload_bytes", "max_pixels"}
# The int8 models are keyed by their content; at fp32 neither field says anything, and
# leaving them out keeps the keys of caches made before int8 existed.
INT8_FIELDS = {"precision", "int8_model_dir"}


def settings_key(settings: OcrSettings) -> str:
    unkeyed = NOT_SHAPING_FIELDS | (INT8_FIELDS if settings.precision == "fp32"
                                    else {"int8_model_dir"})
    shaping = settings.model_dump_json(exclude=unkeyed) + int8_fingerprint(settings)
    return hashlib.sha256(shaping.encode()).hexdigest()[:12]


class CachedReader:
    """A Reader that reads each image's OCR rows from the cache when it has them."""

    def __init__(self, reader: Reader, folder: Path, settings: OcrSettings | None = None):
        self.reader = reader
        self.folder = folder / settings_key(settings or get_ocr_settings())
        self.folder.mkdir(parents=True, exist_ok=True)

    def read(self, data: bytes, *, today: date | None = None) -> Interpretation:
        entry = self.folder / f"{hashlib.sha256(data).hexdigest()}.json"
        if entry.is_file():
            rows = [Row(**row) for row in json.loads(entry.read_text(encoding="utf-8"))]
            return self.reader.interpret(rows, today=today)
        reading = self.reader.read(data, today=today)
        rows = [{"text": row.text, "score": row.score} for row in reading.rows]
        entry.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        return reading
