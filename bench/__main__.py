"""`make bench`: seconds per receipt and peak memory of one worker, per OCR backend and
thread count, on generated phone-like photos of Chinese receipts."""

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

RECEIPTS = 12
BACKENDS = {"rapidocr": "rapidocr", "paddleocr": "paddleocr"}


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
            if importlib.util.find_spec(module) is None:
                print(f"{backend:<10} not installed (pip install '.[paddle]' for it)")
                continue
            for threads in (1, 2):
                r = run_one(images, backend, threads)
                print(f"{backend:<10} {threads:>7} {r['median_s']:>9} {r['p90_s']:>7} "
                      f"{r['peak_rss_mb']:>8}")


if __name__ == "__main__":
    main()
