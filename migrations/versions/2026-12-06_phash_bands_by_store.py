"""pHash band indexes by store

Revision ID: 5d1f0c2b7e91
Revises: 96c499341c3b
Create Date: 2026-12-06 00:00:00

"""
from alembic import op

revision = '5d1f0c2b7e91'
down_revision = '96c499341c3b'
branch_labels = None
depends_on = None

BANDS = range(4)


def upgrade() -> None:
    for i in BANDS:
        op.drop_index(f"ix_fingerprint_record_band{i}", table_name="fingerprint_record")
        op.create_index(f"ix_fingerprint_record_store_band{i}", "fingerprint_record",
                        ["merchant_id", f"band{i}"])


def downgrade() -> None:
    for i in BANDS:
        op.drop_index(f"ix_fingerprint_record_store_band{i}", table_name="fingerprint_record")
        op.create_index(f"ix_fingerprint_record_band{i}", "fingerprint_record", [f"band{i}"])
