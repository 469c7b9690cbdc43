"""The whole pipeline on generated photos, through the `process` CLI and through the
scale-out configuration (PostgreSQL + Redis + a Dramatiq worker process)."""

import json
import os
import random
import subprocess
import sys
import time
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest

from training_data.synth import generate_receipt, load_registry

ROOT = Path(__file__).resolve().parents[2]
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
pytestmark = [
    pytest.mark.ocr,
    pytest.mark.skipif(not FONT.exists(), reason="fonts-noto-cjk missing: `make test` installs it"),
]


def _photo(tmp_path: Path, merchant_id: str, seed: int, **options) -> tuple[Path, dict, dict]:
    merchant = next(m for m in load_registry() if m["id"] == merchant_id)
    image, truth = generate_receipt(merchant, random.Random(seed), **options)
    path = tmp_path / f"{merchant_id}-{seed}-{'x' if options.get('unreadable') else 'ok'}.jpg"
    image.save(path, "JPEG", quality=92)
    return path, truth, merchant


def _expected_points(truth: dict, merchant: dict) -> int:
    earned = Decimal(truth["total"]) * Decimal(str(merchant["points_rate"]))
    return int(earned.to_integral_value(rounding=ROUND_FLOOR))


def _cli(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture
def cli_env(tmp_path):
    env = {
        **os.environ,
        "RP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "RP_DATA_DIR": str(tmp_path / "data"),
    }
    _cli(env, "seed-demo")
    return env


def test_process_cli_approves_then_flags_repeat_and_unreadable(tmp_path, cli_env):
    photo, truth, merchant = _photo(tmp_path, "m001", seed=11, strength=0.4)
    first = json.loads(_cli(cli_env, "process", str(photo), "--member", "M1", "--json"))
    assert first["status"] == "approved", first
    assert (first["merchant_id"], first["date"], first["total"]) == (
        "m001", truth["date"], truth["total"]
    )
    assert first["points"] == _expected_points(truth, merchant)
    assert set(first["confidence"]) >= {"merchant", "date", "total"}

    again = json.loads(_cli(cli_env, "process", str(photo), "--member", "M2", "--json"))
    assert (again["status"], again["duplicate_of"]) == ("duplicate", first["receipt_id"])
    assert again["points"] == 0

    blurred, _, _ = _photo(tmp_path, "m002", seed=12, unreadable=True)
    unreadable = json.loads(_cli(cli_env, "process", str(blurred), "--member", "M1", "--json"))
    assert unreadable["status"] == "needs_review", unreadable
    assert unreadable["reasons"]


def test_dramatiq_worker_on_postgresql_and_redis(tmp_path, postgresql_url, redis_url, monkeypatch):
    env = {
        **os.environ,
        "RP_DATABASE_URL": postgresql_url,
        "RP_DATA_DIR": str(tmp_path / "data"),
        "RP_JOB_BACKEND": "dramatiq",
        "RP_REDIS_URL": redis_url,
    }
    for key in ("RP_DATABASE_URL", "RP_DATA_DIR", "RP_JOB_BACKEND", "RP_REDIS_URL"):
        monkeypatch.setenv(key, env[key])
    from database import empty_all_tables, reset_caches

    reset_caches()
    _cli(env, "seed-demo")
    photo, truth, merchant = _photo(tmp_path, "m002", seed=21, strength=0.3)
    worker = subprocess.Popen(
        [sys.executable, "app.py", "worker", "--threads", "1"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        from fastapi.testclient import TestClient

        from api.auth import issue_member_token
        from app import create_app
        from core.db import session_scope
        from points import service as points_service

        with session_scope() as db_session:
            member = points_service.get_or_create_by_code(db_session=db_session, code="M5").id
        auth = {"Authorization": f"Bearer {issue_member_token(member)}"}
        with TestClient(create_app()) as client:
            upload = client.post("/api/v1/receipts", headers=auth,
                                 files={"image": ("r.jpg", photo.read_bytes(), "image/jpeg")})
            assert upload.status_code == 202
            body = _poll(client, auth, upload.json()["id"], worker)
            assert body["status"] == "approved", body
            assert (body["merchant_id"], body["total"]) == ("m002", truth["total"])
            repeat = client.post("/api/v1/receipts", headers=auth,
                                 files={"image": ("r.jpg", photo.read_bytes(), "image/jpeg")})
            assert repeat.json()["status"] == "duplicate"
            balance = client.get("/api/v1/members/me/points", headers=auth).json()["balance"]
            assert balance == _expected_points(truth, merchant)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        reset_caches()
        empty_all_tables(postgresql_url)


def _poll(client, auth: dict, receipt_id: str, worker: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/receipts/{receipt_id}", headers=auth).json()
        if body["status"] not in ("received", "processing"):
            return body
        if worker.poll() is not None:
            raise AssertionError(f"worker exited: {worker.stderr.read().decode()[-2000:]}")
        time.sleep(0.5)
    raise AssertionError(f"receipt {receipt_id} not processed by the worker in time")


def test_seed_demo_with_receipts_fills_the_desk_queue_once(cli_env, monkeypatch):
    """`make run` seeds three counter tickets the generic rules misread; read, they wait
    for the desk."""
    from database import reset_caches

    first = _cli(cli_env, "seed-demo", "--with-receipts")
    again = _cli(cli_env, "seed-demo", "--with-receipts")
    assert "demo receipts: 3 uploaded" in first and "already uploaded" in again
    for key in ("RP_DATABASE_URL", "RP_DATA_DIR"):
        monkeypatch.setenv(key, cli_env[key])
    reset_caches()
    from core.db import session_scope
    from receipts import flow
    from receipts.models import Status

    try:
        with session_scope() as db_session:
            pending = flow.pending_receipt_ids(db_session=db_session)
        assert len(pending) == 3
        decided = [flow.process(receipt_id) for receipt_id in pending]
        assert [r.status for r in decided] == [Status.NEEDS_REVIEW] * 3
    finally:
        reset_caches()  # the next test reads its own database settings again
