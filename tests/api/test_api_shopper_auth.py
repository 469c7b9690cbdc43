"""Member sign-in over HTTP with the fake WeChat: first sign-in, sessions (refresh, logout,
expiry, revocation), and binding a phone that merges the desk's member of that number."""

from datetime import date

import pytest
from fakes import reading, submit_and_process
from fastapi.testclient import TestClient
from sqlalchemy import select

from accounts.models import AuditEntry
from core.db import session_scope
from points import ledger
from points import service as points_service
from points.models import LedgerAllocation, LedgerEntry, Member, MemberMerge
from receipts.models import Receipt

PHONE = "13912345678"  # the desk member of the `member` fixture (M100) has it


@pytest.fixture
def shopper(fake_wechat, db_url):
    from app import create_app

    with TestClient(create_app()) as client:
        yield client


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _sign_in(client, fake, openid: str) -> dict:
    response = client.post("/api/v1/auth/wechat", json={"code": fake.issue_code(openid)})
    assert response.status_code == 200, response.text
    return response.json()


def _error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_api_first_sign_in_creates_the_member_and_the_next_finds_it(shopper, fake_wechat):
    first = _sign_in(shopper, fake_wechat, "o-alice")
    again = _sign_in(shopper, fake_wechat, "o-alice")
    assert (first["created"], again["created"]) == (True, False)
    assert first["member"]["code"] == again["member"]["code"]
    assert first["member"]["phone_bound"] is False and "session_key" not in str(first)
    me = shopper.get("/api/v1/members/me", headers=_auth(again["access_token"])).json()
    assert me["code"] == first["member"]["code"]


def test_api_wechat_refusals_are_clear_4xx(shopper, fake_wechat):
    code = fake_wechat.issue_code("o-bob")
    assert shopper.post("/api/v1/auth/wechat", json={"code": code}).status_code == 200
    reused = shopper.post("/api/v1/auth/wechat", json={"code": code})
    unknown = shopper.post("/api/v1/auth/wechat", json={"code": "not-from-wx-login"})
    assert _error(reused) == (400, "wechat_code_used")
    assert _error(unknown) == (400, "wechat_code_invalid")
    assert reused.json()["error"]["message"]


def test_api_logout_revokes_and_refresh_rotates(shopper, fake_wechat):
    session = _sign_in(shopper, fake_wechat, "o-carol")
    refreshed = shopper.post("/api/v1/auth/refresh",
                             json={"refresh_token": session["refresh_token"]}).json()
    old = shopper.get("/api/v1/members/me", headers=_auth(session["access_token"]))
    assert _error(old) == (401, "token_revoked")
    headers = _auth(refreshed["access_token"])
    assert shopper.get("/api/v1/members/me", headers=headers).status_code == 200
    assert shopper.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert _error(shopper.get("/api/v1/members/me", headers=headers)) == (401, "token_revoked")
    after = shopper.post("/api/v1/auth/refresh",
                         json={"refresh_token": refreshed["refresh_token"]})
    assert _error(after) == (401, "token_revoked")


def test_api_an_expired_token_gets_token_expired(fake_wechat, db_url, monkeypatch):
    monkeypatch.setenv("RP_MEMBER_ACCESS_MINUTES", "0")
    from accounts.settings import get_member_session_settings
    from app import create_app

    get_member_session_settings.cache_clear()
    with TestClient(create_app()) as client:
        session = _sign_in(client, fake_wechat, "o-dave")
        expired = client.get("/api/v1/members/me", headers=_auth(session["access_token"]))
        renewed = client.post("/api/v1/auth/refresh",
                              json={"refresh_token": session["refresh_token"]})
    assert _error(expired) == (401, "token_expired")
    assert renewed.status_code == 200  # the refresh token still lives


def _ledger(member_id: int) -> dict[int, tuple]:
    with session_scope() as db_session:
        entries = db_session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member_id))
        return {e.id: (e.kind, e.points, e.idempotency_key, e.expires_on) for e in entries}


def _activity(reads, member_id: int, seed: int, receipt_no: str, total: str) -> str:
    """An approved receipt (each on its own day: the fixed readings share one image hash)."""
    reads(reading(receipt_no=receipt_no, total=total, day=date(2026, 11, seed)))
    return submit_and_process(member_id, seed)


def test_api_binding_the_phone_merges_the_desk_member_keeping_every_entry(
    shopper, fake_wechat, member, reads
):
    """The desk created M100 (phone 139…) and credited it; the shopper then signs in with
    WeChat, earns and owes, and binds that phone: M100 (older) absorbs the new member."""
    desk_receipts = [_activity(reads, member, 1, "D-1", "279.00"),
                     _activity(reads, member, 2, "D-2", "30.00")]
    with session_scope() as db_session:
        ledger.redeem(db_session, member_id=member, points=100, key="order-1", actor="test",
                      reason="积分商城")
    wechat = _sign_in(shopper, fake_wechat, "o-erin")
    with session_scope() as db_session:
        wechat_id = points_service.get_by_code(db_session=db_session,
                                               code=wechat["member"]["code"]).id
    wechat_receipt = _activity(reads, wechat_id, 3, "W-1", "88.00")
    with session_scope() as db_session:  # a debt the desk member's lots must cover
        ledger.adjust(db_session, member_id=wechat_id, points=-120, key="fix-1", actor="test",
                      reason="更正", expires_on=None, allow_negative=True)
    before = {**_ledger(member), **_ledger(wechat_id)}
    assert len(before) == 5
    expected_balance = sum(points for _, points, _, _ in before.values())
    with session_scope() as db_session:
        allocations_before = db_session.scalars(select(LedgerAllocation.id)).all()

    bound = shopper.post("/api/v1/auth/phone", headers=_auth(wechat["access_token"]),
                         json={"code": fake_wechat.issue_code("o-erin", phone=PHONE)})

    assert bound.status_code == 200, bound.text
    body = bound.json()
    assert (body["member"]["code"], body["merged_from"]) == ("M100", wechat["member"]["code"])
    assert body["member"]["phone_masked"] == "139****5678"
    after = _ledger(member)
    merge_entries = {i: e for i, e in after.items() if i not in before}
    assert {i: e for i, e in after.items() if i in before} == before
    assert [(kind, points) for kind, points, _, _ in merge_entries.values()] == [("merge", 0)]
    assert _ledger(wechat_id) == {}
    with session_scope() as db_session:
        survivor, absorbed = db_session.get(Member, member), db_session.get(Member, wechat_id)
        assert survivor.points_balance == expected_balance == ledger.balance(db_session, member)
        assert ledger.available(db_session, member) == expected_balance  # the debt is covered
        assert ledger.debts(db_session, member) == []
        assert set(allocations_before) <= set(db_session.scalars(select(LedgerAllocation.id)))
        owners = db_session.scalars(select(Receipt.member_id).where(
            Receipt.id.in_([*desk_receipts, wechat_receipt]))).all()
        assert owners == [member] * 3
        assert (survivor.openid, absorbed.openid, absorbed.merged_into_id) == (
            "o-erin", None, member)
        merge = db_session.scalars(select(MemberMerge)).one()
        assert (merge.from_member_id, merge.to_member_id, merge.moved["ledger_entry"]) == (
            wechat_id, member, 2)
        audit = db_session.scalars(select(AuditEntry).where(
            AuditEntry.action == "member_merge")).one()
        assert (audit.actor, audit.target_id) == (f"member:{wechat['member']['code']}", "M100")
        assert points_service.find_by_text(db_session=db_session, text=PHONE).id == member
        assert points_service.find_by_text(db_session=db_session,
                                           text=wechat["member"]["code"]).id == member
    old = shopper.get("/api/v1/members/me", headers=_auth(wechat["access_token"]))
    assert _error(old) == (401, "token_revoked")
    account = shopper.get("/api/v1/members/me/points",
                          headers=_auth(body["access_token"])).json()
    assert (account["member_code"], account["balance"]) == ("M100", expected_balance)
    again = _sign_in(shopper, fake_wechat, "o-erin")  # the openid now leads to M100
    assert (again["member"]["code"], again["created"]) == ("M100", False)


def test_api_a_desk_member_created_later_is_merged_into_the_wechat_member(
    shopper, fake_wechat, demo_mall, reads
):
    wechat = _sign_in(shopper, fake_wechat, "o-fay")
    with session_scope() as db_session:
        desk = points_service.get_or_create_by_code(db_session=db_session, code="M200",
                                                    phone="13700001111").id
    _activity(reads, desk, 4, "D-9", "50.00")
    bound = shopper.post("/api/v1/auth/phone", headers=_auth(wechat["access_token"]),
                         json={"code": fake_wechat.issue_code("o-fay", phone="13700001111")})
    assert bound.status_code == 200, bound.text
    assert (bound.json()["member"]["code"], bound.json()["merged_from"]) == (
        wechat["member"]["code"], "M200")
    balance = shopper.get("/api/v1/members/me/points",
                          headers=_auth(bound.json()["access_token"])).json()["balance"]
    assert balance == 50


def test_api_a_phone_bound_to_another_wechat_member_is_a_409(shopper, fake_wechat):
    first = _sign_in(shopper, fake_wechat, "o-gus")
    shopper.post("/api/v1/auth/phone", headers=_auth(first["access_token"]),
                 json={"code": fake_wechat.issue_code("o-gus", phone="13600002222")})
    second = _sign_in(shopper, fake_wechat, "o-hal")
    taken = shopper.post("/api/v1/auth/phone", headers=_auth(second["access_token"]),
                         json={"code": fake_wechat.issue_code("o-hal", phone="13600002222")})
    assert _error(taken) == (409, "phone_bound_elsewhere")
    me = shopper.get("/api/v1/members/me", headers=_auth(second["access_token"])).json()
    assert me["phone_bound"] is False
