"""Alembic environment for the ``alembic`` command line (the application itself runs the
migrations through :func:`vfa.storage.index.migrate`, which does not use this file)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from vfa.storage.index import VERSION_TABLE

url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("VFA_DATABASE_URL")
if not url:
    raise SystemExit("set VFA_DATABASE_URL (or sqlalchemy.url) to the index to migrate")
engine = create_engine(url)
with engine.begin() as connection:
    context.configure(connection=connection, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()
