"""Points over HTTP: the shopper's account, desk manual entry / reversal / redemption,
the ops daily report and rule versions, and who may call what."""

import csv
import io
from datetime import timedelta

import pytest
from fakes import photo_bytes, reading
from sqlalchemy import func, select

from api.auth import issue_member_token, issue_staff_token
from core.clock import local_today
from core.db import session_scope
from points.models import LedgerEntry

DESK = {"Authorization": f"Bearer {issue_staff_token('zhang', 'desk')}"}
OPS = {"Authorization": f"Bearer {issue_staff_token('zhao', 'ops')}"}



def _member_auth(member: int) -> dict:
    return {"Authorization": f"Bearer {issue_member_token(member)}"}


def _manual(client, **fields):
    body = {"member_code": "M100", "merchant_id": "m001", "date": "2026-11-20",
            "total": "100.00", "receipt_no": "D-1", **fields}
    return client.post("/api/v1/desk/manual-receipts", json=body, headers=DESK)


def _ledger_sums_by_merchant(day) -> dict[str, int]:
    with session_scope() as db_session:
        rows = db_session.execute(
            select(LedgerEntry.merchant_id, func.sum(LedgerEntry.points))
            .where(LedgerEntry.booked_on == day, LedgerEntry.kind.in_(("earn", "reverse")))
            .group_by(LedgerEntry.merchant_id)
        )
        return {merchant: int(points) for merchant, points in rows}


def test_api_shopper_sees_balance_tier_progress_and_why(client, member, demo_mall):
    assert _manual(client, total="6000.00").status_code == 201
    body = client.get("/api/v1/members/me/points", headers=_member_auth(member)).json()
    assert body["balance"] == 6000
    assert (body["tier"]["code"], body["growth"]) == ("silver", 6000)  # upgraded at once
    assert body["next_tier"]["code"] == "gold"
    assert body["next_tier"]["growth_needed"] == 15000 - 6000
    assert body["expiring"] == {"points": 6000, "on": f"{local_today().year + 1}-12-31"}
    entry = body["history"][0]
    assert entry["kind_text"] == "消费积分"
    assert "6000 元 × 1 分/元" in entry["explanation"] and "= 6000 分" in entry["explanation"]


def test_api_history_pages_back_with_before_id(client, member, demo_mall):
    for n in range(3):
        assert _manual(client, receipt_no=f"H-{n}", total=f"{10 + n}.00").status_code == 201
    auth = _member_auth(member)
    first = client.get("/api/v1/members/me/points/history?limit=2", headers=auth).json()
    assert [e["points"] for e in first["items"]] == [12, 11]
    rest = client.get(
        f"/api/v1/members/me/points/history?limit=2&before_id={first['next_before_id']}",
        headers=auth,
    ).json()
    assert ([e["points"] for e in rest["items"]], rest["next_before_id"]) == ([10], None)


def test_api_manual_entry_refuses_a_repeat_and_bad_input_clearly(client, member, demo_mall):
    assert _manual(client).json()["status"] == "approved"
    repeat = _manual(client)
    assert repeat.status_code == 409 and repeat.json()["error"]["code"] == "duplicate_receipt"
    unknown = _manual(client, receipt_no="D-2", merchant_id="nope")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "merchant_not_found"
    negative = _manual(client, receipt_no="D-3", total="-5")
    assert negative.status_code == 422 and negative.json()["error"]["code"] == "invalid_request"
    nobody = _manual(client, receipt_no="D-4", member_code="M404")
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "member_not_found"


def test_api_desk_finds_members_by_phone_masked(client, member):
    found = client.get("/api/v1/desk/members?phone=13912345678", headers=DESK)
    assert found.json() == {"code": "M100", "phone_masked": "139****5678", "tier": "standard",
                            "balance": 0}
    assert client.get("/api/v1/desk/members", headers=DESK).status_code == 422
    assert client.get("/api/v1/desk/members?phone=13900000000", headers=DESK).status_code == 404


def test_api_reversal_and_redemption(client, member, reads):
    reads(reading())
    uploaded = client.post("/api/v1/receipts", headers=_member_auth(member),
                           files={"image": ("r.jpg", photo_bytes(1), "image/jpeg")}).json()
    for _ in range(100):
        status = client.get(f"/api/v1/receipts/{uploaded['id']}",
                            headers=_member_auth(member)).json()["status"]
        if status == "approved":
            break
    redeem = {"points": 100, "key": "order-7", "reason": "兑换停车券"}
    spent = client.post("/api/v1/desk/members/M100/redemptions", json=redeem, headers=DESK)
    assert spent.status_code == 200 and spent.json()["points"] == -100
    again = client.post("/api/v1/desk/members/M100/redemptions", json=redeem, headers=DESK)
    assert again.json()["id"] == spent.json()["id"]  # the same order never spends twice
    too_much = client.post("/api/v1/desk/members/M100/redemptions", headers=DESK,
                           json={**redeem, "key": "order-8", "points": 500})
    assert too_much.status_code == 409 and too_much.json()["error"]["code"] == "insufficient_points"

    reversed_ = client.post(f"/api/v1/desk/receipts/{uploaded['id']}/reverse",
                            json={"reason": "退货"}, headers=DESK)
    assert reversed_.json()["status"] == "reversed"
    body = client.get("/api/v1/members/me/points", headers=_member_auth(member)).json()
    assert body["balance"] == 0  # 279 earned, 100 spent, 179 taken back, 100 written down
    assert "100 分已使用" in body["history"][0]["explanation"]


def test_api_daily_report_matches_the_ledger(client, member, demo_mall):
    _manual(client, receipt_no="A", total="120.50")
    _manual(client, receipt_no="B", total="80.00", merchant_id="m006")  # 0.5 point per yuan
    refund = _manual(client, receipt_no="C", total="30.00").json()
    client.post(f"/api/v1/desk/receipts/{refund['id']}/reverse", json={"reason": "退货"},
                headers=DESK)
    today = local_today()
    response = client.get(f"/api/v1/ops/reports/daily?date={today}&format=csv", headers=OPS)
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    by_merchant = {r["商户编号"]: r for r in rows}
    ledger = _ledger_sums_by_merchant(today)
    assert {k: int(r["净积分"]) for k, r in by_merchant.items() if k != "合计"} == ledger
    assert by_merchant["m001"]["积分小票数"] == "2" and by_merchant["m001"]["冲红笔数"] == "1"
    assert by_merchant["m001"]["消费金额"] == "150.50"
    assert by_merchant["合计"]["净积分"] == str(sum(ledger.values())) == str(120 + 40)
    empty = client.get(f"/api/v1/ops/reports/daily?date={today - timedelta(days=1)}",
                       headers=OPS).json()
    assert empty["merchants"] == []


def test_api_ops_publishes_rule_versions_with_clear_errors(client):
    current = client.get("/api/v1/ops/rules", headers=OPS).json()
    assert current["version"] == 0
    text = current["rules"] | {"earn_rate": "2"}
    import yaml

    future = str(local_today() + timedelta(days=1))
    published = client.post("/api/v1/ops/rules", headers=OPS, json={
        "text": yaml.safe_dump(text, allow_unicode=True), "effective_from": future})
    assert published.status_code == 201 and published.json()["version"] == 1
    assert client.get("/api/v1/ops/rules", headers=OPS).json()["version"] == 0
    assert client.get(f"/api/v1/ops/rules?date={future}", headers=OPS).json()["version"] == 1
    bad = client.post("/api/v1/ops/rules", headers=OPS, json={
        "text": "earn_rate: -1\n", "effective_from": future})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "rules_invalid"


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/ops/reports/daily?date=2026-11-22"), ("get", "/api/v1/ops/rules"),
     ("post", "/api/v1/ops/rules")],
)
def test_api_desk_accounts_cannot_reach_ops(client, method, path):
    response = getattr(client, method)(path, headers=DESK)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "role_forbidden"


def test_api_ops_accounts_cannot_credit_points(client, member, demo_mall):
    response = client.post("/api/v1/desk/manual-receipts", headers=OPS, json={
        "member_code": "M100", "merchant_id": "m001", "date": "2026-11-20", "total": "1.00"})
    assert response.status_code == 403


def test_api_every_desk_action_leaves_one_audit_line(client, member, demo_mall):
    from accounts.models import AuditEntry

    receipt = _manual(client).json()
    redeem = {"points": 10, "key": "order-1", "reason": "兑换"}
    for _ in range(2):  # a replayed redemption is not a second action
        client.post("/api/v1/desk/members/M100/redemptions", json=redeem, headers=DESK)
    client.post(f"/api/v1/desk/receipts/{receipt['id']}/reverse", json={"reason": "退货"},
                headers=DESK)
    assert _manual(client).status_code == 409  # refused: nothing done, nothing audited
    with session_scope() as db_session:
        lines = db_session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.target_id)
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(line) for line in lines] == [
        ("staff:zhang", "manual_entry", receipt["id"]),
        ("staff:zhang", "redeem", "M100"),
        ("staff:zhang", "reverse", receipt["id"]),
    ]
