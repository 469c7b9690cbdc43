"""Registry changes as ops make them (pages or API): each leaves one audit line with the
stores before and after."""

from sqlalchemy.orm import Session

from accounts import service as accounts
from merchants import service as merchants
from merchants.models import Merchant
from merchants.schemas import MerchantIn


def create(db_session: Session, *, merchant: MerchantIn, actor: str) -> Merchant:
    row = merchants.create(db_session=db_session, merchant=merchant)
    _audit(db_session, actor, "merchant_create", row.id, {}, merchants.snapshot(row))
    return row


def update(db_session: Session, *, merchant_id: str, changes: dict, actor: str) -> Merchant:
    before = merchants.snapshot(merchants.get_or_raise(db_session=db_session,
                                                       merchant_id=merchant_id))
    row = merchants.update(db_session=db_session, merchant_id=merchant_id, changes=changes)
    _audit(db_session, actor, "merchant_update", merchant_id, before, merchants.snapshot(row))
    return row


def import_all(db_session: Session, *, items: list[MerchantIn], actor: str) -> tuple[int, int]:
    """New ids are added, known ones replaced; returns (created, updated)."""
    before = {m.id: merchants.snapshot(row) for m in items
              if (row := merchants.get(db_session=db_session, merchant_id=m.id))}
    created, updated = merchants.upsert_many(db_session=db_session, merchants=items)
    after = {m.id: m.model_dump(mode="json") for m in items}
    _audit(db_session, actor, "merchant_import", None, before, after)
    return created, updated


def _audit(db_session: Session, actor: str, action: str, target_id: str | None,
           before: dict, after: dict) -> None:
    accounts.record(db_session, actor=actor, action=action, target_type="merchant",
                    target_id=target_id, before=before, after=after)
