"""Fraud signals: what sends a receipt to a person even when every field was read and
every rule allows it. Each has its own reason code, and its evidence is kept by code in
``Receipt.signals`` for the desk's page. A signal never rejects: a person decides.

- Too many receipts of one member for one purchase day, and of one member in one store
  for one purchase day. Counted by the purchase day, not the upload day: what is
  implausible is one person buying that often in a day (as the points caps count), and a
  shopper who uploads last week's receipts at once is not; spreading uploads over several
  days does not hide it either. Every receipt of the member for that day counts (any
  channel, any outcome) except duplicates, which are the same purchase again.
- The same receipt (bytes, number or WeChat Pay transaction) claimed by another member:
  still a duplicate, with the signal recorded, unless the first holder waits in review
  (see ``decision.mark_duplicate``).
- The photo is a screenshot or a photo of a screen, or its metadata names an editor
  (``ocr.forensics``; the metadata was read at upload, before it was stripped).
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ocr import forensics
from points.models import Member
from receipts.messages import SIGNAL_EVIDENCE, STATUS_TEXT
from receipts.models import Receipt, Status
from receipts.settings import get_receipt_settings

MEMBER_DAY = "many_receipts_member_day"
STORE_DAY = "many_receipts_store_day"
SHARED = "claimed_by_other_member"
SCREENSHOT = "image_screenshot"
SCREEN_PHOTO = "image_screen_photo"
EDITED = "image_edited"
SIGNALS = (MEMBER_DAY, STORE_DAY, SHARED, SCREENSHOT, SCREEN_PHOTO, EDITED)


def review_signals(db_session: Session, receipt: Receipt) -> list[str]:
    """The signals of a read receipt, recorded with their evidence; returns their codes."""
    found = count_signals(db_session, receipt) | image_signals(receipt.image_traits or {})
    _record(receipt, found)
    return list(found)


def count_signals(db_session: Session, receipt: Receipt) -> dict[str, dict]:
    if receipt.purchase_date is None:
        return {}
    settings = get_receipt_settings()
    per_store = dict(db_session.execute(
        select(Receipt.merchant_id, func.count()).where(
            Receipt.member_id == receipt.member_id,
            Receipt.purchase_date == receipt.purchase_date,
            Receipt.status != Status.DUPLICATE, Receipt.id != receipt.id,
        ).group_by(Receipt.merchant_id)).all())
    day = receipt.purchase_date.isoformat()
    found = {}
    member_count = sum(per_store.values()) + 1
    if member_count > settings.max_receipts_per_member_day:
        found[MEMBER_DAY] = {"day": day, "count": member_count,
                             "limit": settings.max_receipts_per_member_day}
    store_count = per_store.get(receipt.merchant_id, 0) + 1
    if receipt.merchant_id and store_count > settings.max_receipts_per_member_store_day:
        found[STORE_DAY] = {"day": day, "count": store_count,
                            "limit": settings.max_receipts_per_member_store_day}
    return found


def image_signals(traits: dict) -> dict[str, dict]:
    found = {}
    if tool := forensics.editor(traits):
        found[EDITED] = {"software": tool}
    size = "×".join(str(side) for side in traits.get("size") or ())
    if forensics.screenshot(traits):
        found[SCREENSHOT] = {"size": size, "format": traits.get("format"),
                             "flat": traits.get("flat")}
    elif forensics.screen_photo(traits):
        found[SCREEN_PHOTO] = {"peak": traits.get("peak")}
    return found


def claimed_by_other_member(db_session: Session, receipt: Receipt, first_id: str) -> Receipt | None:
    """The receipt ``first_id`` when another member holds it, after recording the signal
    on ``receipt``; None when it is the member's own."""
    first = db_session.get(Receipt, first_id)
    if first is None or first.member_id == receipt.member_id:
        return None
    _record(receipt, {SHARED: {"receipt": first.id, "member_id": first.member_id}})
    return first


def _record(receipt: Receipt, found: dict[str, dict]) -> None:
    if found:
        receipt.signals = {**(receipt.signals or {}), **found}


def evidence_lines(db_session: Session, receipt: Receipt) -> list[str]:
    """What the desk reads of each signal, in zh-CN."""
    lines = []
    for code, evidence in (receipt.signals or {}).items():
        values = dict(evidence)
        if code == SHARED:
            other = db_session.get(Receipt, evidence["receipt"])
            member = db_session.get(Member, evidence["member_id"])
            values |= {"member": member.code if member else "（已删除）",
                       "receipt": evidence["receipt"][:8],
                       "status": STATUS_TEXT.get(other.status, "") if other else ""}
        lines.append(SIGNAL_EVIDENCE[code].format(**values))
    return lines
