"""dedupe compares receipt numbers in a canonical form (OCR-confusable letters as digits)

The dedupe index's receipt number and the ``no:`` claim keys of credited receipts are
rewritten from the receipt's number: upper-case letters and digits (as before), then O/D
→ 0, I/L → 1, S → 5, B → 8, Z → 2, G → 6 (dedupe.fingerprint.canonical_receipt_no, copied
here so that the migration does not change when the code does). Where two credited
receipts' numbers fall together, the older claim keeps the key and the other keeps its old
one: both stay credited, and a third reading of either number is still refused. The
downgrade writes the plain form back.

Revision ID: 5c1f0e2d9a41
Revises: 5d1f0c2b7e91
Create Date: 2026-12-06 02:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5c1f0e2d9a41'
down_revision = '5d1f0c2b7e91'
branch_labels = None
depends_on = None

_CONFUSABLE = str.maketrans({"O": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8",
                             "Z": "2", "G": "6"})


def _plain(number: str) -> str:
    return "".join(ch for ch in number.upper() if ch.isalnum())


def _canonical(number: str) -> str:
    return _plain(number).translate(_CONFUSABLE)


def _rewrite(form) -> None:
    bind = op.get_bind()
    receipts = bind.execute(sa.text(
        "SELECT id, merchant_id, receipt_no FROM receipt WHERE receipt_no IS NOT NULL"
    )).all()
    numbers = {rid: (merchant_id, form(number)) for rid, merchant_id, number in receipts}
    for rid, (_merchant, number) in numbers.items():
        bind.execute(sa.text("UPDATE fingerprint_record SET receipt_no = :n "
                             "WHERE receipt_id = :r AND receipt_no IS NOT NULL"),
                     {"n": number, "r": rid})
    claims = bind.execute(sa.text(
        "SELECT key, receipt_id FROM credit_claim WHERE key LIKE 'no:%' ORDER BY created_at"
    )).all()
    taken = {key for key, _ in claims}
    for key, rid in claims:
        if rid not in numbers or numbers[rid][0] is None:
            continue
        merchant_id, number = numbers[rid]
        new_key = f"no:{merchant_id}:{number}"
        if new_key == key or new_key in taken:
            continue
        bind.execute(sa.text("UPDATE credit_claim SET key = :new WHERE key = :old"),
                     {"new": new_key, "old": key})
        taken.discard(key)
        taken.add(new_key)


def upgrade() -> None:
    _rewrite(_canonical)


def downgrade() -> None:
    # Look-alike claims do not exist before this revision's code.
    op.get_bind().execute(sa.text("DELETE FROM credit_claim WHERE key LIKE 'like:%'"))
    _rewrite(_plain)
