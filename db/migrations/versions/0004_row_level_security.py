"""department server: member <-> login role link, row versions, row-level security (PostgreSQL)

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01

- ``panelmember.db_role``: the PostgreSQL login role that *is* this member (db/identity.py).
- ``version`` on campaign, consensus and outcome: a write based on an older version is refused
  (db/versions.py), so two people recording the same thing cannot silently overwrite each other.
- PostgreSQL only: row-level security on assessment, itemevidence and indicatortag implementing the
  app's independence rule (db/consolidation.py): a linked member reads another member's work for a
  candidate only after submitting their own; members of the ``panel_owner`` role read everything.
  The table owner (the role that ran this migration: single-user setups, CI) is not subject to the
  policies (no FORCE), so laptops and one-login servers behave as before.
- PostgreSQL only: the old shared "who am I" rows (Setting ``member:<campaign>``) are dropped: on a
  shared server they made every panellist whoever chose last. SQLite files keep them; identity reads
  them once as a fallback (db/identity.py).
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SEALED = ("assessment", "itemevidence", "indicatortag")

FUNCTIONS = """
CREATE OR REPLACE FUNCTION panel_tui_is_admin(who name) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN RETURN (SELECT EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'panel_owner' AND pg_has_role(who, r.oid, 'MEMBER'))
); END
$$;

-- May ``who`` read member p_member's work on candidate p_candidate?  Their own work, or anyone's
-- once they have submitted their own assessment of that candidate (the chair likewise).
-- SECURITY DEFINER: it reads the sealed tables as their owner, so the policies do not recurse.
-- plpgsql, not sql: a policy calls these per row, and plpgsql keeps their plans for the session
-- (a non-inlined sql function is planned again in every statement; 2-4x slower under RLS).
CREATE OR REPLACE FUNCTION panel_tui_may_read(p_member integer, p_candidate integer, who name) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  -- Cheapest and most common first: a member's own work (an indexed lookup, no role catalog).
  IF EXISTS (SELECT 1 FROM panelmember pm WHERE pm.id = p_member AND pm.db_role = who) THEN RETURN true; END IF;
  IF panel_tui_is_admin(who) THEN RETURN true; END IF;
  RETURN EXISTS (
      SELECT 1 FROM panelmember other
      JOIN panelmember me ON me.campaign_id = other.campaign_id AND me.db_role = who
      JOIN assessment a ON a.member_id = me.id AND a.candidate_id = p_candidate AND a.submitted_at IS NOT NULL
      WHERE other.id = p_member);
END
$$;

-- May ``who`` write member p_member's work?  Only their own (or an administrator).
CREATE OR REPLACE FUNCTION panel_tui_may_write(p_member integer, who name) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM panelmember pm WHERE pm.id = p_member AND pm.db_role = who) THEN RETURN true; END IF;
  RETURN panel_tui_is_admin(who);
END
$$;

CREATE OR REPLACE FUNCTION panel_tui_assessment_access(p_assessment integer, who name, writing boolean) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN RETURN (SELECT CASE WHEN writing THEN panel_tui_may_write(a.member_id, who)
              ELSE panel_tui_may_read(a.member_id, a.candidate_id, who) END
  FROM assessment a WHERE a.id = p_assessment
); END
$$;

CREATE OR REPLACE FUNCTION panel_tui_evidence_access(p_evidence integer, who name, writing boolean) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_catalog AS $$
BEGIN RETURN (SELECT panel_tui_assessment_access(e.assessment_id, who, writing) FROM itemevidence e WHERE e.id = p_evidence
); END
$$;
"""

POLICIES = {
    "assessment": ("panel_tui_may_read(member_id, candidate_id, current_user)",
                   "panel_tui_may_write(member_id, current_user)"),
    "itemevidence": ("coalesce(panel_tui_assessment_access(assessment_id, current_user, false), false)",
                     "coalesce(panel_tui_assessment_access(assessment_id, current_user, true), false)"),
    "indicatortag": ("coalesce(panel_tui_evidence_access(evidence_id, current_user, false), false)",
                     "coalesce(panel_tui_evidence_access(evidence_id, current_user, true), false)"),
}


def upgrade() -> None:
    with op.batch_alter_table('panelmember', schema=None) as batch_op:
        batch_op.add_column(sa.Column('db_role', sa.String(length=63), nullable=True))
    for table in ('campaign', 'consensus', 'outcome'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DELETE FROM setting WHERE key LIKE 'member:%'")
    op.execute(FUNCTIONS)
    for table, (read, write) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY panel_read ON {table} FOR SELECT USING ({read})")
        op.execute(f"CREATE POLICY panel_write ON {table} FOR ALL USING ({write}) WITH CHECK ({write})")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in POLICIES:
            op.execute(f"DROP POLICY IF EXISTS panel_write ON {table}")
            op.execute(f"DROP POLICY IF EXISTS panel_read ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for fn in ("panel_tui_evidence_access(integer, name, boolean)", "panel_tui_assessment_access(integer, name, boolean)",
                   "panel_tui_may_write(integer, name)", "panel_tui_may_read(integer, integer, name)",
                   "panel_tui_is_admin(name)"):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    for table in ('outcome', 'consensus', 'campaign'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
    with op.batch_alter_table('panelmember', schema=None) as batch_op:
        batch_op.drop_column('db_role')
