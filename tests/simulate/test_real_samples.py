"""Real samples in simulation: products with a structure factor, size dispersity, slit smearing.

The central check: a curve written to a store by ``sasnets.generate`` and read
back is recomputed exactly by sasmodels' own ``DirectModel`` from what the
curve records (its parameters and its resolution), for a monodisperse, a
polydisperse, a product and a slit-smeared curve.
"""
import numpy as np
import pytest

from sasnets.errors import UsageError
from sasnets.simulate import GenerationOptions, generate, load_model_info, resolve_models, simulate_curve
from sasnets.simulate.products import SF_RANGES, water_dielectric_constant
from sasnets.simulate.sampling import sample_parameters
from sasnets.stores import open_store

EXACT = dict(nq=24, qmin=0.005, qmax=0.3, noise=0, resolution=5, scale=1, background=0.001, precision="double")


def _recompute(curve):
    """The theory of ``curve`` from its record alone, with sasmodels directly (no sasnets code)."""
    from sasmodels import core
    from sasmodels.data import empty_data1D
    from sasmodels.direct_model import DirectModel

    kernel = core.build_model(core.load_model_info(curve.model), dtype="double", platform="dll")
    data = empty_data1D(np.asarray(curve.q, float))
    if curve.slit_smeared:
        data.dx = None
        data.dxl = np.asarray(curve.slit_length, float)
        data.dxw = np.asarray(curve.slit_width, float) if curve.slit_width is not None else np.zeros(len(curve.q))
    else:
        data.dx = np.asarray(curve.dq, float)
    return np.asarray(DirectModel(data, kernel)(**curve.model_parameters), float)


@pytest.mark.parametrize("model, extra, kind", [
    ("sphere", {}, "mono"),
    ("sphere", {"polydisperse": True}, "poly"),
    ("sphere@hayter_msa", {"polydisperse": True}, "product"),
    ("sphere@hayter_msa", {"polydisperse": True, "beta_share": 1.0}, "beta"),
    ("cylinder", {"slit": 1.0, "slit_length": "0.02:0.1", "slit_width": "0:0.001", "slit_qmin": 1e-4,
                  "slit_qmax": 0.01}, "slit"),
])
def test_a_stored_curve_is_recomputed_exactly_from_its_record(tmp_path, model, extra, kind):
    options = GenerationOptions(**EXACT, **extra)
    store = str(tmp_path / "data.h5")
    report = generate(store, [model], 3, options=options, seed=4, workers=1)
    assert not report.failed
    with open_store(store) as s:
        batch = s.read("train")
    assert len(batch) == 3
    for curve in batch:
        params = curve.params
        assert {"scale", "background"} <= set(params)
        if kind in ("poly", "product", "beta"):
            assert params["radius_pd_type"] in ("gaussian", "lognormal", "schulz")
            assert params["radius_pd_n"] == 40 and params["radius_pd_nsigma"] == 3.0 and 0 <= params["radius_pd"] < 0.3
        if kind in ("product", "beta"):
            assert curve.model == "sphere@hayter_msa"
            assert params["radius_effective_mode"] == 1 and params["structure_factor_mode"] == int(kind == "beta")
            for name in ("volfraction", "charge", "concentration_salt", "temperature", "dielectconst"):
                assert name in params
        if kind == "slit":
            assert curve.slit_smeared and 0.02 <= params["slit_length"] <= 0.1
            assert np.all(curve.dq == 0) and curve.q.min() == pytest.approx(1e-4)
        else:
            assert not curve.slit_smeared and np.allclose(curve.dq, 0.05 * curve.q)
        stored = np.asarray(curve.iq)
        assert stored.dtype == np.float32
        # stored float32 intensities equal the double-precision theory rounded to float32
        np.testing.assert_allclose(stored, _recompute(curve).astype(np.float32), rtol=2e-7, atol=0)


def test_products_resolve_in_sasmodels_notation_and_expand_from_structure_factors():
    assert resolve_models(["sphere@hayter_msa"]) == ["sphere@hayter_msa"]
    assert resolve_models(["sphere", "power_law"], structure_factors="hardsphere,squarewell") == [
        "power_law", "sphere", "sphere@hardsphere", "sphere@squarewell"]
    assert "cylinder@stickyhardsphere" in resolve_models(["cylinder"], structure_factors="all")
    capable = [m for m in resolve_models(["all"], structure_factors="hardsphere") if m.endswith("@hardsphere")]
    assert 25 <= len(capable) <= 40  # sasmodels 1.1: 30 form factors have effective-radius modes
    assert "core_shell_sphere@hardsphere" in resolve_models(["core_shell_*@hardsphere"])


@pytest.mark.parametrize("words, kwargs, fragment", [
    (["sphere@sphere"], {}, "not a structure factor"),
    (["power_law@hardsphere"], {}, "cannot multiply it by a structure factor"),
    (["sphere@hardsphre"], {}, "did you mean hardsphere"),
    (["hardsphere@hayter_msa"], {}, "two structure factors"),
    (["sphere@"], {}, "names no structure factor"),
    (["power_law", "lamellar"], {"structure_factors": "hardsphere"}, "can take a structure factor"),
    (["sphere"], {"structure_factors": "hayter"}, "did you mean hayter_msa"),
    (["spheer"], {}, "did you mean sphere"),
])
def test_bad_products_are_one_sentence(words, kwargs, fragment):
    with pytest.raises(UsageError) as err:
        resolve_models(words, **kwargs)
    message = str(err.value)
    assert fragment in message and "\n" not in message


def test_structure_factor_parameters_are_physical():
    for sf in ("hardsphere", "hayter_msa", "squarewell", "stickyhardsphere", "two_yukawa"):
        info = load_model_info(f"cylinder@{sf}")
        modes = len(load_model_info("cylinder").radius_effective_modes)
        for k in range(20):
            pars = sample_parameters(info, np.random.default_rng(k))
            assert 1 <= pars["radius_effective_mode"] <= modes
            for name, (low, high, _) in SF_RANGES[sf].items():
                assert low <= pars[name] <= high, (sf, name, pars[name])
            if sf == "hayter_msa":
                assert pars["dielectconst"] == pytest.approx(water_dielectric_constant(pars["temperature"]))
    assert water_dielectric_constant(298.15) == pytest.approx(78.3, abs=0.1)


def test_dispersity_keeps_its_cost_bounded_and_sets_every_key():
    options = GenerationOptions(polydisperse=True, pd_max=3, pd_points=30, pd_types="lognormal,schulz",
                                pd_width="0.05:0.2")
    info = load_model_info("core_shell_bicelle")
    seen = set()
    for k in range(40):
        pars = sample_parameters(info, np.random.default_rng(k), options=options)
        dispersed = [n[:-3] for n in pars if n.endswith("_pd") and pars[n] > 0]
        assert 1 <= len(dispersed) <= 3
        seen.add(len(dispersed))
        assert np.prod([pars[f"{n}_pd_n"] for n in dispersed]) <= 30
        for n in dispersed:
            assert pars[f"{n}_pd_type"] in ("lognormal", "schulz") and pars[f"{n}_pd_nsigma"] == pytest.approx(
                min(3.0, np.sqrt(pars[f"{n}_pd_n"])))
            assert load_model_info("core_shell_bicelle").parameters[n].type == "volume"
    assert seen == {1, 2, 3}


def test_realistic_preset_mixes_pinhole_and_slit_curves_and_keeps_old_presets_unchanged():
    realistic = GenerationOptions.preset("realistic")
    curves = [simulate_curve("sphere", s, realistic) for s in range(40)]
    slit = [c for c in curves if c.slit_smeared]
    assert 1 <= len(slit) <= 15
    assert all(c.q.min() < 3.01e-4 and np.all(c.dq == 0) for c in slit)
    mono = [c for c in curves if not c.params.get("radius_pd")]  # the preset's 20 % monodisperse share
    assert 2 <= len(mono) <= 16 and all("radius_pd_type" in c.params for c in curves if c.params.get("radius_pd"))
    products = [simulate_curve("sphere@hardsphere", s, realistic).params["structure_factor_mode"] for s in range(20)]
    assert 3 <= sum(products) <= 17  # half of the products in the beta approximation
    # the instrument preset draws nothing new: no dispersity, no slit keys
    inst = simulate_curve("sphere", 3, GenerationOptions.preset("instrument"))
    assert not any(k.endswith("_pd") or k.startswith("slit") for k in inst.params)


def test_a_share_of_products_takes_sasmodels_own_structure_factor_draw():
    """--sf-broad-share: sasmodels' random() ranges and untied effective radii on that share, physical ranges elsewhere."""
    info = load_model_info("cylinder@hardsphere")
    modes = len(load_model_info("cylinder").radius_effective_modes)
    phi_low, phi_high = SF_RANGES["hardsphere"]["volfraction"][:2]

    def draws(share):
        options = GenerationOptions.preset("realistic", sf_broad_share=share)
        return [sample_parameters(info, np.random.default_rng(s), options=options) for s in range(60)]

    physical = draws(0.0)
    assert all(phi_low <= p["volfraction"] <= phi_high and 1 <= p["radius_effective_mode"] <= modes for p in physical)
    broad = draws(1.0)
    phi = np.array([p["volfraction"] for p in broad])
    physical_phi = np.array([p["volfraction"] for p in physical])
    # sasmodels' hardsphere: log-uniform 0.01-1, capped at its limit 0.74; ours uniform 0.01-0.4
    assert phi.max() <= 0.74 and (phi > phi_high).any() and (phi < 0.05).sum() > (physical_phi < 0.05).sum()
    untied = [p for p in broad if p["radius_effective_mode"] == 0]
    assert 2 <= len(untied) <= 30 and len({round(p["radius_effective"], 6) for p in untied}) == len(untied)
    assert draws(1.0) == broad  # the same seeds draw the same values
    mixed = draws(0.3)
    outside = sum(not (phi_low <= p["volfraction"] <= phi_high) or p["radius_effective_mode"] == 0 for p in mixed)
    assert 3 <= outside <= 35


@pytest.mark.parametrize("changes, fragment", [
    ({"slit": 0.5, "slit_length": -0.1}, "--slit-length must be positive"),
    ({"mono_share": 1.5}, "--mono-share is a share of the curves"),
    ({"beta_share": -0.1}, "--beta-share is a share of the curves"),
    ({"sf_broad_share": 2}, "--sf-broad-share is a share of the curves"),
    ({"polydisperse": True, "pd_width": "0.1:1"}, "--pd-width"),
    ({"pd_types": "gauss"}, "did you mean gaussian"),
    ({"slit": 1.5}, "--slit"),
    ({"pd_points": 2}, "--pd-points"),
])
def test_bad_dispersity_and_slit_options_are_one_sentence(changes, fragment):
    with pytest.raises(UsageError) as err:
        GenerationOptions(**changes)
    assert fragment in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("url, model", [
    ("data.h5", "sphere@hardsphere"), ("sqlite:///{tmp}/data.db", "sphere@hardsphere"),
    # directory stores name a file after the model and refuse '@' (see sasnets/stores/_linefiles.py)
    ("json:{tmp}/j/", "sphere"), ("aggr:{tmp}/a/", "sphere"),
])
def test_every_file_store_keeps_string_dispersity_types_and_slit_records(tmp_path, url, model):
    url = url.format(tmp=tmp_path) if "{" in url else str(tmp_path / url)
    options = GenerationOptions(**EXACT, polydisperse=True, slit=0.5)
    generate(url, [model], 6, options=options, seed=2, workers=1)
    with open_store(url) as s:
        batch = s.read("train")
    assert set(batch.models.astype(str)) == {model} and len(batch) == 6
    slit = 0
    for curve in batch:
        assert curve.params["radius_pd_type"] in ("gaussian", "lognormal", "schulz")
        assert isinstance(curve.params["radius_pd_n"], int)
        if "@" in model:
            assert isinstance(curve.params["radius_effective_mode"], int)
        if "slit_length" in curve.params:
            slit += 1
            assert curve.slit_smeared and curve.slit_length[0] == curve.params["slit_length"]
    assert 0 < slit < 6


@pytest.mark.slow
def test_every_product_sasmodels_allows_generates_valid_curves():
    from sasnets.simulate.simulation import simulate_valid_curve

    options = GenerationOptions(nq=16, qmin=0.005, qmax=0.3, noise=2, resolution=5)
    products = [m for m in resolve_models(["all"], structure_factors="all") if "@" in m]
    assert len(products) >= 100
    for model in products:
        curve, _ = simulate_valid_curve(model, 0, "train", 0, options)
        assert np.all(curve.iq > 0), model
