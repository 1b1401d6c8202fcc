"""Storage: the index (SQLAlchemy over SQLite or PostgreSQL, Alembic migrations) and the
workspace folder of readings and autosaves."""
