"""Inference runtimes the RapidOCR backend runs its models on: OpenVINO or onnxruntime.

Both read the same ONNX files from the wheels; nothing is converted on disk or downloaded.
OpenVINO's CPU plugin computes in bfloat16 where the CPU does so natively (AVX-512 BF16 or
AMX), which is where its speed comes from: on this machine's AVX-512 BF16 EPYC, PP-OCRv6 small
det + rec read a generated photo in about 0.55 of onnxruntime's time, and in about the same
time as onnxruntime when OpenVINO was held to float32. ``make bench`` compares them.
"""

import importlib
from typing import Literal

from rapidocr import EngineType

from ocr.errors import OcrBackendUnavailable

Runtime = Literal["openvino", "onnxruntime"]

# RapidOCR's engine for each runtime, and the config key of its thread count.
ENGINES: dict[str, tuple[EngineType, str]] = {
    "openvino": (EngineType.OPENVINO, "EngineConfig.openvino.inference_num_threads"),
    "onnxruntime": (EngineType.ONNXRUNTIME, "EngineConfig.onnxruntime.intra_op_num_threads"),
}
# What ``auto`` tries first, and what it falls back to.
PREFERRED: Runtime = "openvino"
FALLBACK: Runtime = "onnxruntime"


def engine_params(runtime: Runtime, threads: int) -> dict[str, object]:
    """RapidOCR parameters that put the detector and recogniser on ``runtime``."""
    engine, threads_key = ENGINES[runtime]
    return {"Det.engine_type": engine, "Rec.engine_type": engine, threads_key: threads}


def require_installed(backend: str, runtime: Runtime) -> None:
    """Raise ``OcrBackendUnavailable`` unless ``runtime``'s Python package imports."""
    try:
        importlib.import_module(runtime)
    except ImportError as exc:
        raise OcrBackendUnavailable(backend, f"未安装推理运行时 {runtime}（{exc}）") from exc
