"""The image store behind its interface: the local directory and an S3-compatible bucket,
the latter against moto's S3 server running on 127.0.0.1 (a real HTTP S3 endpoint, not a
mock of our code)."""

import socket

import pytest
from fakes import photo_bytes, reading

from core.db import session_scope
from core.errors import NotFound
from receipts import flow, storage
from receipts.models import Receipt, Status

moto_server = pytest.importorskip("moto.server", reason="moto[server] is in the test extra")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(),
                                            verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_store(s3_endpoint, monkeypatch):
    import boto3
    from database import reset_caches

    bucket = "rp-test-images"
    for key, value in {"RP_STORAGE_BACKEND": "s3", "RP_STORAGE_S3_BUCKET": bucket,
                       "RP_STORAGE_S3_ENDPOINT_URL": s3_endpoint,
                       "RP_STORAGE_S3_ACCESS_KEY_ID": "testing",
                       "RP_STORAGE_S3_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    yield client, bucket
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)
    monkeypatch.delenv("RP_STORAGE_BACKEND")
    reset_caches()


SHA = "ab" + "cd" + "0" * 60


def _round_trip() -> None:
    assert not storage.exists(SHA)
    storage.put(SHA, b"first")
    storage.put(SHA, b"first")  # content-addressed: a second put is harmless
    assert storage.exists(SHA)
    assert storage.get(SHA) == b"first"
    storage.delete(SHA)
    assert not storage.exists(SHA)
    with pytest.raises(NotFound) as err:
        storage.get(SHA)
    assert err.value.code == "image_purged"


def test_local_store_round_trip(tmp_path, monkeypatch):
    from database import reset_caches

    monkeypatch.setenv("RP_DATA_DIR", str(tmp_path))
    reset_caches()
    _round_trip()
    assert not (tmp_path / "images" / "ab" / "cd" / SHA).exists()


def test_s3_store_round_trip(s3_store):
    client, bucket = s3_store
    assert isinstance(storage.get_store(), storage.S3ImageStore)
    _round_trip()
    storage.put(SHA, b"kept")
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"images/ab/cd/{SHA}"]


def test_upload_and_processing_use_the_bucket(member, reads, s3_store, tmp_path):
    client, bucket = s3_store
    reads(reading())
    with session_scope() as db_session:
        receipt = flow.submit_photo(db_session=db_session, member_id=member,
                                    data=photo_bytes(3), actor="test")
        receipt_id, sha256 = receipt.id, receipt.image_sha256
    stored = client.get_object(Bucket=bucket, Key=f"images/{sha256[:2]}/{sha256[2:4]}/{sha256}")
    assert stored["Body"].read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "data" / "images").exists()  # nothing went to the local disk
    flow.process(receipt_id)
    with session_scope() as db_session:
        assert db_session.get(Receipt, receipt_id).status == Status.APPROVED
