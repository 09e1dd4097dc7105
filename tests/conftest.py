"""Shared fixtures: small datasets written to temporary stores."""
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.fixture
def small_batch():
    """A deterministic ragged batch of 12 curves from three scattering models."""
    from sasnets.data import Curve, CurveBatch

    rng = np.random.default_rng(0)
    curves = []
    for i, model in enumerate(["sphere", "cylinder", "lamellar"] * 4):
        n = 20 + 5 * (i % 3)
        q = np.logspace(-3, -0.5, n)
        iq = rng.random(n) + 0.1
        curves.append(Curve(q=q, iq=iq, diq=iq * 0.02, dq=q * 0.05, model=model,
                            params={"scale": 1.0, "radius": float(10 + i)}, seed=1000 + i, index=i // 3))
    return CurveBatch.from_curves(curves)


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
