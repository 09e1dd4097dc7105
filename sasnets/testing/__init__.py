"""A conformance kit for sasnets plugins: run the contract checks from your own tests.

sasnets checks its built-in stores, architectures and analyzers with these same
functions, so a plugin that passes them works wherever sasnets uses that kind
of plugin.  Each ``check_*`` runs every check of its kind and raises
AssertionError naming the plugin, each failing check and what was wrong::

    from sasnets.testing import check_analyzer, check_architecture, check_store

    def test_my_store():
        check_store(lambda tmp: f"mystore:{tmp}/store")   # URL of a new, empty store

    def test_my_architecture():
        check_architecture("tinycnn", hyper={"width": 8})  # small hyper-parameters

    def test_my_analyzer():
        check_analyzer("residuals")

:func:`parametrize_with_checks` gives one pytest test per (plugin, check)
instead, and :func:`checks` lists the individual checks, which are public too
(``check_store_round_trip``, ``check_architecture_save_and_load``, …).  The
checks run on :func:`fixture_batch` (stores) and :func:`synthetic_result`
(analyzers), small deterministic data built here.

Importing this module imports neither TensorFlow nor pytest; the architecture
checks import Keras when they run.
"""
from __future__ import annotations

from ._analyzers import (ANALYZER_CHECKS, check_analyzer, check_analyzer_without_embeddings,
                         check_analyzer_writes_files)
from ._architectures import (ARCHITECTURE_CHECKS, INPUT_SHAPE, N_CLASSES, check_architecture,
                             check_architecture_builds, check_architecture_numpy_runtime,
                             check_architecture_save_and_load, check_architecture_trains_a_step)
from ._core import CheckFailed, check_name
from ._data import FIXTURE_MODELS, fixture_batch, synthetic_result
from ._stores import (STORE_CHECKS, canonical, check_store, check_store_missing_tag, check_store_provenance,
                      check_store_queries, check_store_read_only, check_store_round_trip, check_store_streaming,
                      store_factory)

__all__ = [
    # run every check of a kind
    "check_store", "check_architecture", "check_analyzer",
    # the individual checks, and the pytest helper
    "checks", "parametrize_with_checks", "CheckFailed",
    "check_store_round_trip", "check_store_queries", "check_store_streaming", "check_store_provenance",
    "check_store_read_only", "check_store_missing_tag",
    "check_architecture_builds", "check_architecture_trains_a_step", "check_architecture_save_and_load",
    "check_architecture_numpy_runtime",
    "check_analyzer_writes_files", "check_analyzer_without_embeddings",
    # what the checks run on
    "store_factory", "canonical", "fixture_batch", "FIXTURE_MODELS", "synthetic_result", "INPUT_SHAPE", "N_CLASSES",
]

_CHECKS = {"stores": STORE_CHECKS, "architectures": ARCHITECTURE_CHECKS, "analyzers": ANALYZER_CHECKS}


def checks(kind: str) -> list:
    """The individual checks of ``kind`` (``"stores"``, ``"architectures"`` or ``"analyzers"``).

    A store check is called as ``check(factory)`` (see :func:`check_store`),
    an architecture check as ``check(name, hyper=None)``, an analyzer check as
    ``check(name)``.  Each returns ``None`` or raises :class:`CheckFailed` (an
    AssertionError) naming the plugin, the check and what was wrong.
    """
    if kind not in _CHECKS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(_CHECKS)}")
    return list(_CHECKS[kind])


def parametrize_with_checks(kind: str, names, marks=None):
    """``pytest.mark.parametrize`` over every (name, check) pair of ``kind``, ids ``name-check``.

    The test takes the arguments ``name`` and ``check`` and calls the check on
    the plugin ``name`` stands for (a store check on a factory)::

        @parametrize_with_checks("architectures", ["tinycnn"])
        def test_tinycnn(name, check):
            check(name, hyper={"width": 8})

        @parametrize_with_checks("stores", ["mystore"])
        def test_mystore(name, check):
            check(store_factory(name))

    ``marks`` maps a name to the pytest marks of its tests (for example
    ``{"postgresql": [pytest.mark.postgres]}`` for a server-backed store).
    """
    import pytest

    marks = marks or {}
    return pytest.mark.parametrize(("name", "check"), [
        pytest.param(name, check, id=f"{name}-{check_name(check)}", marks=marks.get(name, ()))
        for name in names for check in checks(kind)])
