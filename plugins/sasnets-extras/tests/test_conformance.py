"""sasnets' conformance kit over this distribution's store and architecture.

What any plugin's own test suite can do: ``pip install -e .`` (so the entry
point is registered), then ``python -m pytest`` here.  ``check_store`` and
``check_architecture`` run every check of their kind in one test;
``parametrize_with_checks`` gives one test per check instead.
"""
from sasnets.plugins import get_registry
from sasnets.testing import check_store, parametrize_with_checks

#: a small transformer so the checks run in seconds
SMALL = {"dim": 16, "depth": 1, "heads": 2}


def test_the_plugin_is_registered_through_its_entry_point():
    assert get_registry("stores").entry("nxcansas").origin == "extras"
    assert get_registry("architectures").entry("transformer").origin == "extras"


def test_nxcansas_store_passes_the_store_checks():
    check_store(lambda tmp: f"nxcansas:{tmp}/store")  # the URL of a new, empty store


def test_the_nxs_scheme_opens_the_same_store():
    check_store(lambda tmp: f"nxs:{tmp}/store")


@parametrize_with_checks("architectures", ["transformer"])
def test_transformer_architecture(name, check):
    check(name, SMALL)
