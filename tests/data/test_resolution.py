"""Pinhole smearing of large objects: sasnets.data.resolution against a
brute-force Gaussian convolution, and the generator and fitter agreeing."""
import functools

import numpy as np
import pytest

from sasnets.data.resolution import object_size, oversampled_q_calc, pinhole_resolution, size_bucket

pytest.importorskip("sasmodels")


def _sphere():
    from sasmodels import core

    return core.load_model("sphere", dtype="double", platform="dll")


def _smear(model, res, pars):
    from sasmodels.direct_model import call_kernel

    return res.apply(call_kernel(model.make_kernel([res.q_calc]), pars))


def _brute_force(model, q, dq, pars, nsigma=2.5):
    """Gaussian convolution (truncated at ±nsigma, as sasmodels does) of the
    unsmeared model evaluated on 300 000 points."""
    from sasmodels.direct_model import call_kernel

    fine = np.linspace(max(q[0] - nsigma * dq[0], 0.2 * q[0]), q[-1] + nsigma * dq[-1], 300_000)
    unsmeared = call_kernel(model.make_kernel([fine]), pars)
    out = np.empty_like(q)
    for i, (qi, si) in enumerate(zip(q, dq)):
        sel = np.abs(fine - qi) <= nsigma * si
        w = np.exp(-0.5 * ((fine[sel] - qi) / si) ** 2)
        out[i] = np.sum(w * unsmeared[sel]) / np.sum(w)
    return out


def test_large_sphere_matches_brute_force_convolution_where_sasmodels_default_aliases():
    from sasmodels.resolution import Pinhole1D

    model = _sphere()
    pars = dict(radius=5000.0, scale=1.0, background=0.0)
    q = np.logspace(-3, np.log10(0.3), 100)
    dq = 0.05 * q
    reference = _brute_force(model, q, dq, pars)

    ours = _smear(model, pinhole_resolution(q, dq, size=object_size(model.info, pars)), pars)
    default = _smear(model, Pinhole1D(q, dq), pars)

    assert np.max(np.abs(ours - reference) / reference) < 0.02
    assert np.max(np.abs(default - reference) / reference) > 0.2  # the aliasing this module exists for


def test_no_resolution_is_perfect():
    from sasmodels.resolution import Perfect1D

    q = np.linspace(0.01, 0.1, 10)
    assert isinstance(pinhole_resolution(q, None), Perfect1D)
    assert isinstance(pinhole_resolution(q, np.zeros_like(q)), Perfect1D)


def test_calc_points_cover_the_resolution_and_respect_the_cap():
    q = np.logspace(-3, -0.5, 120)
    dq = 0.05 * q
    q_calc = oversampled_q_calc(q, dq, size=20000.0, max_points=500)
    assert np.all(np.diff(q_calc) > 0)
    assert np.all(np.isin(q, q_calc))  # the data's own points are kept
    assert q_calc[-1] >= np.max(q + 2.5 * dq) * (1 - 1e-9)
    assert len(q_calc) <= 500 + len(q)
    # without the cap a 20000 Å object needs far more points than a 100 Å one
    assert len(oversampled_q_calc(q, dq, size=20000.0, max_points=10**6)) > 4 * len(oversampled_q_calc(q, dq, size=100.0))


def test_object_size_and_buckets():
    model = _sphere()
    assert object_size(model.info, {"radius": 300.0}) == pytest.approx(600.0)
    assert object_size(model.info, {"radius": 300.0, "radius_pd": 0.1}) == pytest.approx(780.0)
    assert size_bucket(None) is None
    assert size_bucket(100.0) >= 100.0 and size_bucket(100.0) < 125.0 + 1e-9
    assert size_bucket(109.0) == size_bucket(120.0)


@functools.lru_cache(maxsize=1)
def _large_noise_free_sphere():
    from sasnets.simulate.options import GenerationOptions
    from sasnets.simulate.simulation import simulate_curve

    options = GenerationOptions.preset("instrument", qmin="0.001", qmax="0.3", nq="100", noise="0",
                                       resolution="5", engine="dll", precision="double")
    curves = [simulate_curve("sphere", seed, options) for seed in range(40)]
    return max(curves, key=lambda c: c.params["radius"])


def test_generator_and_fitter_smear_identically():
    from sasmodels.data import Data1D

    from sasnets.analysis.fitting import _kernel, _SizedCalculator

    curve = _large_noise_free_sphere()
    assert curve.params["radius"] > 500  # fringes the default smearing would alias on 100 points
    info, kmodel = _kernel("sphere")
    q, dq = np.asarray(curve.q, float), np.asarray(curve.dq, float)
    data = Data1D(x=q, y=np.asarray(curve.iq, float), dx=dq, dy=0.02 * np.asarray(curve.iq, float))
    pars = {k: v for k, v in curve.params.items() if not isinstance(v, str)}
    fitted = _SizedCalculator(data, kmodel, info)(**pars)
    residual = (fitted - curve.iq) / (0.02 * curve.iq)
    assert np.mean(residual ** 2) < 1e-6


def test_fitter_polish_reports_zero_chi2_at_the_true_parameters():
    """The bumps Experiment the fitter polishes with smears like the generator:
    at the true parameters a noise-free curve has chi2 ~ 0."""
    import time

    from sasmodels.data import Data1D

    from sasnets.analysis.fitting import _kernel, _polish

    curve = _large_noise_free_sphere()
    info, kmodel = _kernel("sphere")
    iq = np.asarray(curve.iq, float)
    data = Data1D(x=np.asarray(curve.q, float), y=iq, dx=np.asarray(curve.dq, float), dy=0.02 * iq)
    pars = {k: float(v) for k, v in curve.params.items() if not isinstance(v, str)}
    values = {"scale": pars.pop("scale"), "background": pars.pop("background")}
    chi2, *_ = _polish(kmodel, info, data, [], pars, values, -1.0, 1e9, time.perf_counter() + 10)
    assert chi2 / len(iq) < 1e-4
