"""member sign-in: sessions, merges, unionid

Revision ID: 23284d700853
Revises: 794d1a3714e0
Create Date: 2026-12-06 01:25:53.184077
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = '23284d700853'
down_revision = '794d1a3714e0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_merge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_member_id', sa.Integer(), nullable=False),
    sa.Column('to_member_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_member_id'], ['member.id'], name=op.f('fk_member_merge_from_member_id_member')),
    sa.ForeignKeyConstraint(['to_member_id'], ['member.id'], name=op.f('fk_member_merge_to_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_merge'))
    )
    with op.batch_alter_table('member_merge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_merge_from_member_id'), ['from_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_merge_to_member_id'), ['to_member_id'], unique=False)

    op.create_table('member_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('family', sa.String(length=32), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('access_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_hash', sa.String(length=64), nullable=False),
    sa.Column('access_expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refresh_expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_why', sa.String(length=32), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_member_session_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_session')),
    sa.UniqueConstraint('access_hash', name=op.f('uq_member_session_access_hash')),
    sa.UniqueConstraint('refresh_hash', name=op.f('uq_member_session_refresh_hash'))
    )
    with op.batch_alter_table('member_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_session_family'), ['family'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_session_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unionid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_member_unionid'), ['unionid'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_member_merged_into_id_member'), 'member', ['merged_into_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_member_merged_into_id_member'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_member_unionid'))
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('unionid')

    with op.batch_alter_table('member_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_session_member_id'))
        batch_op.drop_index(batch_op.f('ix_member_session_family'))

    op.drop_table('member_session')
    with op.batch_alter_table('member_merge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_merge_to_member_id'))
        batch_op.drop_index(batch_op.f('ix_member_merge_from_member_id'))

    op.drop_table('member_merge')
