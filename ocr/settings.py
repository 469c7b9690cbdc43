"""Settings of the OCR stage, read from the environment (prefix RP_OCR_) or a .env file."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


class OcrSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RP_OCR_", env_file=".env", extra="ignore")

    backend: Literal["rapidocr", "paddleocr"] = "rapidocr"
    # Inference runtime of the rapidocr backend. "auto": OpenVINO where it is installed and
    # loads, else onnxruntime (the reason logged); "openvino" fails start-up when it cannot
    # load. Measured with `make bench`: see ocr/backends/runtimes.py.
    runtime: Literal["auto", "openvino", "onnxruntime"] = "auto"
    # "int8": the detector and recognisers quantized by `make int8`, "int8_det": the detector
    # alone (OpenVINO IR in int8_model_dir, read on OpenVINO only; start-up fails when they
    # are missing, nothing falls back). Measured: see README, OCR.
    precision: Literal["fp32", "int8_det", "int8"] = "fp32"
    int8_model_dir: Path = Path("var/models/int8")
    max_upload_bytes: int = Field(15 * MB, gt=0)
    # Checked from the image header before decoding: guards against decompression bombs.
    max_pixels: int = Field(40_000_000, gt=0)
    # A photo of a receipt, however long, is not a line: 1×100000 pixels is refused from
    # the header. A 2 m supermarket receipt shot in one frame is about 1:12.
    max_aspect_ratio: float = Field(25.0, ge=1.0)
    min_side: int = Field(8, ge=1)
    # The detector sees the image with its long side scaled to this; it sets OCR speed.
    # Measured on OpenVINO, first 80 SROIE train receipts: 1280 read all three key fields right
    # on 75 where 960 reads 76, auto-approving 80.0 % against 82.5 %, with 1.8x the pixels.
    det_side_len: int = Field(960, ge=320)
    # Long side of the prepared image (after crop and deskew) the recogniser cuts lines from.
    # Measured: 2000 read all 52 lines of a long receipt where 1600 missed two, for about 10%
    # more time; it is also RapidOCR's own input cap, so nothing is resized twice.
    max_side: int = Field(2000, ge=640)
    # Equalise the contrast of the prepared image (CLAHE, 13-30 ms at 2000 px). Measured with
    # `python -m bench.preprocess_ablation` (20 receipts a set, all key fields right): faded
    # print 8 -> 13, a phone's shadow 16 -> 17, normal 18 -> 18, blurred 10 -> 10. Dropped
    # after the same measurement: dividing by the paper's light (blurred 10 -> 5) and unsharp
    # masking (blurred 10 -> 9).
    equalize_contrast: bool = True
    # Threads per OCR call (OpenVINO's inference threads, onnxruntime's intra-op threads,
    # Paddle's cpu_threads): N workers on N cores must not fight.
    threads: int = Field(2, ge=1)
    # RapidOCR recogniser: PP-OCRv6 "small" (accurate, ~40 ms a line on one core), "tiny"
    # (~7 ms a line, more misreads) or "cascade": tiny for every line, small again for the
    # lines tiny scores below ``refine_below``. Measured on OpenVINO: small reads all three key
    # fields right on 538 of 572 SROIE train receipts (label fixes) where the cascade reads 533,
    # auto-approving 80.3 % against 78.2 % (both 99.8 % precise), for 1.3-1.4x the time of a
    # receipt; generated seed 202: both 149 of 150. The cascade stays the fast default.
    rec_model: Literal["small", "tiny", "cascade"] = "cascade"
    # Measured on 30 receipts: 0.95 re-reads 20-27% of the lines; the 3% of lines tiny
    # scores higher and small reads otherwise differ mostly in punctuation and O/0. Fields
    # right on 80 SROIE receipts: the same at 0.95 and 0.97.
    refine_below: float = Field(0.95, ge=0.0, le=1.0)
    # Lines the recogniser scores lower than this are dropped.
    min_text_score: float = Field(0.5, ge=0.0, le=1.0)
    # The paddleocr backend's models: det/, rec/ and SHA256SUMS, laid out once by
    # ``python -m ocr.paddle_models``.
    paddle_model_dir: Path | None = None


@lru_cache
def get_ocr_settings() -> OcrSettings:
    return OcrSettings()
