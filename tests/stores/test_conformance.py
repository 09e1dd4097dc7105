"""Every registered store honours the store contract: the checks of :mod:`sasnets.testing`.

Parametrised over ``get_registry("stores")``, so stores added by plugins (installed
later too) are checked as well.  A store needing a server gets the URL of a fresh
database from a fixture (see ``URLS``); any other store is opened at
``<name>:<tmpdir>/store`` (:func:`sasnets.testing.store_factory`).
"""
import pytest

from sasnets.plugins import get_registry
from sasnets.testing import parametrize_with_checks, store_factory

#: store name -> function(request) giving a factory for new, empty stores
URLS = {
    "hdf5": lambda req: lambda tmp: str(tmp / "data.h5"),
    "sqlite": lambda req: lambda tmp: f"sqlite:///{tmp}/data.db",
    "postgresql": lambda req: lambda: req.getfixturevalue("pg_url"),  # this test's fresh database (one check a test)
}
SERVER_STORES = {"postgresql"}
MARKS = {name: [pytest.mark.postgres, pytest.mark.xdist_group("postgres")] for name in SERVER_STORES}


@parametrize_with_checks("stores", get_registry("stores").names(), marks=MARKS)
def test_store_conformance(name, check, request):
    factory = URLS[name](request) if name in URLS else store_factory(name)
    check(factory)
