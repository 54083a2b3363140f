"""exchange keys: the campaign's age identity and members' Ed25519 keys for sealed packs and returns

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exchangekey',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('public', sa.Text(), nullable=False),
        sa.Column('secret', sa.Text(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id']),
        sa.ForeignKeyConstraint(['member_id'], ['panelmember.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_exchangekey_campaign_id'), 'exchangekey', ['campaign_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_exchangekey_campaign_id'), table_name='exchangekey')
    op.drop_table('exchangekey')
