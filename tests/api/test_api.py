"""The JSON API: auth, error shapes, upload → status → points, and the desk decisions.

Reading is fixed (see fakes.py) so these tests are about HTTP behaviour; the real OCR
path runs in tests/receipts/test_receipts_end_to_end.py.
"""

import time

import pytest
from fakes import photo_bytes, reading
from fastapi.testclient import TestClient

from api.auth import issue_member_token, issue_staff_token
from app import create_app


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _upload(client, member: int, data: bytes, filename="r.jpg"):
    return client.post(
        "/api/v1/receipts", headers=_auth(issue_member_token(member)),
        files={"image": (filename, data, "image/jpeg")},
    )


def _wait_final(client, member: int, receipt_id: str) -> dict:
    for _ in range(100):
        body = client.get(f"/api/v1/receipts/{receipt_id}",
                          headers=_auth(issue_member_token(member))).json()
        if body["status"] not in ("received", "processing"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"receipt {receipt_id} still {body['status']}")


def test_healthz(client):
    assert client.get("/healthz").json() == {
        "status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "auth_required"),
        ({"Authorization": "Bearer forged.token.value"}, 401, "token_invalid"),
        (_auth(issue_staff_token("li", "desk")), 403, "token_wrong_kind"),
    ],
)
def test_shopper_endpoints_need_a_member_token(client, headers, status, code):
    response = client.get("/api/v1/members/me/points", headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 400, "image_empty"),
        (b"hello, this is text", 415, "image_unsupported_type"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, 400, "image_corrupt"),
    ],
)
def test_bad_uploads_get_a_clear_4xx(client, member, data, status, code):
    response = _upload(client, member, data)
    assert response.status_code == status
    body = response.json()["error"]
    assert body["code"] == code and body["message"]


def test_oversized_upload_is_refused_before_reading(db_url, member, monkeypatch):
    monkeypatch.setenv("RP_OCR_MAX_UPLOAD_BYTES", "1000")
    from ocr.settings import get_ocr_settings

    get_ocr_settings.cache_clear()
    with TestClient(create_app()) as client:
        response = _upload(client, member, photo_bytes(1) + b"\x00" * 2000)
    get_ocr_settings.cache_clear()
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "image_too_large"


def test_missing_image_field_is_a_422_with_a_code(client, member):
    response = client.post("/api/v1/receipts", headers=_auth(issue_member_token(member)))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_upload_is_processed_and_credited(client, member, reads):
    reads(reading())
    response = _upload(client, member, photo_bytes(1))
    assert response.status_code == 202
    final = _wait_final(client, member, response.json()["id"])
    assert (final["status"], final["points"], final["total"]) == ("approved", 279, "279.00")
    assert final["merchant"] == "优衣库" and final["status_text"] == "积分成功"
    points = client.get("/api/v1/members/me/points", headers=_auth(issue_member_token(member)))
    assert points.json()["balance"] == 279
    assert [e["receipt_id"] for e in points.json()["history"]] == [final["id"]]


def test_another_member_cannot_see_my_receipt(client, member, reads):
    reads(reading())
    receipt_id = _upload(client, member, photo_bytes(1)).json()["id"]
    from core.db import session_scope
    from points import service as points_service

    with session_scope() as db_session:
        other = points_service.get_or_create_by_code(db_session=db_session, code="M999").id
    response = client.get(f"/api/v1/receipts/{receipt_id}",
                          headers=_auth(issue_member_token(other)))
    assert response.status_code == 404


def test_desk_works_the_review_queue(client, member, reads):
    reads(reading(conf=0.5))
    first = _wait_final(client, member, _upload(client, member, photo_bytes(1)).json()["id"])
    reads(reading(conf=0.5, receipt_no="A-002"))
    second = _wait_final(client, member, _upload(client, member, photo_bytes(2)).json()["id"])
    assert first["status"] == second["status"] == "needs_review"
    desk = _auth(issue_staff_token("li", "desk"))
    queue = client.get("/api/v1/desk/review", headers=desk).json()["items"]
    assert [item["id"] for item in queue] == [first["id"], second["id"]]
    assert queue[0]["reasons"][0]["message"]
    image = client.get(queue[0]["image_url"], headers=desk)
    assert image.headers["content-type"] == "image/png"
    assert image.content == photo_bytes(1)

    approved = client.post(
        f"/api/v1/desk/receipts/{first['id']}/approve", headers=desk,
        json={"corrections": {"total": "150.50"}},
    )
    assert approved.status_code == 200 and approved.json()["points"] == 150
    again = client.post(f"/api/v1/desk/receipts/{first['id']}/approve", headers=desk, json={})
    assert again.status_code == 409

    bad_reason = client.post(f"/api/v1/desk/receipts/{second['id']}/reject", headers=desk,
                             json={"reason": "because"})
    assert bad_reason.status_code == 422
    rejected = client.post(f"/api/v1/desk/receipts/{second['id']}/reject", headers=desk,
                           json={"reason": "unreadable"})
    assert rejected.json()["status"] == "rejected"
    shopper_view = _wait_final(client, member, second["id"])
    assert shopper_view["reasons"] == [{"code": "unreadable", "message": "小票无法辨认"}]
    balance = client.get("/api/v1/members/me/points", headers=_auth(issue_member_token(member)))
    assert balance.json()["balance"] == 150


def test_desk_api_refuses_members_and_other_roles(client, member):
    as_member = client.get("/api/v1/desk/review", headers=_auth(issue_member_token(member)))
    as_ops = client.get("/api/v1/desk/review", headers=_auth(issue_staff_token("o", "ops")))
    assert as_member.status_code == 403 and as_ops.status_code == 403
    assert as_ops.json()["error"]["code"] == "role_forbidden"


def test_review_queue_filters_by_reason(client, member, reads):
    reads(reading(conf=0.5))
    low = _wait_final(client, member, _upload(client, member, photo_bytes(1)).json()["id"])
    reads(reading(merchant=None, receipt_no="B-1"))
    unknown = _wait_final(client, member, _upload(client, member, photo_bytes(2)).json()["id"])
    desk = _auth(issue_staff_token("li", "desk"))
    by_reason = client.get("/api/v1/desk/review?reason=merchant_unknown", headers=desk).json()
    assert [item["id"] for item in by_reason["items"]] == [unknown["id"]]
    everything = client.get("/api/v1/desk/review", headers=desk).json()
    assert [item["id"] for item in everything["items"]] == [low["id"], unknown["id"]]


def test_review_claim_over_the_api_keeps_a_second_clerk_out(client, member, reads):
    reads(reading(conf=0.5))
    item = _wait_final(client, member, _upload(client, member, photo_bytes(1)).json()["id"])
    li, wang = _auth(issue_staff_token("li", "desk")), _auth(issue_staff_token("wang", "desk"))
    claimed = client.post(f"/api/v1/desk/receipts/{item['id']}/claim", headers=li)
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "li"
    taken = client.post(f"/api/v1/desk/receipts/{item['id']}/approve", headers=wang, json={})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "receipt_claimed"
    assert client.delete(f"/api/v1/desk/receipts/{item['id']}/claim",
                         headers=li).status_code == 204
    approved = client.post(f"/api/v1/desk/receipts/{item['id']}/approve", headers=wang, json={})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["claimed_by"] is None


def test_desk_api_lists_lookalikes_and_needs_confirm_lookalike(client, member, reads):
    reads(reading(receipt_no="XS20261018222", total="98.00"))
    credited = _wait_final(client, member, _upload(client, member, photo_bytes(1)).json()["id"])
    reads(reading(receipt_no="X820261018222", total="198.00", conf=0.5))
    item = _wait_final(client, member, _upload(client, member, photo_bytes(2)).json()["id"])
    assert (credited["status"], item["status"]) == ("approved", "needs_review")
    desk = _auth(issue_staff_token("li", "desk"))
    shown = client.get(f"/api/v1/desk/receipts/{item['id']}", headers=desk).json()
    assert [(x["id"], x["status"]) for x in shown["lookalikes"]] == [(credited["id"],
                                                                      "approved")]
    body = {"corrections": {"total": "98.00"}}
    refused = client.post(f"/api/v1/desk/receipts/{item['id']}/approve", headers=desk, json=body)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "lookalike_credited"
    approved = client.post(f"/api/v1/desk/receipts/{item['id']}/approve", headers=desk,
                           json={**body, "confirm_lookalike": True})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
