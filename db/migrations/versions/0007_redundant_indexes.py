"""drop indexes that repeat the start of a unique one

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Each of these single-column indexes is the first column of a unique constraint's index on the same
table, which answers every lookup by that column (and the foreign key checks) as well:
- ix_itemevidence_assessment_id: unique (assessment_id, item_id), and ix_itemevidence_score;
- ix_indicatortag_evidence_id: unique (evidence_id, indicator_id);
- ix_assessment_candidate_id: unique (candidate_id, member_id).
Every insert paid for them: a 20,000-candidate return writes 120,000 evidence rows and 240,000
tags. Same on SQLite and PostgreSQL.
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_DROPPED = (
    ('ix_itemevidence_assessment_id', 'itemevidence', 'assessment_id'),
    ('ix_indicatortag_evidence_id', 'indicatortag', 'evidence_id'),
    ('ix_assessment_candidate_id', 'assessment', 'candidate_id'),
)


def upgrade() -> None:
    for name, table, _ in _DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, column in _DROPPED:
        op.create_index(name, table, [column], unique=False)
