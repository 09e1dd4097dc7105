"""Parameter sampling: valid for every model, reproducible, dispersity on demand."""
import numpy as np
import pytest

from sasnets.simulate import load_model_info, sample_parameters
from sasnets.simulate.sampling import model_parameter_names

# randomize_pars in sasmodels 1.1 fails ("Unused parameters in call") for these
TRICKY = ["be_polyelectrolyte", "core_multi_shell", "onion", "spherical_sld", "two_power_law"]


@pytest.mark.parametrize("model", TRICKY + ["sphere", "rpa", "barbell"])
def test_sampled_names_are_exactly_the_model_parameters(model):
    info = load_model_info(model)
    pars = sample_parameters(info, np.random.default_rng(3))
    assert set(pars) == set(model_parameter_names(info))
    assert all(np.isfinite(v) for v in pars.values())


def test_sasmodels_typos_in_random_keep_the_intended_range():
    # be_polyelectrolyte.random() returns 'contrast_fact' for 'contrast_factor'
    info = load_model_info("be_polyelectrolyte")
    with_random = [sample_parameters(info, np.random.default_rng(k))["contrast_factor"] for k in range(20)]
    assert len(set(with_random)) == 20
    # the value comes from the model's random(): without it the generic draw differs
    info_without = type(info).__new__(type(info))
    info_without.__dict__.update(info.__dict__, random=None)
    generic = [sample_parameters(info_without, np.random.default_rng(k))["contrast_factor"] for k in range(20)]
    assert with_random != generic


def test_same_generator_state_gives_same_values_and_leaves_numpy_global_state_alone():
    info = load_model_info("core_multi_shell")
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    a = sample_parameters(info, np.random.default_rng(9))
    b = sample_parameters(info, np.random.default_rng(9))
    assert a == b
    assert np.array_equal(np.random.get_state()[1], before)
    assert sample_parameters(info, np.random.default_rng(10)) != a


def test_control_parameters_are_whole_numbers_within_limits():
    info = load_model_info("onion")
    for k in range(20):
        n = sample_parameters(info, np.random.default_rng(k))["n_shells"]
        assert float(n).is_integer() and 1 <= n <= 10


def test_constraints_between_parameters_hold():
    info = load_model_info("barbell")
    for k in range(20):
        pars = sample_parameters(info, np.random.default_rng(k))
        assert pars["radius_bell"] >= pars["radius"]


def test_polydispersity_only_when_asked():
    info = load_model_info("core_shell_sphere")
    mono = sample_parameters(info, np.random.default_rng(1))
    assert not any(k.endswith("_pd_n") for k in mono)
    counts = []
    for k in range(30):
        poly = sample_parameters(info, np.random.default_rng(k), polydisperse=True)
        pd = {k: v for k, v in poly.items() if k.endswith("_pd_n")}
        assert sorted(pd.values()) in ([40], [6, 6])  # product of points within the default budget of 40
        for name in pd:
            width = poly[name[:-2]]
            assert 0 <= width < 0.3
            assert poly[name[:-2] + "_nsigma"] == pytest.approx(min(3.0, np.sqrt(pd[name])))  # 6 points: ±2.45
            assert poly[name[:-2] + "_type"] in ("gaussian", "lognormal", "schulz")
        counts.append(len(pd))
    assert set(counts) == {1, 2}


def test_fit_to_window_shrinks_large_particles_keeping_proportions():
    from sasnets.simulate.sampling import fit_to_window, largest_dimension

    info = load_model_info("cylinder")
    pars = {"radius": 500.0, "length": 9000.0}
    qmin = 1e-3                                # resolves sizes up to pi/qmin = 3142 Å
    factor = fit_to_window(info, pars, qmin)
    assert factor == pytest.approx(np.pi / qmin / 10000.0)
    assert largest_dimension(info, pars) == pytest.approx(np.pi / qmin)
    assert pars["length"] / pars["radius"] == pytest.approx(18.0)
    small = {"radius": 20.0, "length": 400.0}
    assert fit_to_window(info, small, qmin) == 1.0 and small == {"radius": 20.0, "length": 400.0}


def test_fit_to_window_leaves_models_without_a_particle_size_alone():
    from sasnets.simulate.sampling import fit_to_window

    info = load_model_info("mass_fractal")      # shape-independent: its cutoff length is no edge
    pars = {"radius": 3000.0, "cutoff_length": 50000.0, "fractal_dim": 2.0}
    assert fit_to_window(info, pars, 1e-2) == 1.0 and pars["cutoff_length"] == 50000.0


def test_the_sasmodels_sampler_draws_what_randomize_pars_draws():
    """--sampler sasmodels: sasmodels.compare.randomize_pars + constrain_pars, only keys the model
    takes, its dispersity on the size parameters it chose (widths capped at 0.3, points at
    --pd-points), none on orientations; --mono drops the widths."""
    from sasmodels import compare, core

    from sasnets.simulate.options import GenerationOptions
    from sasnets.simulate.sampling import sample_parameters

    options = GenerationOptions.preset("realistic", sampler="sasmodels", pd_points=16)
    for name in ("cylinder@hayter_msa", "core_multi_shell", "spherical_sld", "core_shell_bicelle"):
        info = core.load_model_info(name)
        sizes = {p.id for p in info.parameters.kernel_parameters if p.polydisperse and p.type == "volume"}
        vector = any(p.length > 1 for p in info.parameters.kernel_parameters)
        dispersed = 0
        for seed in range(8):
            one = sample_parameters(info, np.random.default_rng(seed), options=options)
            assert one == sample_parameters(info, np.random.default_rng(seed), options=options)
            assert set(one) <= set(compare.get_pars(info)) | set(info.parameters.defaults)
            widths = [k for k, v in one.items() if k.endswith("_pd") and v > 0]
            assert (vector or {k[:-3] for k in widths} <= sizes) and all(one[k] <= 0.3 for k in widths)
            assert np.prod([one[k + "_n"] for k in widths]) <= 16
            dispersed += bool(widths)
            mono = sample_parameters(info, np.random.default_rng(seed), options=options.replace(polydisperse=False))
            assert not any(v > 0 for k, v in mono.items() if k.endswith("_pd"))
        if not vector:  # shells (vector parameters) are left sharp
            assert dispersed >= 6, name  # sasmodels disperses a size on 99 % of its draws
    info = core.load_model_info("sphere")
    state = np.random.get_state()
    ours = sample_parameters(info, np.random.default_rng(1), options=options)
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # the global generator is left as it was
    np.random.seed(int(np.random.default_rng(1).integers(2**32)))
    theirs = compare.randomize_pars(info, {**compare.get_pars(info), **info.parameters.defaults})
    compare.constrain_pars(info, theirs)
    assert ours["radius"] == pytest.approx(theirs["radius"]) and ours["sld"] == pytest.approx(theirs["sld"])
    # randomize_pars' generic scale is the instrument scale simulate applies: not drawn twice
    assert ours["scale"] == 1.0 and theirs["scale"] != 1.0
    assert sample_parameters(core.load_model_info("dab"), np.random.default_rng(1), options=options)["scale"] != 1.0


def test_few_dispersity_points_span_fewer_widths_and_stay_closer_to_the_distribution():
    """3 points over ±sqrt(3) widths, not ±3, are nearer to the 80-point curve of a broad sphere."""
    from sasmodels.core import load_model
    from sasmodels.data import empty_data1D
    from sasmodels.direct_model import DirectModel

    from sasnets.simulate.sampling import dispersity_nsigma

    assert dispersity_nsigma(40, 3.0) == 3.0 and dispersity_nsigma(3, 3.0) == pytest.approx(np.sqrt(3))
    direct = DirectModel(empty_data1D(np.logspace(-3, -0.5, 120)), load_model("sphere"))

    def curve(points, nsigma):
        return direct(radius=100, radius_pd=0.3, radius_pd_n=points, radius_pd_nsigma=nsigma, background=0)

    reference = curve(80, 3.0)
    error = {ns: np.sqrt(np.mean(np.log(curve(3, ns) / reference) ** 2)) for ns in (3.0, dispersity_nsigma(3, 3.0))}
    assert error[dispersity_nsigma(3, 3.0)] < 0.6 * error[3.0]
