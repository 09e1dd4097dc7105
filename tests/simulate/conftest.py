"""Fixtures for the simulation tests: small, fast generation options and a user model."""
import textwrap

import pytest


@pytest.fixture
def tiny_options():
    """Fixed 16-point grid: fast curves with every physics option on."""
    from sasnets.simulate import GenerationOptions

    return GenerationOptions(nq=16, qmin=0.005, qmax=0.3, noise=2, resolution=5)


USER_MODEL = textwrap.dedent('''
    r"""A Lorentzian peak written as a pure-Python user model for the tests."""
    import numpy as np
    from numpy import inf

    name = "test_bump"
    title = "Test bump"
    description = "Lorentzian peak, used by the sasnets tests"
    category = "shape-independent"
    parameters = [
        ["height", "", 1.0, [0, inf], "", "peak height"],
        ["q0", "1/Ang", 0.05, [0, inf], "", "peak position"],
        ["width", "1/Ang", 0.02, [0, inf], "", "peak width"],
    ]

    def Iq(q, height, q0, width):
        return height / (1.0 + ((q - q0) / width) ** 2)
    Iq.vectorized = True
''')

BROKEN_MODEL = textwrap.dedent('''
    r"""A user model whose intensity is never valid (for failure handling)."""
    import numpy as np
    from numpy import inf

    name = "test_always_nan"
    title = "Always NaN"
    description = "returns NaN everywhere"
    category = "shape-independent"
    parameters = [["height", "", 1.0, [0, inf], "", "height"]]

    def Iq(q, height):
        return np.full_like(q, np.nan)
    Iq.vectorized = True
''')


@pytest.fixture
def user_model_dir(tmp_path, monkeypatch):
    """A SAS_MODELPATH directory holding the test_bump user model."""
    d = tmp_path / "sas_models"
    d.mkdir()
    (d / "test_bump.py").write_text(USER_MODEL)
    monkeypatch.setenv("SAS_MODELPATH", str(d))
    return d


@pytest.fixture
def broken_model_file(tmp_path):
    path = tmp_path / "test_always_nan.py"
    path.write_text(BROKEN_MODEL)
    return path
