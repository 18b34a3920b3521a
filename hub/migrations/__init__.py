"""Alembic migrations for the hub's database (`hubnet hub migrate`)."""
