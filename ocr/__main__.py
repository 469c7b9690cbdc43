"""Command line: ``python -m ocr read IMAGE [--json]``.

Prints one recognised text per line, or with ``--json`` the result as
``{"lines": [{"text", "score", "box"}], "ms"}``. Exit code 2 on unusable input, with the
error code and message on stderr.
"""

import argparse
import json
import sys
from pathlib import Path

from core.errors import AppError
from ocr.pipeline import read_image

EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        data = Path(args.image).read_bytes()
    except OSError as exc:
        return fail("image_unreadable", f"无法读取文件 {args.image}：{exc.strerror}")
    try:
        _, result = read_image(data)
    except AppError as exc:
        return fail(exc.code, exc.message)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        for line in result.lines:
            print(line.text)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ocr", description="OCR a receipt image.")
    commands = parser.add_subparsers(dest="command", required=True)
    read = commands.add_parser("read", help="print the text lines of an image")
    read.add_argument("image", help="JPEG, PNG or WebP file")
    read.add_argument("--json", action="store_true", help="print lines, scores and boxes as JSON")
    return parser.parse_args(argv)


def fail(code: str, message: str) -> int:
    print(f"{code}: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
