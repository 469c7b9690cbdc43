"""Inference runtimes the RapidOCR backend runs its models on: OpenVINO or onnxruntime.

Both read the same ONNX files from the wheels; nothing is converted on disk or downloaded.
OpenVINO's CPU plugin computes in bfloat16 where the CPU does so natively (AVX-512 BF16 or
AMX), which is where its speed comes from: on this machine's AVX-512 BF16 EPYC, PP-OCRv6 small
det + rec read a generated photo in about 0.55 of onnxruntime's time, and in about the same
time as onnxruntime when OpenVINO was held to float32. ``make bench`` compares them.
"""

import importlib
from collections.abc import Iterable
from typing import Literal

from rapidocr import EngineType, RapidOCR

from ocr.errors import OcrBackendUnavailable

Runtime = Literal["openvino", "onnxruntime"]

# RapidOCR's engine for each runtime, and the config key of its thread count.
ENGINES: dict[Runtime, tuple[EngineType, str]] = {
    "openvino": (EngineType.OPENVINO, "EngineConfig.openvino.inference_num_threads"),
    "onnxruntime": (EngineType.ONNXRUNTIME, "EngineConfig.onnxruntime.intra_op_num_threads"),
}
# OpenVINO keeps buffers for the largest input each model has seen, and a batch of lines is
# as wide as its widest line: it recognises one line a call. Measured on 20 generated photos,
# one thread: peak RSS 961 MB with RapidOCR's batches of 6, 802 MB one line a call, same speed.
# onnxruntime frees its buffers after each call and keeps RapidOCR's batches.
RUNTIME_PARAMS: dict[Runtime, dict[str, object]] = {
    "openvino": {"Rec.rec_batch_num": 1},
    "onnxruntime": {},
}
# OpenVINO settings RapidOCR cannot pass (it passes threads and a few hints). The CPU plugin
# keeps compiled kernels for each input shape it meets (5000 by default) and nearly every text
# line is a shape of its own: keep none. Measured on 20 generated photos, one thread, lines one
# a call: peak RSS 802 -> 655 MB at the same speed; on SROIE scans a worker passed 1.5 GB.
# It also pins its threads to cores by default, knowing nothing of the other workers: two
# one-thread workers side by side read 8 photos each 8-12 % faster unpinned (two rounds).
OPENVINO_PROPERTIES = {"CPU_RUNTIME_CACHE_CAPACITY": 0, "ENABLE_CPU_PINNING": False}
# What ``auto`` tries first, and what it falls back to.
PREFERRED: Runtime = "openvino"
FALLBACK: Runtime = "onnxruntime"


def engine_params(runtime: Runtime, threads: int) -> dict[str, object]:
    """RapidOCR parameters that put the detector and recogniser on ``runtime``."""
    engine, threads_key = ENGINES[runtime]
    return {
        "Det.engine_type": engine,
        "Rec.engine_type": engine,
        threads_key: threads,
        **RUNTIME_PARAMS[runtime],
    }


def require_installed(backend: str, runtime: Runtime) -> None:
    """Raise ``OcrBackendUnavailable`` unless ``runtime``'s Python package imports."""
    try:
        importlib.import_module(runtime)
    except ImportError as exc:
        raise OcrBackendUnavailable(backend, f"未安装推理运行时 {runtime}（{exc}）") from exc


def recompile_openvino(engines: Iterable[RapidOCR | None], threads: int) -> None:
    """Compile each model the RapidOCR ``engines`` loaded on OpenVINO again, with
    ``OPENVINO_PROPERTIES`` too. RapidOCR keeps the model it read beside the compiled one."""
    import openvino  # installed: RapidOCR has loaded models on it

    core = openvino.Core()
    properties = {"INFERENCE_NUM_THREADS": threads, **OPENVINO_PROPERTIES}
    for engine in engines:
        for stage in (engine.text_det, engine.text_rec) if engine else ():
            if stage is not None:
                compiled = core.compile_model(stage.session.model, "CPU", properties)
                stage.session.session = compiled.create_infer_request()
