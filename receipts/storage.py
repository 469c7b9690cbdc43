"""Content-addressed image store on the local filesystem (keyed by sha256)."""

import os
import tempfile
from pathlib import Path

from core.errors import NotFound
from core.settings import get_settings


def _path(sha256: str) -> Path:
    return get_settings().image_dir / sha256[:2] / sha256[2:4] / sha256


def put(sha256: str, data: bytes) -> Path:
    """Write once; the same bytes are stored once however often they arrive."""
    path = _path(sha256)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
    return path


def get(sha256: str) -> bytes:
    try:
        return _path(sha256).read_bytes()
    except FileNotFoundError as exc:
        raise NotFound("image_purged", "小票图片已按保留期限删除") from exc


def delete(sha256: str) -> None:
    _path(sha256).unlink(missing_ok=True)
