"""receipt fraud signals: what the upload's image showed, and each signal's evidence

``image_traits``: facts about the photo read before its metadata was stripped (format,
size, camera EXIF present, an editor named) and measured on its pixels by the worker
(ocr.forensics). ``signals``: the evidence of each fraud signal that sent the receipt to
review (or was recorded on a duplicate), by reason code, for the desk.

Revision ID: 7a3e5c9f1b20
Revises: 5c1f0e2d9a41
Create Date: 2026-12-07 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "7a3e5c9f1b20"
down_revision = "5c1f0e2d9a41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_traits", sa.JSON(), nullable=False,
                                      server_default="{}"))
        batch_op.add_column(sa.Column("signals", sa.JSON(), nullable=False,
                                      server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_column("signals")
        batch_op.drop_column("image_traits")
