"""audit chain: sequence, salt, value digest, seal and chain hash on audit entries

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Entries written before this revision are left as they are, with ``seq`` NULL:
"pre-chain". ``audit verify`` counts them but cannot vouch for them; the
chain starts at the first entry written after the upgrade.
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('salt', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('value_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('seal', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('chain_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))
        batch_op.create_unique_constraint('uq_auditevent_campaign_seq', ['campaign_id', 'seq'])


def downgrade() -> None:
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_constraint('uq_auditevent_campaign_seq', type_='unique')
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('seal')
        batch_op.drop_column('value_digest')
        batch_op.drop_column('salt')
        batch_op.drop_column('seq')
