"""One worker reading receipts end to end (decode → decision), in its own process so that
its peak RSS is that of a worker reading receipts, nothing else.

    RP_OCR_RUNTIME=openvino RP_OCR_THREADS=1 python -m bench.ocr_speed

reads image paths from stdin, one a line. The first is a warm-up (models load, first-run
allocations); it answers ``{"runtime"}`` for it, then for each later path one JSON line
``{"seconds", "read_seconds", "lines"}``: the whole reading, the part of it the OCR backend
spent reading the image, and the lines it found. At the end of input it answers
``{"peak_rss_mb"}``.
"""

import json
import resource
import sys
import time
from pathlib import Path


def answer(message: dict) -> None:
    print(json.dumps(message), flush=True)


def main() -> None:
    from ocr.backends import get_backend
    from receipts.reading import Reader
    from training_data.registry import load_merchants

    reader = Reader(load_merchants())
    paths = (Path(line.strip()) for line in sys.stdin if line.strip())
    reader.read(next(paths).read_bytes())
    backend = get_backend()
    answer({"runtime": getattr(backend, "runtime", type(backend).__name__)})
    for path in paths:
        data = path.read_bytes()
        started = time.perf_counter()
        reading = reader.read(data)
        seconds = time.perf_counter() - started
        answer(
            {
                "seconds": seconds,
                "read_seconds": reading.ocr.read_ms / 1000,
                "lines": len(reading.ocr.lines),
            }
        )
    answer({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


if __name__ == "__main__":
    main()
