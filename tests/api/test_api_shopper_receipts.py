"""My receipts over HTTP: the list and its pages, other members' receipts, the upload
limits, and the live status stream (over a real HTTP server)."""

import json
import threading
from datetime import date

import httpx
import pytest
from fakes import photo_bytes, reading, submit_and_process
from fastapi.testclient import TestClient

from api.auth import issue_member_token
from core.db import session_scope
from points import service as points_service


def _auth(member: int) -> dict:
    return {"Authorization": f"Bearer {issue_member_token(member)}"}


def _other_member() -> int:
    with session_scope() as db_session:
        return points_service.get_or_create_by_code(db_session=db_session, code="M999").id


def _approved(reads, member: int, seed: int) -> str:
    reads(reading(receipt_no=f"R-{seed}", total=f"{10 * seed}.00", day=date(2026, 11, seed)))
    return submit_and_process(member, seed)


def test_api_my_receipts_newest_first_in_pages_with_the_points_explained(client, member, reads):
    ids = [_approved(reads, member, seed) for seed in (1, 2, 3)]
    reads(reading(conf=0.5, receipt_no="R-9", day=date(2026, 11, 9)))
    doubtful = submit_and_process(member, 9)
    _approved(reads, _other_member(), 4)
    auth = _auth(member)
    first = client.get("/api/v1/receipts?limit=2", headers=auth).json()
    second = client.get(f"/api/v1/receipts?limit=2&before={first['next_before']}",
                        headers=auth).json()
    assert [r["id"] for r in first["items"] + second["items"]] == [doubtful, *ids[::-1]]
    assert second["next_before"] is None
    newest_approved = first["items"][1]
    assert (newest_approved["status"], newest_approved["points"]) == ("approved", 30)
    assert "30 元 × 1 分/元" in newest_approved["points_explanation"]
    review = first["items"][0]
    assert review["status"] == "needs_review" and review["points_explanation"] is None
    assert {r["message"] for r in review["reasons"]} >= {"金额识别不确定"}
    only_review = client.get("/api/v1/receipts?status=needs_review", headers=auth).json()
    assert [r["id"] for r in only_review["items"]] == [doubtful]
    bad = client.get("/api/v1/receipts?status=approved,lost", headers=auth)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "status_invalid")


def test_api_another_members_receipt_is_not_found_everywhere(client, member, reads):
    mine = _approved(reads, member, 1)
    other = _auth(_other_member())
    for method, path in (("GET", f"/api/v1/receipts/{mine}"),
                         ("POST", f"/api/v1/receipts/{mine}/events-ticket"),
                         ("GET", f"/api/v1/receipts/{mine}/events"),
                         ("GET", f"/api/v1/receipts?before={mine}")):
        response = client.request(method, path, headers=other)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "receipt_not_found"


def test_api_uploads_over_the_limit_get_429_with_retry_after(db_url, member, reads,
                                                             monkeypatch):
    monkeypatch.setenv("RP_SHOPPER_UPLOAD_LIMIT_PER_MEMBER", "2/minute")
    from api.shopper.settings import get_shopper_settings
    from app import create_app

    get_shopper_settings.cache_clear()
    reads(reading())
    auth = _auth(member)
    with TestClient(create_app()) as client:
        statuses = [client.post("/api/v1/receipts", headers=auth,
                                files={"image": ("r.png", photo_bytes(seed), "image/png")})
                    for seed in (1, 2, 3)]
        other = client.post("/api/v1/receipts", headers=_auth(_other_member()),
                            files={"image": ("r.png", photo_bytes(4), "image/png")})
    assert [r.status_code for r in statuses] == [202, 202, 429]
    refused = statuses[2]
    assert refused.json()["error"]["code"] == "upload_rate_limited"
    assert "秒后再试" in refused.json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert other.status_code == 202  # counted per member


def test_api_uploads_per_address_are_limited_too(db_url, member, reads, monkeypatch):
    monkeypatch.setenv("RP_SHOPPER_UPLOAD_LIMIT_PER_IP", "1/minute")
    from api.shopper.settings import get_shopper_settings
    from app import create_app

    get_shopper_settings.cache_clear()
    reads(reading())
    with TestClient(create_app()) as client:
        first = client.post("/api/v1/receipts", headers=_auth(member),
                            files={"image": ("r.png", photo_bytes(1), "image/png")})
        second = client.post("/api/v1/receipts", headers=_auth(_other_member()),
                             files={"image": ("r.png", photo_bytes(2), "image/png")})
    assert (first.status_code, second.status_code) == (202, 429)
    assert second.json()["error"]["code"] == "upload_rate_limited_ip"


def test_api_upload_limits_are_shared_through_redis(db_url, member, reads, monkeypatch,
                                                    redis_url):
    """In the scale-out configuration the counts live in its Redis: two API processes
    (two limiters) count one member's uploads together."""
    monkeypatch.setenv("RP_JOB_BACKEND", "dramatiq")
    monkeypatch.setenv("RP_REDIS_URL", redis_url)
    from api.ratelimit import Limiter, storage_url
    from core.settings import get_settings

    get_settings.cache_clear()
    assert storage_url() == redis_url
    one, two = Limiter(storage_url()), Limiter(storage_url())
    assert one.wait_seconds("1/minute", "upload", "member", str(member)) == 0
    assert two.wait_seconds("1/minute", "upload", "member", str(member)) > 0


@pytest.fixture
def live_api(db_url, demo_mall):
    """The app on a real port (streams need real HTTP), in a thread."""
    from accounts.wechat.fake.server import serve_in_thread
    from app import create_app

    running = serve_in_thread(create_app(), lifespan="on")
    yield running.url
    running.stop()


def _events(url: str, headers: dict | None = None) -> list[tuple[str, dict]]:
    events, name = [], None
    with httpx.stream("GET", url, headers=headers, timeout=30) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    return events


def test_api_status_stream_follows_a_receipt_until_it_is_decided(live_api, member,
                                                                  monkeypatch):
    """The receipt is held in ``processing`` until the stream has shown it; then the
    decision is written by another thread, as a worker process would."""
    from fakes import FixedReader

    from receipts import flow

    held, release = threading.Event(), threading.Event()

    class SlowReader(FixedReader):
        def read(self, data, *, today=None, on_decoded=None):
            held.set()
            release.wait(timeout=30)
            return super().read(data, today=today, on_decoded=on_decoded)

    monkeypatch.setattr(flow, "reader_for", lambda *s: SlowReader(reading()))
    auth = _auth(member)
    upload = httpx.post(f"{live_api}/api/v1/receipts", headers=auth,
                        files={"image": ("r.png", photo_bytes(1), "image/png")})
    receipt_id = upload.json()["id"]
    assert held.wait(timeout=30)
    ticket = httpx.post(f"{live_api}/api/v1/receipts/{receipt_id}/events-ticket",
                        headers=auth).json()
    assert ticket["events_url"].startswith(f"/api/v1/receipts/{receipt_id}/events?ticket=")
    threading.Timer(1.5, release.set).start()
    events = _events(live_api + ticket["events_url"])  # no Authorization header
    statuses = [data["status"] for name, data in events if name == "status"]
    assert statuses[0] == "processing" and statuses[-1] == "approved"
    assert events[-1] == ("end", {"status": "approved"})
    approved = [data for name, data in events if name == "status"][-1]
    assert approved["points"] == 279 and "279 元" in approved["points_explanation"]


def test_api_status_stream_refuses_bad_tickets_and_takes_a_bearer_token(live_api, member,
                                                                        reads):
    receipt_id = _approved(reads, member, 1)
    url = f"{live_api}/api/v1/receipts/{receipt_id}/events"
    forged = httpx.get(f"{url}?ticket=forged", timeout=10)
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "ticket_invalid")
    other = httpx.post(f"{live_api}/api/v1/receipts/{_approved(reads, member, 2)}/events-ticket",
                       headers=_auth(member)).json()["ticket"]
    wrong_receipt = httpx.get(f"{url}?ticket={other}", timeout=10)
    assert wrong_receipt.status_code == 401
    events = _events(url, headers=_auth(member))
    assert [name for name, _ in events] == ["status", "end"]
