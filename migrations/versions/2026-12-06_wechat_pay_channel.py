"""wechat pay channel: payments, refunds, points-sync outbox, transaction ids

Revision ID: 96c499341c3b
Revises: 23284d700853
Create Date: 2026-12-06 01:33:28.523487
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "96c499341c3b"
down_revision = "23284d700853"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "points_sync",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_sync")),
        sa.UniqueConstraint("key", name=op.f("uq_points_sync_key")),
    )
    with op.batch_alter_table("points_sync", schema=None) as batch_op:
        batch_op.create_index("ix_points_sync_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_points_sync_transaction_id"), ["transaction_id"], unique=False
        )

    op.create_table(
        "wechat_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("notification_id", sa.String(length=64), nullable=False),
        sa.Column("mchid", sa.String(length=32), nullable=False),
        sa.Column("shop_number", sa.String(length=64), nullable=True),
        sa.Column("shop_name", sa.String(length=200), nullable=True),
        sa.Column("merchant_name", sa.String(length=200), nullable=True),
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=128), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("paid_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("commit_tag", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("merchant_id", sa.String(length=64), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("receipt_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_wechat_payment_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_wechat_payment_merchant_id_merchant")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipt.id"], name=op.f("fk_wechat_payment_receipt_id_receipt")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_payment")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_wechat_payment_transaction_id")),
    )
    with op.batch_alter_table("wechat_payment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wechat_payment_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wechat_payment_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wechat_payment_receipt_id"), ["receipt_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_wechat_payment_status"), ["status"], unique=False)

    op.create_table(
        "wechat_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("notification_id", sa.String(length=64), nullable=False),
        sa.Column("pay_amount_fen", sa.Integer(), nullable=False),
        sa.Column("refund_amount_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("receipt_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["wechat_payment.id"],
            name=op.f("fk_wechat_refund_payment_id_wechat_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipt.id"], name=op.f("fk_wechat_refund_receipt_id_receipt")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_refund")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_wechat_refund_refund_id")),
    )
    with op.batch_alter_table("wechat_refund", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wechat_refund_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_wechat_refund_transaction_id"), ["transaction_id"], unique=False
        )

    with op.batch_alter_table("fingerprint_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transaction_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_fingerprint_record_transaction_id"), ["transaction_id"], unique=False
        )

    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transaction_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_receipt_transaction_id"), ["transaction_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_transaction_id"))
        batch_op.drop_column("transaction_id")

    with op.batch_alter_table("fingerprint_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fingerprint_record_transaction_id"))
        batch_op.drop_column("transaction_id")

    with op.batch_alter_table("wechat_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_refund_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_wechat_refund_created_at"))

    op.drop_table("wechat_refund")
    with op.batch_alter_table("wechat_payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_payment_status"))
        batch_op.drop_index(batch_op.f("ix_wechat_payment_receipt_id"))
        batch_op.drop_index(batch_op.f("ix_wechat_payment_member_id"))
        batch_op.drop_index(batch_op.f("ix_wechat_payment_created_at"))

    op.drop_table("wechat_payment")
    with op.batch_alter_table("points_sync", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_sync_transaction_id"))
        batch_op.drop_index("ix_points_sync_due")

    op.drop_table("points_sync")
