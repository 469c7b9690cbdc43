"""One worker's reading speed and memory: runs in its own process so that peak RSS is
that of a worker reading receipts, nothing else.

    python -m bench.ocr_speed DIR --threads 1 [--backend rapidocr]
prints one JSON object: seconds per receipt (median, p90, each), peak RSS in MB.
"""

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path


def measure(images: list[Path]) -> dict:
    from receipts.reading import Reader
    from training_data.synth import load_merchants

    reader = Reader(load_merchants())
    reader.read(images[0].read_bytes())  # warm-up: model load, first-run allocations
    seconds = []
    for path in images:
        started = time.perf_counter()
        reader.read(path.read_bytes())
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return {
        "receipts": len(seconds),
        "median_s": round(statistics.median(seconds), 3),
        "p90_s": round(seconds[int(0.9 * (len(seconds) - 1))], 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("images", type=Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--backend", default="rapidocr")
    args = parser.parse_args()
    os.environ["RP_OCR_THREADS"] = str(args.threads)
    os.environ["RP_OCR_BACKEND"] = args.backend
    images = sorted(p for p in args.images.iterdir() if p.suffix in (".jpg", ".png"))
    print(json.dumps(measure(images)))


if __name__ == "__main__":
    main()
