import numpy as np
import pytest

from sasnets.data.qgrid import QGrid
from sasnets.errors import UsageError


def test_points_are_log_spaced_and_include_the_ends():
    g = QGrid(1e-3, 0.5, 64)
    p = g.points
    assert p[0] == pytest.approx(1e-3) and p[-1] == pytest.approx(0.5) and len(p) == 64
    assert np.allclose(np.diff(np.log10(p)), g.step)


def test_round_trip_through_dict():
    g = QGrid(2e-3, 0.3, 100)
    assert QGrid.from_dict(g.to_dict()) == g


@pytest.mark.parametrize("args", [(0.5, 1e-3, 64), (0, 0.5, 64), (1e-3, 0.5, 3), (float("nan"), 0.5, 64)])
def test_invalid_grids_are_usage_errors(args):
    with pytest.raises(UsageError):
        QGrid(*args)


def test_covering_uses_median_ends_of_the_curves():
    q = np.concatenate([np.logspace(-3, -1, 10), np.logspace(-2, 0, 10), np.logspace(-2.5, -0.5, 10)])
    offsets = np.array([0, 10, 20, 30])
    g = QGrid.covering(q, offsets, nq=50)
    assert g.qmin == pytest.approx(10**-2.5, rel=1e-6)
    assert g.qmax == pytest.approx(10**-0.5, rel=1e-6)
    full = QGrid.covering(q, offsets, nq=50, quantile=1.0)
    assert full.qmin == pytest.approx(1e-3) and full.qmax == pytest.approx(1.0)
