"""One curve from (model, seed, options): seeds, physics options, validity."""
import numpy as np
import pytest

from sasnets.data import Curve
from sasnets.simulate import (GenerationOptions, curve_is_valid, curve_seed, simulate_curve,
                              simulate_valid_curve)


def test_curve_seed_is_deterministic_and_distinct_per_tag_model_index_attempt():
    base = curve_seed(7, "train", "sphere", 0)
    assert base == curve_seed(7, "train", "sphere", 0)
    others = {curve_seed(7, "eval", "sphere", 0), curve_seed(7, "train", "cylinder", 0),
              curve_seed(7, "train", "sphere", 1), curve_seed(7, "train", "sphere", 0, attempt=1),
              curve_seed(8, "train", "sphere", 0)}
    assert base not in others and len(others) == 5
    assert 0 <= base < 2**63


def test_same_seed_same_curve(tiny_options):
    a = simulate_curve("cylinder", 1234, tiny_options)
    b = simulate_curve("cylinder", 1234, tiny_options)
    for col in ("q", "dq", "iq", "diq"):
        assert np.array_equal(getattr(a, col), getattr(b, col))
    assert a.params == b.params and a.seed == 1234 and a.model == "cylinder"
    c = simulate_curve("cylinder", 1235, tiny_options)
    assert not np.array_equal(a.iq, c.iq)


def test_fixed_grid_resolution_and_noise_follow_the_options(tiny_options):
    curve = simulate_curve("sphere", 5, tiny_options)
    assert np.allclose(curve.q, np.logspace(np.log10(0.005), np.log10(0.3), 16))
    assert np.allclose(curve.dq, 0.05 * curve.q)
    # dI is noise% of the noiseless intensity; the stored I scatters around it by about dI
    assert np.all(curve.diq > 0)
    rel = np.abs(curve.iq - curve.diq / 0.02) / curve.diq
    assert np.median(rel) < 3


def test_scale_and_background_ranges_are_applied():
    opts = GenerationOptions(nq=12, scale="0.01:0.1", background="0.5:2")
    scales, backgrounds = [], []
    for seed in range(40):
        c = simulate_curve("guinier", seed, opts)
        backgrounds.append(c.params["background"])
        scales.append(c.params["scale"])
    assert all(0.5 <= b <= 2 for b in backgrounds) and len(set(backgrounds)) == 40
    # guinier's own amplitude times the drawn scale: varied, never the 2017 constant
    assert len(set(scales)) == 40
    fixed = GenerationOptions(nq=12)
    c = simulate_curve("sphere", 3, fixed)
    assert c.params["background"] == 1e-5 and c.params["scale"] == 1.0


def test_background_is_a_flat_floor():
    opts = GenerationOptions(nq=40, qmin=0.2, qmax=0.5, background=10, noise=0)
    c = simulate_curve("sphere", 11, opts)
    assert np.all(c.iq >= 10 - 1e-9)


def test_instrument_preset_gives_ragged_instrument_like_curves():
    opts = GenerationOptions.preset("instrument")
    curves = [simulate_curve("sphere", s, opts) for s in range(30)]
    lengths = {len(c) for c in curves}
    assert len(lengths) > 10 and min(lengths) >= 60 and max(lengths) <= 250
    for c in curves:
        assert 1e-3 <= c.q[0] <= 0.02 + 1e-12 and 0.1 - 1e-12 <= c.q[-1] <= 0.6
        res = c.dq / c.q
        assert np.allclose(res, res[0]) and 0.02 <= res[0] <= 0.10
        assert 1e-3 <= c.params["background"] <= 1
    windows = {(round(c.q[0], 6), round(c.q[-1], 6)) for c in curves}
    assert len(windows) == 30


def test_template_q_and_dq_are_used(tmp_path):
    pytest.importorskip("sasnets.stores.measured")
    q = np.geomspace(0.004, 0.25, 25)
    path = tmp_path / "measured.dat"
    np.savetxt(path, np.column_stack([q, 100 / (1 + (30 * q) ** 2), 0.5 + 0 * q, 0.04 * q]))
    opts = GenerationOptions.from_template(str(path))
    c = simulate_curve("sphere", 2, opts)
    assert np.allclose(c.q, q) and np.allclose(c.dq, 0.04 * q)


def test_invalid_curves_are_detected_and_redrawn(broken_model_file, tiny_options):
    from sasnets.simulate import SimulationFailure

    bad = Curve(q=np.arange(1.0, 4.0), iq=np.array([1.0, np.nan, 2.0]), diq=np.ones(3))
    assert not curve_is_valid(bad)
    assert not curve_is_valid(Curve(q=np.arange(1.0, 4.0), iq=np.array([1.0, 0.0, 2.0]), diq=np.ones(3)))
    assert not curve_is_valid(Curve(q=np.arange(1.0, 4.0), iq=np.array([1.0, 1e39, 2.0]), diq=np.ones(3)))
    assert curve_is_valid(Curve(q=np.arange(1.0, 4.0), iq=np.ones(3), diq=np.ones(3)))
    with pytest.raises(SimulationFailure, match="test_always_nan"):
        simulate_valid_curve(str(broken_model_file), 0, "train", 0, tiny_options, max_attempts=3)


def test_redraws_use_the_next_attempt_seed(tiny_options):
    # hayter_msa often draws parameters without a solution; redraws move to attempt seeds
    redraws = 0
    for index in range(15):
        curve, attempts = simulate_valid_curve("hayter_msa", 4, "train", index, tiny_options)
        assert curve.seed == curve_seed(4, "train", "hayter_msa", index, attempts)
        assert curve.index == index and curve_is_valid(curve)
        redraws += attempts
    assert redraws > 0


def test_instrument_preset_keeps_particles_within_the_resolvable_size():
    from sasnets.simulate import load_model_info
    from sasnets.simulate.sampling import largest_dimension

    info = load_model_info("core_shell_sphere")
    inst = GenerationOptions.preset("instrument", qmin="0.005:0.01")
    assert inst.resolvable and not GenerationOptions.preset("2017").resolvable
    free = inst.replace(resolvable=False)
    sizes = [(largest_dimension(info, simulate_curve("core_shell_sphere", s, inst).params),
              largest_dimension(info, simulate_curve("core_shell_sphere", s, free).params),
              np.pi / simulate_curve("core_shell_sphere", s, inst).q[0]) for s in range(40)]
    assert all(kept <= limit * (1 + 1e-9) for kept, _, limit in sizes)
    assert any(drawn > limit for _, drawn, limit in sizes)        # the cap did something
    assert all(kept == drawn for kept, drawn, limit in sizes if drawn <= limit)
