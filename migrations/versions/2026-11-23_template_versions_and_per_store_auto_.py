"""template versions and per-store auto-approval

Revision ID: 794d1a3714e0
Revises: ba54ff2efbf0
Create Date: 2026-11-23 13:23:31.957713
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '794d1a3714e0'
down_revision = 'ba54ff2efbf0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('template_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], name=op.f('fk_template_version_merchant_id_merchant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_version')),
    sa.UniqueConstraint('merchant_id', 'version', name=op.f('uq_template_version_merchant_id_version'))
    )
    with op.batch_alter_table('template_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_version_merchant_id'), ['merchant_id'], unique=False)

    with op.batch_alter_table('merchant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_approve', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('auto_approve_threshold', sa.Numeric(precision=5, scale=4), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('merchant', schema=None) as batch_op:
        batch_op.drop_column('auto_approve_threshold')
        batch_op.drop_column('auto_approve')

    with op.batch_alter_table('template_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_version_merchant_id'))

    op.drop_table('template_version')
