"""Alembic environment of the paindiary store.

Run programmatically by :func:`analytics.store.migrate` with an open connection in
``config.attributes["connection"]``; there is no alembic.ini. SQLite tables are
altered in "batch" mode (copy and move), the only way SQLite can change a table.
"""

from __future__ import annotations

from alembic import context

from analytics.store._models import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded by analytics.store.migrate
    raise RuntimeError("run the paindiary migrations through analytics.store.migrate(url)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
