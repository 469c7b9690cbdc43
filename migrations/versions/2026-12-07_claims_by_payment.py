"""credit_claim.by_payment: window keys stand only between a payment and a receipt

A WeChat Pay payment and a photo or desk entry of the same purchase now share a window key
(member + store + amount + time bucket, dedupe/claims.py); the column tells whose kind of
evidence holds a key. Claims already taken by payment receipts are marked as theirs.

Revision ID: 7b3e9d41c2a8
Revises: 7a3e5c9f1b20
Create Date: 2026-12-07 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '7b3e9d41c2a8'
down_revision = '7a3e5c9f1b20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credit_claim') as batch:
        batch.add_column(sa.Column('by_payment', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.execute("UPDATE credit_claim SET by_payment = TRUE WHERE receipt_id IN "
               "(SELECT id FROM receipt WHERE channel = 'payment')")


def downgrade() -> None:
    op.execute("DELETE FROM credit_claim WHERE key LIKE 'win:%'")
    with op.batch_alter_table('credit_claim') as batch:
        batch.drop_column('by_payment')
