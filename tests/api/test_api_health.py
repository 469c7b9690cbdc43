"""/healthz checks the database and the broker; /metrics speaks Prometheus text."""

import time

from fakes import reading
from prometheus_client.parser import text_string_to_metric_families

from api.auth import issue_member_token


def _samples(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def test_metrics_count_decisions_ocr_time_queue_and_review_age(client, member, reads):
    before = _samples(client)
    auth = {"Authorization": f"Bearer {issue_member_token(member)}"}
    from fakes import photo_bytes

    reads(reading(conf=0.5))  # low confidence: to the desk
    receipt = client.post("/api/v1/receipts", headers=auth,
                          files={"image": ("r.png", photo_bytes(1), "image/png")}).json()
    deadline = time.monotonic() + 20
    while client.get(f"/api/v1/receipts/{receipt['id']}", headers=auth).json()["status"] in (
            "received", "processing") and time.monotonic() < deadline:
        time.sleep(0.05)
    after = _samples(client)
    review = ("rp_receipts_decided_total", (("outcome", "needs_review"),))
    assert after[review] - before.get(review, 0.0) == 1
    ocr_count = ("rp_ocr_seconds_count", ())
    assert after[ocr_count] - before.get(ocr_count, 0.0) == 1
    assert after[("rp_queue_depth", ())] == 0
    assert after[("rp_receipts_waiting", (("status", "needs_review"),))] == 1
    assert after[("rp_receipts_waiting", (("status", "received"),))] == 0
    assert 0 <= after[("rp_review_queue_oldest_age_seconds", ())] < 60


def test_healthz_reports_a_broker_that_does_not_answer(db_url, monkeypatch):
    from database import reset_caches
    from fastapi.testclient import TestClient

    from app import create_app

    monkeypatch.setenv("RP_JOB_BACKEND", "dramatiq")
    monkeypatch.setenv("RP_REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens there
    reset_caches()
    client = TestClient(create_app())  # no lifespan: it would enqueue into the dead broker
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("down")


def test_healthz_with_a_live_broker(db_url, redis_url, monkeypatch):
    from database import reset_caches
    from fastapi.testclient import TestClient

    from app import create_app

    monkeypatch.setenv("RP_JOB_BACKEND", "dramatiq")
    monkeypatch.setenv("RP_REDIS_URL", redis_url)
    reset_caches()
    response = TestClient(create_app()).get("/healthz")
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
