"""review claims and training samples

Revision ID: ba54ff2efbf0
Revises: f25e9a10a7c7
Create Date: 2026-11-23 12:58:58.226500
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = 'ba54ff2efbf0'
down_revision = 'f25e9a10a7c7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('training_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.String(length=64), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.Column('read', sa.JSON(), nullable=False),
    sa.Column('ocr_rows', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('receipt_id', sa.String(length=32), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], name=op.f('fk_training_sample_merchant_id_merchant')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_training_sample_receipt_id_receipt')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sample')),
    sa.UniqueConstraint('receipt_id', name=op.f('uq_training_sample_receipt_id'))
    )
    with op.batch_alter_table('training_sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_sample_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_sample_merchant_id'), ['merchant_id'], unique=False)

    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', core.db.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')

    with op.batch_alter_table('training_sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sample_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_training_sample_created_at'))

    op.drop_table('training_sample')
