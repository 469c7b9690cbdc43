"""A service-desk working session in the real browser: log in, work three queue items
(approve by keyboard, correct + approve, reject), enter a paper receipt, see its repeat
refused, reverse a purchase; then the ledger and the audit log must tell the same story.
Screenshots of every page go to var/screenshots/ (or $RP_SCREENSHOT_DIR)."""

import time
from decimal import Decimal

from fakes import FixedReader, reading, submit_and_process
from sqlalchemy import select

from accounts.models import AuditEntry
from core.db import session_scope
from points.models import LedgerEntry, Member
from receipts import flow
from receipts.models import Receipt, Status


def _queue(monkeypatch, member: int) -> list[str]:
    """Three receipts the machine was not sure of, oldest first."""
    ids = []
    for seed, read in ((1, reading(conf=0.5, receipt_no="A-1")),
                       (2, reading(conf=0.5, receipt_no="A-2", total="30.00")),
                       (3, reading(merchant=None, receipt_no="A-3"))):
        monkeypatch.setattr(flow, "reader_for", lambda *snapshot, r=read: FixedReader(r))
        ids.append(submit_and_process(member, seed))
    return ids


def _loaded_width(image, seconds: float = 10) -> int:
    """The photo's width once the browser has loaded it (0 if it never does): the page is
    there before its image (the CSP forbids the eval that wait_for_function polls with)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        width = image.evaluate("img => img.complete ? img.naturalWidth : -1")
        if width >= 0:
            return width
        time.sleep(0.05)
    return 0


def _receipts(ids: list[str]) -> list[Receipt]:
    with session_scope() as db_session:
        return [db_session.get(Receipt, receipt_id) for receipt_id in ids]


def test_web_desk_works_the_queue_enters_a_receipt_and_reverses_one(
    live_server, page, screenshot, log_in, demo_mall, member, monkeypatch
):
    first, second, third = _queue(monkeypatch, member)
    log_in("li", "desk", "李娜")
    page.click("nav >> text=审核队列")
    assert page.locator("#queue tbody tr").count() == 3
    screenshot("queue")

    # 1: approve as read, by keyboard
    page.click("#start")
    assert page.url.split("?")[0].endswith(f"/desk/review/{first}")
    assert page.locator("label.low-confidence[data-field=total] .conf").inner_text() == (
        "置信度 50%")
    assert _loaded_width(page.locator(".receipt-image img")) > 0
    screenshot("review-item")
    page.keyboard.press("a")
    page.wait_for_url(f"**/desk/review/{second}**")
    assert page.locator(".flash.ok").inner_text() == "已通过并积分"

    # 2: the amount was misread: correct it, then approve
    page.fill("input[name=total]", "36.5")
    screenshot("review-correct")
    page.click("#approve")
    page.wait_for_url(f"**/desk/review/{third}**")

    # 3: not one of the mall's stores: reject with the reason the shopper will see
    page.select_option("#reject-reason", "not_mall_store")
    screenshot("review-reject")
    page.click("#reject")
    page.wait_for_url("**/desk/review?**")
    assert page.locator(".flash.ok").inner_text() == "已驳回，会员将看到驳回原因"
    assert page.locator("#queue tbody").inner_text() == "没有待审核的小票"

    # a paper receipt at the counter, found by phone, then the same receipt again
    page.click("nav >> text=人工录入")
    page.fill("input[name=q]", "13912345678")
    page.click("#member-search button")
    assert "139****5678" in page.locator("#member").inner_text()
    page.select_option("select[name=merchant_id]", "m002")
    page.fill("input[name=receipt_no]", "P-0088")
    page.fill("input[name=purchase_date]", "2026-11-21")
    page.fill("input[name=purchase_time]", "10:15:00")
    page.fill("input[name=total]", "88")
    page.select_option("select[name=payment_method]", "wechat")
    screenshot("manual-form")
    page.click("#submit-manual")
    assert page.locator(".flash.ok").inner_text().startswith("已积分 +")
    manual_points = int(page.locator("#result strong").inner_text())
    screenshot("manual-done")
    page.click("text=继续为该会员录入")
    page.select_option("select[name=merchant_id]", "m002")
    page.fill("input[name=receipt_no]", "p 0088")
    page.fill("input[name=purchase_date]", "2026-11-21")
    page.fill("input[name=total]", "88")
    page.click("#submit-manual")
    assert "不能重复积分" in page.locator(".flash.error").inner_text()
    screenshot("manual-duplicate")

    # a refund: find the member's purchases and reverse the first receipt
    page.click("nav >> text=冲红")
    page.fill("input[name=q]", "M100")
    page.click("#receipt-search button")
    row = page.locator(f"tr[data-receipt='{first}']")
    row.locator("input[name=reason]").fill("退货单 R-20261123-01")
    screenshot("reverse-list")
    row.locator("button").click()
    assert page.locator(".flash.ok").inner_text() == "已冲红，积分已扣回"
    screenshot("reverse-done")

    page.click("nav >> text=工作台")
    assert page.locator("#decisions tbody tr td").all_inner_texts() == [
        "li", "2", "1", "1", "1", "5"]
    screenshot("dashboard")
    page.click("nav >> text=操作记录")
    screenshot("audit")

    r1, r2, r3 = _receipts([first, second, third])
    assert (r1.status, r1.points) == (Status.REVERSED, 0)
    assert (r2.status, r2.total, r2.points) == (Status.APPROVED, Decimal("36.50"), 36)
    assert (r3.status, r3.reasons) == (Status.REJECTED, ["not_mall_store"])
    with session_scope() as db_session:
        member_row = db_session.get(Member, member)
        ledger = [(e.kind, e.receipt_id, e.points) for e in db_session.scalars(
            select(LedgerEntry).where(LedgerEntry.member_id == member).order_by(LedgerEntry.id))]
        audit = [(e.action, e.target_id) for e in db_session.scalars(
            select(AuditEntry).where(AuditEntry.actor == "staff:li").order_by(AuditEntry.id))]
        manual_id = db_session.scalar(select(Receipt.id).where(Receipt.channel == "desk"))
    assert ledger == [("earn", first, 279), ("earn", second, 36),
                      ("earn", manual_id, manual_points), ("reverse", first, -279)]
    assert member_row.points_balance == 36 + manual_points
    assert audit == [("login", None), ("approve", first), ("approve", second),
                     ("reject", third), ("manual_entry", manual_id), ("reverse", first)]
