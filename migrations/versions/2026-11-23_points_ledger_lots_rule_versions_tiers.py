"""points ledger lots, rule versions, tiers

Revision ID: a0c315bca32a
Revises: 732516a2a429
Create Date: 2026-11-23 11:44:43.499504
"""
from alembic import op
import sqlalchemy as sa
import core.db


revision = 'a0c315bca32a'
down_revision = '732516a2a429'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rule_version',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_rule_version'))
    )
    with op.batch_alter_table('rule_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_version_effective_from'), ['effective_from'], unique=False)

    op.create_table('tier_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('from_tier', sa.String(length=16), nullable=False),
    sa.Column('to_tier', sa.String(length=16), nullable=False),
    sa.Column('growth', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_tier_change_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_change'))
    )
    with op.batch_alter_table('tier_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tier_change_member_id'), ['member_id'], unique=False)

    op.create_table('ledger_allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('debit_id', sa.Integer(), nullable=False),
    sa.Column('credit_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credit_id'], ['ledger_entry.id'], name=op.f('fk_ledger_allocation_credit_id_ledger_entry')),
    sa.ForeignKeyConstraint(['debit_id'], ['ledger_entry.id'], name=op.f('fk_ledger_allocation_debit_id_ledger_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_allocation'))
    )
    with op.batch_alter_table('ledger_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_allocation_credit_id'), ['credit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_allocation_debit_id'), ['debit_id'], unique=False)

    with op.batch_alter_table('fingerprint_record', schema=None) as batch_op:
        batch_op.alter_column('sha256',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)

    # Entries written before this revision get their booking day from created_at, keep no
    # expiry (they never expire) and become lots with nothing allocated yet.
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('business_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('booked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('growth', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('rule_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('detail', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('reverses_id', sa.Integer(), nullable=True))
    day_of = "date(created_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(created_at AS DATE)"
    op.execute(f"UPDATE ledger_entry SET business_date = {day_of}, booked_on = {day_of}")
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.alter_column('business_date', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('booked_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_booked_on'), ['booked_on'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_ledger_entry_reverses_id_ledger_entry'), 'ledger_entry', ['reverses_id'], ['id'])

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier_expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('points_balance', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_member_tier_expires_on'), ['tier_expires_on'], unique=False)
    op.execute(
        "UPDATE member SET points_balance = (SELECT COALESCE(SUM(points), 0) FROM ledger_entry "
        "WHERE ledger_entry.member_id = member.id)"
    )



def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_tier_expires_on'))
        batch_op.drop_column('points_balance')
        batch_op.drop_column('tier_expires_on')

    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ledger_entry_reverses_id_ledger_entry'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ledger_entry_booked_on'))
        batch_op.drop_column('reverses_id')
        batch_op.drop_column('detail')
        batch_op.drop_column('rule_version')
        batch_op.drop_column('expires_on')
        batch_op.drop_column('growth')
        batch_op.drop_column('amount')
        batch_op.drop_column('booked_on')
        batch_op.drop_column('business_date')

    with op.batch_alter_table('fingerprint_record', schema=None) as batch_op:
        batch_op.alter_column('sha256',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)

    with op.batch_alter_table('ledger_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_allocation_debit_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_allocation_credit_id'))

    op.drop_table('ledger_allocation')
    with op.batch_alter_table('tier_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tier_change_member_id'))

    op.drop_table('tier_change')
    with op.batch_alter_table('rule_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_version_effective_from'))

    op.drop_table('rule_version')
