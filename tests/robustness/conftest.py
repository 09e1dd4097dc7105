"""The fault tests reuse the store tests' throwaway PostgreSQL server."""
from tests.stores.conftest import pg_server, pg_url  # noqa: F401
