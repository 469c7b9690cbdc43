"""The desk's work pages over HTTP (no browser): review queue and item, manual entry,
reversal, audit log, staff accounts; form errors as pages, roles, CSRF."""

import re

import pytest
from fakes import photo_bytes, reading, submit_and_process
from sqlalchemy import func, select
from staff_pages import csrf_token

from accounts import service as accounts
from accounts.models import AuditEntry, StaffAccount
from core.db import session_scope
from points.models import LedgerEntry
from receipts.models import Receipt, Status


@pytest.fixture
def staff(db_url):
    with session_scope() as db_session:
        for username, role in (("li", "desk"), ("wang", "desk"), ("zhao", "ops"),
                               ("boss", "admin")):
            accounts.create_staff(db_session, username=username, display_name=username.upper(),
                                  role=role, password="correct-horse")


def _log_in(client, username="li") -> str | None:
    """Log in; returns the session's CSRF token when the account may open the dashboard."""
    response = client.post("/desk/login", data={"username": username,
                                                "password": "correct-horse"},
                           follow_redirects=False)
    assert response.status_code == 303
    dashboard = client.get("/desk/")
    return csrf_token(dashboard.text) if dashboard.status_code == 200 else None


def _receipt(receipt_id: str) -> Receipt:
    with session_scope() as db_session:
        return db_session.get(Receipt, receipt_id)


def _form(receipt_id: str, **changes) -> dict:
    values = {"merchant_id": "m001", "purchase_date": "2026-11-20", "purchase_time": "14:32:00",
              "total": "279.00", "receipt_no": f"A-{receipt_id[:4]}", "payment_method": ""}
    return {**values, **changes}


def test_pages_review_item_shows_image_fields_and_low_confidence(client, staff, member, reads):
    reads(reading(conf=0.5))
    receipt_id = submit_and_process(member, 1)
    _log_in(client)
    page = client.get(f"/desk/review/{receipt_id}")
    assert page.status_code == 200
    assert f'src="/desk/receipts/{receipt_id}/image"' in page.text
    assert re.search(r'class="low-confidence" data-field="total">实付金额（元） '
                     r'<span class="conf">置信度 50%', page.text)
    assert 'name="total" inputmode="decimal" value="279.00"' in page.text
    photo = client.get(f"/desk/receipts/{receipt_id}/image")
    assert (photo.content, photo.headers["content-type"]) == (photo_bytes(1), "image/png")
    assert _receipt(receipt_id).claimed_by == "staff:li"


def test_pages_second_clerk_sees_the_item_taken_and_cannot_decide(client, staff, member, reads):
    reads(reading(conf=0.5))
    receipt_id = submit_and_process(member, 1)
    _log_in(client)
    client.get(f"/desk/review/{receipt_id}")
    token = _log_in(client, "wang")
    page = client.get(f"/desk/review/{receipt_id}")
    assert "该小票正由 li 处理" in page.text and 'id="approve"' not in page.text
    refused = client.post(f"/desk/review/{receipt_id}/approve",
                          data={**_form(receipt_id), "csrf_token": token})
    assert refused.status_code == 409 and "该小票正由 li 处理" in refused.text
    assert _receipt(receipt_id).status == Status.NEEDS_REVIEW


def test_pages_correct_and_approve_then_next_item(client, staff, member, reads):
    reads(reading(conf=0.5, receipt_no=None))
    first, second = submit_and_process(member, 1), submit_and_process(member, 2)
    token = _log_in(client)
    opened = client.get("/desk/review/next", follow_redirects=False)
    assert opened.headers["location"].startswith(f"/desk/review/{first}")
    done = client.post(f"/desk/review/{first}/approve",
                       data={**_form(first, total="300.00"), "csrf_token": token})
    assert done.status_code == 200 and str(done.url).split("?")[0].endswith(second)
    assert "已通过并积分" in done.text
    receipt = _receipt(first)
    assert (receipt.status, receipt.total, receipt.points) == (Status.APPROVED, 300, 300)
    with session_scope() as db_session:
        assert db_session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


@pytest.mark.parametrize(("changes", "message", "typed"), [
    ({"total": "abc"}, "金额格式不正确", 'value="abc"'),
    ({"total": "-5"}, "金额须大于 0", 'value="-5"'),
    ({"purchase_date": "2026-13-01"}, "消费日期格式不正确", 'value="2026-13-01"'),
    ({"purchase_time": "25:00"}, "消费时间格式不正确", 'value="25:00"'),
    ({"payment_method": "bitcoin"}, "请从列表中选择支付方式", 'value="A-'),
    ({"merchant_id": "nope"}, "商户", 'value="A-'),
])
def test_pages_bad_field_is_shown_back_with_the_reason(
    client, staff, member, reads, changes, message, typed
):
    reads(reading(conf=0.5))
    receipt_id = submit_and_process(member, 1)
    token = _log_in(client)
    response = client.post(f"/desk/review/{receipt_id}/approve",
                           data={**_form(receipt_id, **changes), "csrf_token": token})
    assert 400 <= response.status_code < 500 and message in response.text
    assert typed in response.text  # what was typed is kept
    assert _receipt(receipt_id).status == Status.NEEDS_REVIEW


def test_pages_reject_with_reason_shopper_sees_it(client, staff, member, reads):
    reads(reading(conf=0.5))
    receipt_id = submit_and_process(member, 1)
    token = _log_in(client)
    missing_note = client.post(f"/desk/review/{receipt_id}/reject",
                               data={"reason": "other", "note": "", "csrf_token": token})
    assert missing_note.status_code == 422 and "请填写说明" in missing_note.text
    client.post(f"/desk/review/{receipt_id}/reject",
                data={"reason": "not_mall_store", "csrf_token": token})
    receipt = _receipt(receipt_id)
    assert (receipt.status, receipt.reasons) == (Status.REJECTED, ["not_mall_store"])


def test_pages_forms_without_the_session_csrf_token_are_refused(client, staff, member, reads):
    reads(reading(conf=0.5))
    receipt_id = submit_and_process(member, 1)
    _log_in(client)
    response = client.post(f"/desk/review/{receipt_id}/reject",
                           data={"reason": "unreadable", "csrf_token": "forged"})
    assert response.status_code == 403
    assert _receipt(receipt_id).status == Status.NEEDS_REVIEW


def test_pages_manual_entry_credits_and_refuses_the_repeat(client, staff, member):
    token = _log_in(client)
    found = client.get("/desk/manual", params={"q": "13912345678"})
    assert "139****5678" in found.text and "13912345678" not in found.text.replace(
        'value="13912345678"', "")
    data = {"csrf_token": token, "member_code": "M100", "merchant_id": "m001",
            "purchase_date": "2026-11-20", "purchase_time": "10:00", "total": "88.00",
            "receipt_no": "P-77", "payment_method": "wechat"}
    from merchants import service as merchant_service
    with session_scope() as db_session:
        merchant_service.import_file(db_session=db_session, path=merchant_service.DEMO_MALL)
    first = client.post("/desk/manual", data=data, files={"photo": ("p.png", photo_bytes(3))})
    assert first.status_code == 201 and "已积分 +88 分" in first.text
    again = client.post("/desk/manual", data={**data, "receipt_no": "p77"})
    assert again.status_code == 409 and "不能重复积分" in again.text
    with session_scope() as db_session:
        receipts = list(db_session.scalars(select(Receipt)))
    assert len(receipts) == 1 and receipts[0].image_sha256 is not None
    unknown = client.get("/desk/manual", params={"q": "M999"})
    assert unknown.status_code == 404 and "找不到该会员" in unknown.text


def test_pages_reversal_finds_the_receipt_and_takes_points_back(client, staff, member, reads):
    reads(reading())
    receipt_id = submit_and_process(member, 1)
    assert _receipt(receipt_id).status == Status.APPROVED
    token = _log_in(client)
    listed = client.get("/desk/reverse", params={"q": "A-001"})
    assert f'data-receipt="{receipt_id}"' in listed.text
    no_reason = client.post(f"/desk/receipts/{receipt_id}/reverse",
                            data={"csrf_token": token, "reason": " "})
    assert no_reason.status_code == 422 and "请填写冲红原因" in no_reason.text
    done = client.post(f"/desk/receipts/{receipt_id}/reverse",
                       data={"csrf_token": token, "reason": "退货单 R-1", "q": "M100"})
    assert done.status_code == 200 and "已冲红" in done.text
    assert _receipt(receipt_id).status == Status.REVERSED
    twice = client.post(f"/desk/receipts/{receipt_id}/reverse",
                        data={"csrf_token": token, "reason": "again"})
    assert twice.status_code == 409 and "只有已积分的小票可以冲红" in twice.text


def test_pages_roles_desk_cannot_reach_admin_or_ops_and_cookies_never_reach_the_api(
    client, staff
):
    _log_in(client)
    assert client.get("/desk/staff").status_code == 403
    assert client.get("/desk/review").status_code == 200
    for path in ("/api/v1/ops/rules", "/api/v1/ops/reports/daily", "/api/v1/desk/review"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "auth_required"
    _log_in(client, "zhao")
    for path in ("/desk/review", "/desk/manual", "/desk/reverse", "/desk/audit", "/desk/staff"):
        assert client.get(path).status_code == 403, path


def test_pages_admin_creates_and_disables_staff_and_it_is_audited(client, staff):
    token = _log_in(client, "boss")
    bad = client.post("/desk/staff", data={"csrf_token": token, "username": "a b",
                                           "display_name": "x", "role": "desk",
                                           "password": "long-enough"})
    assert bad.status_code == 422 and "表单填写有误" in bad.text
    client.post("/desk/staff", data={"csrf_token": token, "username": "chen",
                                     "display_name": "陈", "role": "desk",
                                     "password": "long-enough"})
    client.post("/desk/staff/li/active", data={"csrf_token": token})
    with session_scope() as db_session:
        chen = db_session.scalar(select(StaffAccount).where(StaffAccount.username == "chen"))
        li = db_session.scalar(select(StaffAccount).where(StaffAccount.username == "li"))
        actions = [(e.action, e.target_id) for e in db_session.scalars(
            select(AuditEntry).where(AuditEntry.actor == "staff:boss").order_by(AuditEntry.id))]
    assert chen.role == "desk" and not li.active
    assert actions == [("login", None), ("staff_create", "chen"), ("staff_disable", "li")]
    assert "staff_disable" in client.get("/desk/audit").text


def test_pages_review_item_lists_lookalikes_and_a_credited_one_needs_the_checkbox(
    client, staff, member, reads
):
    """A reshoot of the item was credited: the page lists it with its status and a link,
    approving needs the explicit confirmation, which the audit line records."""
    reads(reading(receipt_no="XS20261018222", total="98.00"))
    credited = submit_and_process(member, 1)
    reads(reading(receipt_no="X820261018222", total="198.00", conf=0.5))
    item = submit_and_process(member, 2)
    assert _receipt(credited).status == Status.APPROVED
    token = _log_in(client)
    page = client.get(f"/desk/review/{item}")
    assert f'<a href="/desk/review/{credited}">{credited[:8]}</a>' in page.text
    assert re.search(rf'data-receipt="{credited}">.*?<td>积分成功</td>', page.text, re.S)
    assert 'id="confirm-lookalike"' in page.text
    form = {**_form(item, total="98.00", receipt_no="X820261018222"), "csrf_token": token}
    refused = client.post(f"/desk/review/{item}/approve", data=form)
    assert refused.status_code == 409 and "相似小票已积分" in refused.text
    assert _receipt(item).status == Status.NEEDS_REVIEW
    done = client.post(f"/desk/review/{item}/approve", follow_redirects=False,
                       data={**form, "confirm_lookalike": "true"})
    assert done.status_code == 303 and _receipt(item).status == Status.APPROVED
    with session_scope() as db_session:
        line = db_session.scalars(select(AuditEntry).where(AuditEntry.target_id == item)).one()
        credits = db_session.scalar(select(func.count()).select_from(LedgerEntry))
    assert credited in line.after["note"] and credits == 2
