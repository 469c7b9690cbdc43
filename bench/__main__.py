"""`make bench`: seconds per receipt and peak memory of one worker, per OCR backend and
thread count, on generated phone-like photos of Chinese receipts.

The paddleocr backend runs where the ``paddle`` extra is installed and RP_OCR_PADDLE_MODEL_DIR
names its models (``python -m ocr.paddle_models``)."""

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

RECEIPTS = 12
BACKENDS = {"rapidocr": "rapidocr", "paddleocr": "paddleocr"}


def missing(backend: str, module: str) -> str | None:
    """Why ``backend`` cannot run here, or None."""
    from ocr.settings import get_ocr_settings

    if importlib.util.find_spec(module) is None:
        return "not installed (pip install '.[paddle]' for it)"
    if backend == "paddleocr" and get_ocr_settings().paddle_model_dir is None:
        return "no models: set RP_OCR_PADDLE_MODEL_DIR (python -m ocr.paddle_models)"
    return None


def generate(out: Path) -> None:
    from training_data.synth import make_dataset

    make_dataset(out, RECEIPTS, seed=7)


def run_one(images: Path, backend: str, threads: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.ocr_speed", str(images), "--threads", str(threads),
         "--backend", backend],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        images = Path(tmp)
        generate(images)
        print(f"{'backend':<10} {'threads':>7} {'median s':>9} {'p90 s':>7} {'peak MB':>8}")
        for backend, module in BACKENDS.items():
            if reason := missing(backend, module):
                print(f"{backend:<10} {reason}")
                continue
            for threads in (1, 2):
                r = run_one(images, backend, threads)
                print(f"{backend:<10} {threads:>7} {r['median_s']:>9} {r['p90_s']:>7} "
                      f"{r['peak_rss_mb']:>8}")


if __name__ == "__main__":
    main()
