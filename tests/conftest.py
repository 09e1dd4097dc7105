"""Shared fixtures: small datasets written to temporary stores."""
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.fixture
def small_batch():
    """The conformance kit's fixture dataset: 12 ragged curves of three scattering models
    (see :func:`sasnets.testing.fixture_batch`)."""
    from sasnets.testing import fixture_batch

    return fixture_batch()


@pytest.fixture
def cli_runner():
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture(scope="session")
def tiny_classifier(tmp_path_factory):
    """``(store path, classifier dir)``: a small resnet1d trained on three analytic scattering
    models (built once per worker by tests/analysis/tiny_classifier.py; tests using it are
    marked ``slow`` and grouped with ``xdist_group("tiny_classifier")``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "tiny_classifier", os.path.join(os.path.dirname(__file__), "analysis", "tiny_classifier.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build(tmp_path_factory.mktemp("tiny_classifier"))
