"""a covering index for evidence scores

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

The merit list and the results export read every member's score (360,000 at 20,000 candidates x
6 items x 3 members). Each evidence row also holds its notes (about a page of text), so reading
scores from the table pulled every note's pages too; an index on (assessment, item, score) answers
those reads from the index alone. Same index on SQLite and PostgreSQL.
"""

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_itemevidence_score', 'itemevidence', ['assessment_id', 'item_id', 'score'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_itemevidence_score', table_name='itemevidence')
