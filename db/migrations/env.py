"""Alembic environment: always run with a connection handed in by db.migrations."""

from alembic import context

from sqlmodel import SQLModel

from db.models import load_all

load_all()  # every table on the metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through db.migrations.upgrade()")
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite needs batch mode to alter tables
)
with context.begin_transaction():
    context.run_migrations()
