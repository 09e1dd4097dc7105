import numpy as np
import pytest

from sasnets.data.curves import Curve, CurveBatch
from sasnets.data.preprocess import (PreprocessSpec, local_slope, normalise_log_intensity, preprocess,
                                     resample_to_grid, resample_to_grid_reference)
from sasnets.data.qgrid import QGrid
from sasnets.data.toy import toy_curves
from sasnets.errors import UsageError

GRID = QGrid(1e-3, 0.5, 64)


@pytest.fixture(params=["numba", "numpy"])
def engine(request, monkeypatch):
    """Run a test once with the numba kernel and once with the numpy reference."""
    monkeypatch.setenv("SASNETS_NO_NUMBA", "1" if request.param == "numpy" else "0")
    return request.param


def one(q, iq):
    return CurveBatch.from_curves([Curve(q=np.asarray(q, float), iq=np.asarray(iq, float))])


def test_points_outside_the_measured_range_are_masked_never_invented(engine):
    q = np.logspace(-2, -1, 40)
    logi, mask = resample_to_grid(one(q, q**-2), GRID)
    grid = GRID.points
    inside = (grid >= q[0] * (1 - 1e-6)) & (grid <= q[-1] * (1 + 1e-6))
    assert np.array_equal(mask[0] > 0, inside)
    assert np.all(logi[0][~inside] == 0)


def test_a_gap_wider_than_max_gap_is_masked(engine):
    q = np.concatenate([np.logspace(-3, -2, 20), np.logspace(-1, np.log10(0.5), 20)])
    logi, mask = resample_to_grid(one(q, q**-3), GRID, max_gap=0.3)
    grid = GRID.points
    in_gap = (grid > 0.0101) & (grid < 0.099)
    assert in_gap.any() and np.all(mask[0][in_gap] == 0)
    assert np.all(mask[0][~in_gap] == 1)


@pytest.mark.parametrize("n", [7, 40, 64, 500])
def test_power_laws_are_resampled_exactly_at_any_density(engine, n):
    q = np.logspace(-3, np.log10(0.5), n)
    logi, mask = resample_to_grid(one(q, 5 * q**-2.5), GRID)
    expected = np.log10(5 * GRID.points**-2.5)
    valid = mask[0] > 0
    assert valid.all() or n == 7  # 7 points: the widest gaps exceed max_gap
    assert np.allclose(logi[0][valid], expected[valid], atol=1e-4)


def test_invalid_points_are_ignored(engine):
    q = np.logspace(-3, np.log10(0.5), 100)
    iq = q**-1.0
    bad = iq.copy()
    bad[[3, 50, 77]] = [-1.0, np.nan, 0.0]
    a, ma = resample_to_grid(one(q, iq), GRID)
    b, mb = resample_to_grid(one(q, bad), GRID)
    assert np.array_equal(ma, mb)
    assert np.allclose(a, b, atol=1e-3)


def test_curve_without_valid_points_is_fully_masked(engine):
    logi, mask = resample_to_grid(one([0.01, 0.02], [-1.0, -2.0]), GRID)
    assert not mask.any() and not logi.any()


def test_numba_kernel_matches_numpy_reference(monkeypatch):
    rng = np.random.default_rng(3)
    curves = []
    for i in range(60):
        n = int(rng.integers(2, 300))
        q = np.exp(rng.uniform(np.log(3e-4), np.log(2.0), n))
        if i % 3:
            q = np.sort(q)  # some curves unsorted
        iq = q ** -rng.uniform(1, 4) * (1 + 0.05 * rng.standard_normal(n))
        iq[rng.random(n) < 0.05] = -1
        curves.append(Curve(q=q, iq=iq))
    batch = CurveBatch.from_curves(curves)
    monkeypatch.setenv("SASNETS_NO_NUMBA", "0")
    fast, fast_mask = resample_to_grid(batch, GRID)
    ref, ref_mask = resample_to_grid_reference(batch, GRID)
    assert np.array_equal(fast_mask, ref_mask)
    assert np.allclose(fast, ref, atol=1e-5)


def test_input_does_not_depend_on_absolute_scale(engine):
    batch = toy_curves(3, seed=1, nq=(40, 150))
    scaled = CurveBatch(models=batch.models, offsets=batch.offsets, q=batch.q, dq=batch.dq, iq=batch.iq * 1234.5,
                        diq=batch.diq * 1234.5, seeds=batch.seeds, indices=batch.indices)
    a, b = preprocess(batch, GRID), preprocess(scaled, GRID)
    assert a.shape == (len(batch), 64, 3)
    assert np.allclose(a, b, atol=2e-5)


def test_normalised_log_intensity_has_zero_mean_over_valid_points():
    rng = np.random.default_rng(0)
    logi = rng.normal(3, 2, (5, 30)).astype(np.float32)
    mask = (rng.random((5, 30)) > 0.3).astype(np.float32)
    out = normalise_log_intensity(logi, mask)
    for row, m in zip(out, mask):
        assert abs(row[m > 0].mean()) < 1e-5 and np.all(row[m == 0] == 0)


def test_slope_channel_measures_the_power_law_exponent():
    q = np.logspace(-3, np.log10(0.5), 200)
    logi, mask = resample_to_grid(one(q, q**-4.0), GRID)
    slope = local_slope(logi, mask, GRID.step, window=2)
    assert np.allclose(slope[0], -4.0, atol=1e-3)


def test_channels_follow_the_spec():
    batch = toy_curves(2, seed=0)
    x = preprocess(batch, GRID, PreprocessSpec(channels=("mask", "logi")))
    assert x.shape == (len(batch), 64, 2) and x.dtype == np.float32
    assert set(np.unique(x[..., 0])) <= {0.0, 1.0}
    assert PreprocessSpec.from_dict(PreprocessSpec(channels=("logi",)).to_dict()).channels == ("logi",)


def test_unknown_channel_is_a_usage_error():
    with pytest.raises(UsageError, match="channel"):
        PreprocessSpec(channels=("logi", "phase"))


def test_single_curve_and_list_inputs():
    q = np.logspace(-2, -1, 30)
    c = Curve(q=q, iq=q**-2)
    assert preprocess(c, GRID).shape == (1, 64, 3)
    assert preprocess([c, c], GRID).shape == (2, 64, 3)
