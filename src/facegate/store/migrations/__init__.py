"""Alembic migration scripts, run in code by ``Database.upgrade``."""
