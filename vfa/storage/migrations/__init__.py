"""Alembic migrations of the workspace index (SQLite or PostgreSQL).

They run when an index is opened (:func:`vfa.storage.index.migrate`); an administrator can also run
them with the ``alembic`` command (``alembic -c vfa/storage/migrations/alembic.ini upgrade head`` with
``VFA_DATABASE_URL`` set). The version is kept in the table ``vfa_alembic_version``.
"""
