"""audit entries are append-only for panellists' logins (PostgreSQL)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

On a server, a panellist's login (role ``panel_app``, db/server.py) may add audit entries but never
change or delete one once it is chained. Row-level security on ``auditevent``:
- read: every row (the record and ``audit verify`` read them all);
- add: any row;
- change: only a row not yet chained (``seq IS NULL``). The app writes an entry, then seals and
  chains it (db/audit.py) in the same transaction; once it has a place in the chain it is fixed;
- delete: no policy, so no row (``DELETE`` is also revoked from ``panel_app`` by ``server setup``).
A plain ``REVOKE UPDATE`` would stop the app chaining its own entries, hence a row policy.
The table owner (the administrator who ran the migrations) is not subject to the policies (no
FORCE): ``purge`` blanking personal old/new values runs as the owner. SQLite: nothing to do (whoever
holds the file can do anything; ``audit verify`` detects the change instead).
"""

from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _rls_functions() -> str:
    """0004's policy helpers as 0004 now writes them (plpgsql: plans kept per session).

    A database migrated by an earlier 0004 has the same rules as sql functions; CREATE OR REPLACE
    gives it the faster definitions (same arguments, same answers).
    """
    spec = spec_from_file_location("_panel_tui_0004", Path(__file__).with_name("0004_row_level_security.py"))
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FUNCTIONS


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(_rls_functions())
    op.execute("ALTER TABLE auditevent ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY audit_read ON auditevent FOR SELECT USING (true)")
    op.execute("CREATE POLICY audit_append ON auditevent FOR INSERT WITH CHECK (true)")
    op.execute("CREATE POLICY audit_chain ON auditevent FOR UPDATE USING (seq IS NULL) WITH CHECK (true)")
    # Roles made by an earlier `server setup` (db/server.py): no DELETE, whatever was granted.
    op.execute("""
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'panel_app') THEN
    REVOKE DELETE, TRUNCATE ON auditevent FROM panel_app;
  END IF;
END $$""")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for policy in ("audit_chain", "audit_append", "audit_read"):
        op.execute(f"DROP POLICY IF EXISTS {policy} ON auditevent")
    op.execute("ALTER TABLE auditevent DISABLE ROW LEVEL SECURITY")
