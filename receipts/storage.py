"""Content-addressed image store (keyed by sha256) behind one interface.

``local`` (the default) keeps files under ``RP_DATA_DIR/images``; ``s3`` keeps objects in
an S3-compatible bucket (AWS S3, MinIO, Ceph, OSS/COS through their S3 endpoints), so
that the API and workers on different machines see the same photos.
"""

import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from core.errors import NotFound
from core.settings import get_settings
from dedupe.fingerprint import sha256_hex
from ocr.image import clean_upload
from ocr.settings import get_ocr_settings
from receipts.settings import StorageSettings, get_storage_settings


class ImageStore(Protocol):
    def put(self, sha256: str, data: bytes) -> None: ...

    def get(self, sha256: str) -> bytes:
        """The stored bytes; raises ``NotFound`` (image_purged) when there are none."""
        ...

    def delete(self, sha256: str) -> None: ...

    def exists(self, sha256: str) -> bool: ...


def image_purged() -> NotFound:
    return NotFound("image_purged", "小票图片已按保留期限或会员要求删除")


def _key(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class LocalImageStore:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, sha256: str) -> Path:
        return self.root / _key(sha256)

    def put(self, sha256: str, data: bytes) -> None:
        """Write once, atomically; the same bytes are stored once however often they come."""
        path = self._path(sha256)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)

    def get(self, sha256: str) -> bytes:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise image_purged() from None

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()


class S3ImageStore:
    """Objects ``<prefix><ab>/<cd>/<sha256>`` in one bucket (boto3, the ``scale`` extra)."""

    def __init__(self, settings: StorageSettings):
        import boto3
        from botocore.config import Config

        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix
        self.client = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
            config=Config(retries={"max_attempts": 3, "mode": "standard"},
                          connect_timeout=5, read_timeout=30),
        )

    def _name(self, sha256: str) -> str:
        return self.prefix + _key(sha256)

    def put(self, sha256: str, data: bytes) -> None:
        # Same key, same bytes: a second put of a content-addressed object changes nothing.
        self.client.put_object(Bucket=self.bucket, Key=self._name(sha256), Body=data)

    def get(self, sha256: str) -> bytes:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._name(sha256))
        except self.client.exceptions.NoSuchKey:
            raise image_purged() from None
        return found["Body"].read()

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(sha256))

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


@lru_cache(maxsize=1)
def get_store() -> ImageStore:
    settings = get_storage_settings()
    if settings.backend == "s3":
        return S3ImageStore(settings)
    return LocalImageStore(get_settings().image_dir)


def keep_upload(data: bytes) -> tuple[str, bytes]:
    """Validate an uploaded photo and store it without its metadata (EXIF/GPS) or anything
    appended; returns the sha256 and the bytes kept. Raises ``ImageRejected`` before
    anything is stored.

    The hash is of the kept bytes: the store stays content-addressed, and the exact-repeat
    check compares images, not metadata (the same photo sent again with other EXIF, as
    chat apps rewrite it, is still the same photo).
    """
    kept = clean_upload(data, get_ocr_settings())
    sha256 = sha256_hex(kept)
    put(sha256, kept)
    return sha256, kept


def put(sha256: str, data: bytes) -> None:
    get_store().put(sha256, data)


def get(sha256: str) -> bytes:
    return get_store().get(sha256)


def delete(sha256: str) -> None:
    get_store().delete(sha256)


def exists(sha256: str) -> bool:
    return get_store().exists(sha256)
