"""Registry operations. Plain functions taking the session as a keyword argument."""

from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import AppError, NotFound
from merchants.models import Merchant
from merchants.schemas import MerchantIn
from merchants.types import MerchantProfile, profile_of

_registry_adapter = TypeAdapter(list[MerchantIn])
DEMO_MALL = Path(__file__).with_name("demo_mall.json")


def parse_registry(raw: str | bytes) -> list[MerchantIn]:
    """Validate a registry JSON document; errors name the offending entry."""
    try:
        return _registry_adapter.validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AppError("registry_invalid", f"商户清单格式错误（{where}）：{first['msg']}") from exc


def upsert_many(*, db_session: Session, merchants: list[MerchantIn]) -> tuple[int, int]:
    """Insert new stores and update existing ones by id. Returns (created, updated)."""
    created = updated = 0
    for item in merchants:
        row = db_session.get(Merchant, item.id)
        if row is None:
            db_session.add(Merchant(**item.model_dump()))
            created += 1
        else:
            for key, value in item.model_dump().items():
                setattr(row, key, value)
            updated += 1
    db_session.flush()
    return created, updated


def import_file(*, db_session: Session, path: Path) -> tuple[int, int]:
    return upsert_many(db_session=db_session, merchants=parse_registry(path.read_bytes()))


def get(*, db_session: Session, merchant_id: str) -> Merchant | None:
    return db_session.get(Merchant, merchant_id)


def name_of(*, db_session: Session, merchant_id: str | None) -> str | None:
    merchant = get(db_session=db_session, merchant_id=merchant_id) if merchant_id else None
    return merchant.name if merchant else None


def get_or_raise(*, db_session: Session, merchant_id: str) -> Merchant:
    merchant = get(db_session=db_session, merchant_id=merchant_id)
    if merchant is None:
        raise NotFound("merchant_not_found", f"商户 {merchant_id} 不存在")
    return merchant


def get_all(*, db_session: Session, active_only: bool = False) -> list[Merchant]:
    query = select(Merchant).order_by(Merchant.id)
    if active_only:
        query = query.where(Merchant.active.is_(True))
    return list(db_session.scalars(query))


def active_profiles(*, db_session: Session) -> list[MerchantProfile]:
    return [profile_of(m) for m in get_all(db_session=db_session, active_only=True)]

