"""Registry operations. Plain functions taking the session as a keyword argument."""

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.errors import AppError, Conflict, NotFound
from merchants.models import Merchant
from merchants.schemas import MerchantIn, MerchantPatch, MerchantRead
from merchants.types import MerchantProfile, profile_of

_registry_adapter = TypeAdapter(list[MerchantIn])
DEMO_MALL = Path(__file__).with_name("demo_mall.json")
CSV_COLUMNS = tuple(MerchantIn.model_fields)
LIST_COLUMNS = ("aliases", "payment_merchant_ids")
LIST_SEPARATOR = "|"
UTF8_BOM = "\ufeff"


def parse_registry(raw: str | bytes) -> list[MerchantIn]:
    """Validate a registry JSON document; errors name the offending entry (from 0)."""
    try:
        merchants = _registry_adapter.validate_json(raw)
    except ValidationError as exc:
        where, problem = _first_error(exc)
        raise _registry_invalid(f"商户清单格式错误（{where}）：{problem}") from exc
    if repeat := _first_repeat([m.id for m in merchants]):
        earlier, later = repeat
        raise _registry_invalid(
            f"商户清单格式错误（{later}.id）：商户编号 {merchants[later].id} 与第 {earlier} 项重复"
        )
    return merchants


def parse_csv(raw: bytes) -> list[MerchantIn]:
    """Validate a registry CSV as ``to_csv`` writes it (UTF-8, BOM optional, blank cells
    mean "not given"). Errors name the row as a spreadsheet numbers it: the header is row 1."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _registry_invalid(
            "商户清单不是 UTF-8 编码，请在 Excel 中另存为“CSV UTF-8（逗号分隔）”"
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader, [])]
        _check_csv_header(header)
        rows = [(row_no, cells) for row_no, cells in enumerate(reader, start=2)
                if any(cell.strip() for cell in cells)]
    except csv.Error as exc:
        raise _registry_invalid(f"商户清单第 {reader.line_num} 行无法读取：{exc}") from exc
    merchants = [_csv_merchant(row_no, header, cells) for row_no, cells in rows]
    if repeat := _first_repeat([m.id for m in merchants]):
        earlier, later = (rows[i][0] for i in repeat)
        raise _registry_invalid(f"商户清单第 {later} 行 id 列有误：商户编号与第 {earlier} 行重复")
    return merchants


def to_csv(merchants: Iterable[Merchant | MerchantIn]) -> str:
    """The registry as CSV, one store a row; Excel opens it as UTF-8 thanks to the BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for merchant in merchants:
        record = MerchantRead.model_validate(merchant)
        writer.writerow(_csv_cell(getattr(record, column)) for column in CSV_COLUMNS)
    return UTF8_BOM + out.getvalue()


def snapshot(merchant: Merchant) -> dict:
    """The store's registry fields as JSON values (export, audit before/after)."""
    return MerchantRead.model_validate(merchant).model_dump(mode="json")


def create(*, db_session: Session, merchant: MerchantIn) -> Merchant:
    if get(db_session=db_session, merchant_id=merchant.id) is not None:
        raise Conflict("merchant_exists", f"商户编号 {merchant.id} 已存在")
    row = Merchant(**merchant.model_dump())
    db_session.add(row)
    db_session.flush()
    return row


def update(*, db_session: Session, merchant_id: str, changes: dict) -> Merchant:
    """Change only the fields given (see ``MerchantPatch``); ``{"active": False}`` disables."""
    merchant = get_or_raise(db_session=db_session, merchant_id=merchant_id)
    try:
        patch = MerchantPatch.model_validate(changes)
    except ValidationError as exc:
        where, problem = _first_error(exc)
        raise AppError("merchant_invalid", f"商户资料有误（{where}）：{problem}",
                       status=422) from exc
    for key, value in patch.model_dump(exclude_unset=True).items():
        setattr(merchant, key, value)
    db_session.flush()
    return merchant


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


def search(*, db_session: Session, active: bool | None = None, text: str | None = None
           ) -> list[Merchant]:
    """Stores by id; ``text`` matches id, names and shop number, ignoring case."""
    query = select(Merchant).order_by(Merchant.id)
    if active is not None:
        query = query.where(Merchant.active.is_(active))
    if text := (text or "").strip():
        columns = (Merchant.id, Merchant.name, Merchant.english_name, Merchant.shop_no)
        query = query.where(or_(*(c.icontains(text, autoescape=True) for c in columns)))
    return list(db_session.scalars(query))


def get_all(*, db_session: Session, active_only: bool = False) -> list[Merchant]:
    return search(db_session=db_session, active=True if active_only else None)


def names(*, db_session: Session) -> dict[str, str]:
    """Every store's name by id (disabled ones too: old receipts still name them)."""
    return {m.id: m.name for m in get_all(db_session=db_session)}


def active_profiles(*, db_session: Session) -> list[MerchantProfile]:
    return [profile_of(m) for m in get_all(db_session=db_session, active_only=True)]


def _registry_invalid(message: str) -> AppError:
    return AppError("registry_invalid", message, status=422)


def _first_error(exc: ValidationError) -> tuple[str, str]:
    """Where the first problem is (dotted path) and what it is."""
    first = exc.errors()[0]
    return ".".join(str(p) for p in first["loc"]), first["msg"]


def _first_repeat(ids: list[str]) -> tuple[int, int] | None:
    """Positions (earlier, later) of the first id given twice, or None."""
    seen: dict[str, int] = {}
    for position, merchant_id in enumerate(ids):
        if merchant_id in seen:
            return seen[merchant_id], position
        seen[merchant_id] = position
    return None


def _check_csv_header(header: list[str]) -> None:
    if unknown := [column for column in header if column not in CSV_COLUMNS]:
        raise _registry_invalid(f"商户清单第 1 行（表头）有未知列：{'、'.join(unknown)}；"
                                f"可用的列：{','.join(CSV_COLUMNS)}")
    if missing := [column for column in ("id", "name") if column not in header]:
        raise _registry_invalid(f"商户清单第 1 行（表头）缺少列：{'、'.join(missing)}")


def _csv_merchant(row_no: int, header: list[str], cells: list[str]) -> MerchantIn:
    if len(cells) > len(header):
        raise _registry_invalid(f"商户清单第 {row_no} 行的列数多于表头")
    given = {column: cell for column, cell in zip(header, cells, strict=False) if cell.strip()}
    fields = {column: value.split(LIST_SEPARATOR) if column in LIST_COLUMNS else value
              for column, value in given.items()}
    try:
        return MerchantIn.model_validate(fields)
    except ValidationError as exc:
        where, problem = _first_error(exc)
        column = where.split(".")[0]
        raise _registry_invalid(f"商户清单第 {row_no} 行 {column} 列有误：{problem}") from exc


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
