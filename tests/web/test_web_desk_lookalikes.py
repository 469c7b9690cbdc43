"""The desk in the real browser, on a reshoot (issue 15): the good photo of a receipt was
credited, the misread one waits in the queue. Its page lists the credited look-alike with
its status and a link; correcting only the amount and approving is refused until the clerk
ticks the confirmation, which the audit log then names. Screenshots go to var/screenshots/."""

from fakes import FixedReader, reading, submit_and_process
from sqlalchemy import func, select

from accounts.models import AuditEntry
from core.db import session_scope
from points.models import LedgerEntry
from receipts import flow
from receipts.models import Receipt, Status


def _photo(monkeypatch, member: int, seed: int, read) -> str:
    monkeypatch.setattr(flow, "reader_for", lambda *snapshot: FixedReader(read))
    return submit_and_process(member, seed)


def test_web_desk_sees_the_credited_reshoot_and_must_confirm_to_credit_again(
    live_server, page, screenshot, log_in, demo_mall, member, monkeypatch
):
    credited = _photo(monkeypatch, member, 1, reading(receipt_no="XS20261018222", total="98.00"))
    misread = _photo(monkeypatch, member, 2,
                     reading(receipt_no="X820261018222", total="198.00", conf=0.5))
    log_in("li", "desk", "李娜")
    page.goto(f"{live_server}/desk/review/{misread}")
    row = page.locator(f"#lookalikes tr[data-receipt='{credited}']")
    assert "积分成功" in row.inner_text() and "XS20261018222" in row.inner_text()
    assert row.locator("a").get_attribute("href") == f"/desk/review/{credited}"
    screenshot("lookalikes")

    page.fill("input[name=total]", "98.00")
    page.click("#approve")
    assert "相似小票已积分" in page.locator(".flash.error").inner_text()
    with session_scope() as db_session:
        assert db_session.get(Receipt, misread).status == Status.NEEDS_REVIEW
        assert db_session.scalar(select(func.count()).select_from(LedgerEntry)) == 1

    page.fill("input[name=total]", "98.00")
    page.check("#confirm-lookalike")
    screenshot("lookalikes-confirmed")
    page.click("#approve")
    page.wait_for_url("**/desk/review?**")
    with session_scope() as db_session:
        assert db_session.get(Receipt, misread).status == Status.APPROVED
        assert db_session.scalar(select(func.count()).select_from(LedgerEntry)) == 2
        line = db_session.scalars(select(AuditEntry).where(AuditEntry.target_id == misread)).one()
    assert credited in line.after["note"]
