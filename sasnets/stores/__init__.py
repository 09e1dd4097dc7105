"""Stores: where datasets live (HDF5 by default; SQLite, PostgreSQL, JSON,
aggregated text and third-party stores through plugins)."""
from .base import DEFAULT_STORE, Store, check_tag, open_store, resolve_store

__all__ = ["Store", "open_store", "resolve_store", "check_tag", "DEFAULT_STORE"]
