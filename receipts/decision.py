"""Deciding a read receipt: duplicate, approved (credited once), rejected by a points
rule, or sent to the desk with reasons."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from core.errors import AppError, Conflict
from dedupe import claims
from dedupe import service as dedupe
from merchants import service as merchant_service
from points import earning
from receipts import fraud, records
from receipts.messages import reason_text
from receipts.models import Channel, Receipt, Status
from receipts.reading import auto_approves, low_fields, thresholds_for

# A purchase "in the future" is far more often a misread date than a real one: a person
# looks at it instead of the shopper being told no.
DOUBTFUL_RULE_REASONS = {"date_in_future"}
# Verdicts of dedupe.check that a person must look at.
POSSIBLE_DUPLICATE = {"near_fields": "possible_duplicate", "near_receipt_no": "possible_duplicate"}


def decide(
    db_session: Session, receipt: Receipt, *, actor: str, today: date,
    notes: Sequence[str] = ()
) -> None:
    """Duplicate, approved (credited), rejected by a points rule, or needs_review. ``notes``
    are reason codes the reading gave (a year inferred or doubted): shown with the others
    when the receipt goes to review."""
    records.index_fields(db_session, receipt)
    verdict = dedupe.check(db_session=db_session, receipt_id=receipt.id,
                           evidence=evidence(receipt))
    if verdict.is_duplicate:
        mark_duplicate(db_session, receipt, verdict.duplicate_of, actor, verdict.kind)
        return
    merchant = (merchant_service.get(db_session=db_session, merchant_id=receipt.merchant_id)
                if receipt.merchant_id else None)
    low = low_fields(receipt.confidence or {}, thresholds_for(merchant))
    field_reasons = _field_reasons(receipt, low) + registry_reasons(db_session, receipt)
    if merchant is not None and not auto_approves(merchant):
        field_reasons.append("merchant_manual_review")
    made = None if field_reasons else offer(db_session, receipt, today)
    rule_reasons = list(made.quote.reasons) if made else []
    if made and _date_misread(receipt, made, today):
        rule_reasons.append("date_probable_misread")
    reasons = field_reasons + rule_reasons + fraud.review_signals(db_session, receipt)
    if verdict.kind != "unique":
        receipt.duplicate_of = verdict.duplicate_of
        reasons.append(POSSIBLE_DUPLICATE.get(verdict.kind, verdict.kind))
    receipt.reasons = reasons
    doubtful = DOUBTFUL_RULE_REASONS | {"date_probable_misread"}
    if reasons == rule_reasons and reasons and not set(reasons) & doubtful:
        # Every field was read confidently and a rule says no: the shopper is told why
        # at once instead of waiting for the desk to say the same.
        dedupe.retire(db_session=db_session, receipt_id=receipt.id)
        records.transition(db_session, receipt, Status.REJECTED, actor, ",".join(reasons))
    elif reasons:
        receipt.reasons = reasons + [note for note in notes if note not in reasons]
        records.transition(db_session, receipt, Status.NEEDS_REVIEW, actor, ",".join(reasons))
    else:
        approve(db_session, receipt, actor, made, today)


def _date_misread(receipt: Receipt, made: earning.Offer, today: date) -> bool:
    """The purchase is refused as too old, and the same month and day a year away would be
    in the validity window: OCR (or the till's clock) probably got the year wrong, so a
    person looks instead of the shopper being refused. (A date in the future always goes
    to a person.)"""
    if "outside_validity_window" not in made.quote.reasons:
        return False
    bought = receipt.purchase_date
    for years in (-1, 1):
        try:
            shifted = bought.replace(year=bought.year + years)
        except ValueError:  # 29 February
            shifted = bought.replace(year=bought.year + years, day=28)
        if shifted <= today and (today - shifted).days <= made.rules.validity_days:
            return True
    return False


def _field_reasons(receipt: Receipt, low_confidence: list[str]) -> list[str]:
    reasons = []
    values = {"merchant": receipt.merchant_id, "date": receipt.purchase_date,
              "total": receipt.total}
    for name, value in values.items():
        if value is None:
            reasons.append("merchant_unknown" if name == "merchant" else f"{name}_missing")
        elif name in low_confidence:
            reasons.append(f"{name}_low_confidence")
    return reasons


def registry_reasons(db_session: Session, receipt: Receipt) -> list[str]:
    reasons = []
    if receipt.merchant_id:
        merchant = merchant_service.get(db_session=db_session, merchant_id=receipt.merchant_id)
        if merchant is None or not merchant.active:
            reasons.append("merchant_inactive")
    if receipt.total is not None and receipt.total <= 0:
        reasons.append("amount_not_positive")
    return reasons


def offer(db_session: Session, receipt: Receipt, today: date) -> earning.Offer:
    merchant = merchant_service.get_or_raise(db_session=db_session, merchant_id=receipt.merchant_id)
    return earning.offer(
        db_session, member_id=receipt.member_id, merchant=merchant, amount=receipt.total,
        day=receipt.purchase_date, payment_method=receipt.payment_method, today=today,
    )


def approve(
    db_session: Session, receipt: Receipt, actor: str, made: earning.Offer, today: date,
    details: dict | None = None, *, lookalike_confirmed: bool = False
) -> None:
    """Credit once: the receipt's claim keys first. Another receipt holding its bytes or
    number makes it a duplicate; one holding a look-alike key (a near-identical number of
    the same store, day and minute, credited meanwhile) sends it to review, unless a person
    confirmed it is another purchase."""
    conflict = claims.claim(db_session=db_session, receipt_id=receipt.id,
                            lookalikes=not lookalike_confirmed, evidence=evidence(receipt))
    if conflict is not None and conflict.certain:
        mark_duplicate(db_session, receipt, conflict.holder, actor,
                       _claimed_kind(receipt, conflict))
        return
    if conflict is not None:
        receipt.duplicate_of = conflict.holder
        receipt.reasons = ["possible_duplicate"]
        records.transition(db_session, receipt, Status.NEEDS_REVIEW, actor, "possible_duplicate")
        return
    name = merchant_service.name_of(db_session=db_session, merchant_id=receipt.merchant_id)
    entry, _created = earning.credit(
        db_session, made, member_id=receipt.member_id, receipt_id=receipt.id, actor=actor,
        reason=f"{name} ¥{receipt.total:.2f}", today=today,
    )
    receipt.points = entry.points
    receipt.reasons = []
    records.transition(db_session, receipt, Status.APPROVED, actor, f"+{entry.points}", details)


def evidence(receipt: Receipt) -> claims.Evidence:
    return claims.Evidence(receipt.member_id, payment=receipt.channel == Channel.PAYMENT)


def _claimed_kind(receipt: Receipt, conflict: claims.ClaimConflict) -> str:
    """paid: a payment credited the purchase; receipt_credited: a photo or desk entry did,
    before its payment arrived; claimed: the same kind of evidence did."""
    if conflict.by_payment == (receipt.channel == Channel.PAYMENT):
        return "claimed"
    return "paid" if conflict.by_payment else "receipt_credited"


def mark_duplicate(
    db_session: Session, receipt: Receipt, first: str, actor: str, kind: str
) -> None:
    """A repeat of ``first``. Held by another member, the signal is recorded; and while
    that member's receipt waits in review (it may yet be refused), a person decides both.
    (One still being read stays the original: uploads of one photo at once credit once.)"""
    receipt.duplicate_of = first
    holder = fraud.claimed_by_other_member(db_session, receipt, first)
    shared = {"signal": fraud.SHARED, "holder_member_id": holder.member_id} if holder else {}
    if holder is not None and holder.status == Status.NEEDS_REVIEW:
        receipt.reasons = [fraud.SHARED, "possible_duplicate"]
        records.transition(db_session, receipt, Status.NEEDS_REVIEW, actor, fraud.SHARED, shared)
        return
    receipt.reasons = [f"duplicate_{kind}", *([fraud.SHARED] if holder else [])]
    dedupe.retire(db_session=db_session, receipt_id=receipt.id)
    records.transition(db_session, receipt, Status.DUPLICATE, actor, f"duplicate_of {first}",
                       shared)


def require_key_fields(receipt: Receipt) -> None:
    missing = [n for n in ("merchant_id", "purchase_date", "total") if getattr(receipt, n) is None]
    if missing:
        raise AppError("fields_required", f"请先补全：{', '.join(missing)}", status=422)


def refuse_certain_duplicate(
    db_session: Session, receipt: Receipt, *, confirmed_not_similar: bool
) -> None:
    """Staff may not credit a repeat. A near match (same store, amount and minute, no
    receipt number) is refused too unless the staff member confirmed it differs."""
    verdict = dedupe.check(db_session=db_session, receipt_id=receipt.id,
                           evidence=evidence(receipt))
    if verdict.kind == "paid":
        raise Conflict("duplicate_receipt", paid_message(verdict.duplicate_of))
    if verdict.is_duplicate:
        raise Conflict(
            "duplicate_receipt", f"该小票已在其他记录中积分（{verdict.duplicate_of}），不能重复积分"
        )
    if verdict.kind != "unique" and not confirmed_not_similar:
        alike = ("的小票号仅一字之差" if verdict.kind == "near_receipt_no"
                 else "的商户、金额和时间相同")
        raise Conflict(
            "possible_duplicate",
            f"与已登记小票（{verdict.duplicate_of}）{alike}；如核实不是同一张小票，请确认后再提交",
        )


def paid_message(payment_receipt_id: str) -> str:
    return f"{reason_text('duplicate_paid')}（{payment_receipt_id}），不能重复积分"


def eligible_offer(db_session: Session, receipt: Receipt, today: date) -> earning.Offer:
    if reasons := registry_reasons(db_session, receipt):
        raise NotEligible(reasons)
    made = offer(db_session, receipt, today)
    if made.quote.reasons:
        raise NotEligible(list(made.quote.reasons))
    return made


class NotEligible(Conflict):
    """A points rule says this purchase earns nothing; ``reasons`` are its codes."""

    def __init__(self, reasons: list[str]):
        texts = "；".join(reason_text(code) for code in reasons)
        super().__init__("not_eligible", f"不符合积分规则：{texts}")
        self.reasons = reasons
