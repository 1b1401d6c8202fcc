"""Alembic environment: for the ``alembic`` command line, and for
:func:`vfa.storage.index.migrate`, which passes its own connection in
``config.attributes["connection"]`` (Alembic's documented way to share a connection)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from vfa.storage.index import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is not None:
    # vfa.storage.index.migrate: the application's own connection, inside its transaction
    context.configure(connection=connection, version_table=VERSION_TABLE,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
else:
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("VFA_DATABASE_URL")
    if not url:
        raise SystemExit("set VFA_DATABASE_URL (or sqlalchemy.url) to the index to migrate")
    engine = create_engine(url)
    with engine.begin() as connection:
        context.configure(connection=connection, version_table=VERSION_TABLE)
        with context.begin_transaction():
            context.run_migrations()
