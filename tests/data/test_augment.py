import numpy as np
import pytest

from sasnets.data.augment import AugmentSpec, augment, select_points_reference, smear_reference
from sasnets.data.toy import toy_curves
from sasnets.errors import UsageError


@pytest.fixture(scope="module")
def batch():
    return toy_curves(10, seed=2, nq=128)


def test_same_seed_same_curves_and_different_seed_different(batch):
    a = augment(batch, np.random.default_rng(5))
    b = augment(batch, np.random.default_rng(5))
    c = augment(batch, np.random.default_rng(6))
    assert a.equals(b)
    assert not a.equals(c)


def test_no_point_is_invented(batch):
    out = augment(batch, np.random.default_rng(1))
    assert len(out) == len(batch) and np.array_equal(out.models, batch.models)
    for i in range(len(batch)):
        orig = batch.curve(i).q
        new = out.curve(i).q
        assert len(new) >= 1 and np.isin(new, orig).all()
        assert np.all(np.diff(new) > 0)


def test_crop_keeps_at_least_min_decades(batch):
    spec = AugmentSpec(crop_prob=1.0, density_prob=0.0, min_decades=1.0, clean_prob=0.0)
    out = augment(batch, np.random.default_rng(3), spec)
    spans = [np.log10(c.q[-1] / c.q[0]) for c in out]
    assert min(spans) >= 1.0 - 0.05  # nearest stored points of a ≥1-decade window
    assert max(spans) < np.log10(0.5 / 1e-3)


def test_density_change_sets_the_number_of_points(batch):
    spec = AugmentSpec(crop_prob=0.0, density_prob=1.0, points=(30, 30), linear_prob=0.0, clean_prob=0.0)
    out = augment(batch, np.random.default_rng(3), spec)
    assert np.all(out.lengths <= 30) and np.all(out.lengths >= 25)


def test_disabled_returns_the_batch_unchanged(batch):
    assert augment(batch, np.random.default_rng(0), AugmentSpec.off()) is batch


def test_numba_and_numpy_paths_agree(batch, monkeypatch):
    monkeypatch.setenv("SASNETS_NO_NUMBA", "0")
    a = augment(batch, np.random.default_rng(9))
    monkeypatch.setenv("SASNETS_NO_NUMBA", "1")
    b = augment(batch, np.random.default_rng(9))
    assert np.array_equal(a.offsets, b.offsets) and np.array_equal(a.q, b.q)
    assert np.allclose(a.iq, b.iq, rtol=1e-5) and np.allclose(a.diq, b.diq, rtol=1e-5)


def test_smearing_keeps_a_flat_curve_flat_and_reference_matches_kernel():
    from sasnets.data import _kernels

    q = np.logspace(-3, 0, 50).astype(np.float32)
    flat = np.full(50, 7.0, np.float32)
    offsets = np.array([0, 50])
    out = smear_reference(q, flat, offsets, np.array([0.1]))
    assert np.allclose(out, 7.0, rtol=1e-5)
    wavy = (1 + np.sin(30 * q)).astype(np.float32)
    ref = smear_reference(q, wavy, offsets, np.array([0.08]))
    fast = np.empty(50)
    _kernels.smear_kernel(q, wavy, offsets, np.array([0.08]), fast)
    assert np.allclose(ref, fast, rtol=1e-5)


def test_smearing_kernel_matches_reference_for_ragged_curves_and_wide_resolutions():
    from sasnets.data import _kernels

    # the kernel visits only the points within 4 sigma; widths past 25 % reach q <= 0
    rng = np.random.default_rng(3)
    lengths = [3, 40, 250, 120, 77]
    q = np.concatenate([np.sort(rng.uniform(1e-3, 0.6, n)) for n in lengths]).astype(np.float32)
    iq = (1 + np.sin(40 * q) + 1 / (q + 0.01)).astype(np.float32)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    widths = np.array([0.05, 0.0, 0.1, 0.3, 0.01])
    fast = np.empty(len(q))
    _kernels.smear_kernel(q, iq, offsets, widths, fast)
    assert np.allclose(smear_reference(q, iq, offsets, widths), fast, rtol=1e-6)


def test_point_selection_reference_matches_kernel(batch):
    from sasnets.data import _kernels

    n = len(batch)
    rng = np.random.default_rng(0)
    lo = rng.uniform(-3, -2, n)
    hi = lo + rng.uniform(0.8, 1.5, n)
    npoints = rng.integers(10, 200, n)
    linear = rng.random(n) < 0.5
    keep = np.empty(len(batch.q), bool)
    _kernels.select_points_kernel(batch.q, batch.offsets, lo, hi, npoints, linear, keep)
    assert np.array_equal(keep, select_points_reference(batch.q, batch.offsets, lo, hi, npoints, linear))


def test_spec_round_trip_and_validation():
    spec = AugmentSpec(noise=(0.0, 0.1))
    assert AugmentSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(UsageError):
        AugmentSpec(crop_prob=1.5)
    with pytest.raises(UsageError):
        AugmentSpec(noise=(0.2, 0.1))


def test_clean_curves_keep_their_simulated_instrument(batch):
    spec = AugmentSpec(clean_prob=1.0, noise=(0.05, 0.05), resolution_prob=1.0, crop_prob=1.0, density_prob=1.0)
    out = augment(batch, np.random.default_rng(4), spec)
    assert np.array_equal(out.offsets, batch.offsets) and np.array_equal(out.q, batch.q)
    ratio = out.iq / batch.iq  # only the absolute scale changed, one factor per curve
    for i in range(len(batch)):
        r = ratio[batch.offsets[i]:batch.offsets[i + 1]]
        assert np.allclose(r, r[0], rtol=1e-5)
    some = augment(batch, np.random.default_rng(4), AugmentSpec(clean_prob=0.5, crop_prob=1.0, min_decades=0.8))
    assert 0 < sum(np.array_equal(some.curve(i).q, batch.curve(i).q) for i in range(len(batch))) < len(batch)


def test_specs_saved_before_clean_prob_read_as_altering_every_curve():
    saved = AugmentSpec().to_dict()
    del saved["clean_prob"]
    assert AugmentSpec.from_dict(saved).clean_prob == 0.0


def test_overrides_take_numbers_and_ranges_and_name_unknown_settings():
    spec = AugmentSpec().replace(clean_prob=0.5, noise=[0, 0.02])
    assert spec.clean_prob == 0.5 and spec.noise == (0, 0.02) and spec.enabled
    with pytest.raises(UsageError, match="clean_prob"):
        AugmentSpec().replace(clean_probability=0.5)
    with pytest.raises(UsageError, match=r"range \[low, high\]"):
        AugmentSpec().replace(noise=0.02)
    with pytest.raises(UsageError, match="between 0 and 1"):
        AugmentSpec().replace(clean_prob=2)


def test_intensities_scaled_past_float32_become_masked_points_without_a_warning():
    import warnings

    from sasnets.data.preprocess import PreprocessSpec, preprocess
    from sasnets.data.qgrid import QGrid

    huge = toy_curves(2, seed=0, models=("sphere",), nq=64)
    huge.iq = huge.iq * np.float32(1e35)  # a giant particle's forward intensity
    spec = AugmentSpec(scale=(1e4, 1e4), clean_prob=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = augment(huge, np.random.default_rng(0), spec)
    assert np.isinf(out.iq).any()
    x = preprocess(out, QGrid(1e-3, 0.5, 48), PreprocessSpec())
    assert np.isfinite(x).all()
