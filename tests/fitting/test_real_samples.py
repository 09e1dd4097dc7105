"""Real samples in fitting: products (P@S), dispersity and slit smearing (issue 22)."""
import math

import numpy as np
import pytest

from sasnets.data import Curve
from sasnets.errors import UsageError
from sasnets.fitting import FitResult, fit_candidates, fit_model, polydisperse_for, rank_fits
from sasnets.fitting import experiment, products

HAYTER = dict(radius=20.0, volfraction=0.1, charge=25.0, sld=0.5, sld_solvent=6.3, scale=1.0, background=0.01)
SPHERE_PD = dict(radius=200.0, radius_pd=0.15, radius_pd_n=35, radius_pd_nsigma=3, radius_pd_type="gaussian",
                 sld=0.5, sld_solvent=6.3, scale=0.01, background=0.01)


def simulate(model, pars, q=None, dqq=0.05, slit_length=None, noise=0.02, seed=1):
    """A noisy curve computed directly with sasmodels (pinhole dQ/Q or a slit length)."""
    from sasmodels import core
    from sasmodels.data import Data1D
    from sasmodels.direct_model import DirectModel

    q = np.logspace(-3, -0.5, 120) if q is None else q
    data = Data1D(x=q, y=np.ones_like(q), dx=None if slit_length else dqq * q, dy=np.ones_like(q))
    if slit_length:
        data.dxl, data.dxw = np.full(q.size, slit_length), None
    iq = DirectModel(data, core.load_model(model, dtype="double", platform="dll"))(**pars)
    diq = noise * iq
    noisy = iq + np.random.default_rng(seed).normal(size=q.size) * diq
    return Curve(q=q, iq=noisy, diq=diq, dq=None if slit_length else dqq * q, model=model, params=dict(pars),
                 slit_length=None if not slit_length else np.full(q.size, slit_length))


@pytest.fixture(scope="module")
def hayter_curve():
    return simulate("sphere@hayter_msa", HAYTER)


@pytest.fixture(scope="module")
def hayter_fit(hayter_curve):
    return fit_model(hayter_curve, "sphere@hayter_msa", budget_s=30)


def test_product_fits_volfraction_and_charge_with_the_effective_radius_tied(hayter_fit):
    r = hayter_fit
    assert r.acceptable, r.message
    assert set(r.parameters) == {"scale", "background", "radius", "volfraction", "charge"}
    assert r.parameters["radius"][0] == pytest.approx(20, rel=0.02)
    assert r.parameters["volfraction"][0] == pytest.approx(0.1, rel=0.05)
    assert r.parameters["charge"][0] == pytest.approx(25, rel=0.1)
    # the conditions are held at sasmodels' defaults, the effective radius follows the form factor
    assert r.fixed["temperature"] == 318.16 and r.fixed["dielectconst"] == 71.08
    assert r.fixed["radius_effective_mode"] == 1 and "radius_effective" not in r.parameters
    assert r.nparams == 5  # scale, background, radius, volfraction, charge: S(q) parameters are counted


def test_degeneracy_test_keeps_a_products_volfraction(hayter_curve):
    from sasmodels.direct_model import DirectModel

    info, kmodel = experiment._kernel("sphere@hardsphere")
    prep = experiment._prepare(hayter_curve, None)
    calc = DirectModel(prep.data(), kmodel, cutoff=1e-5)
    shape, fixed, types = experiment._shape_parameters(info, calc, prep, None, {})
    names = [p.name for p in shape]
    assert "volfraction" in names and "radius" in names and "radius_effective" not in names
    vf = next(p for p in shape if p.name == "volfraction")
    assert (vf.lo, vf.hi) == (0.0, products.MAX_VOLFRACTION)
    assert types == {}


def test_held_conditions_and_a_free_effective_radius(hayter_curve):
    r = fit_model(hayter_curve, "sphere@hayter_msa", budget_s=5, fix={"temperature": 298.0, "radius_effective_mode": 0})
    assert r.held["temperature"] == 298.0 and r.fixed["temperature"] == 298.0
    assert "radius_effective" in r.parameters  # mode 0 frees it


def test_a_poor_tied_product_fit_frees_the_effective_radius_when_it_lowers_bic():
    # hard spheres interacting at twice their radius (a corona): the tied effective radius cannot fit
    pars = dict(radius=40.0, radius_effective=80.0, radius_effective_mode=0, volfraction=0.3, sld=1.0,
                sld_solvent=6.3, scale=1.0, background=0.01)
    curve = simulate("sphere@hardsphere", pars, q=np.logspace(-2.3, -0.7, 100), noise=0.01)
    tied = fit_model(curve, "sphere@hardsphere", budget_s=10, fix={"radius_effective_mode": 1})
    auto = fit_model(curve, "sphere@hardsphere", budget_s=10, search_widths=False)
    assert not tied.acceptable and tied.fixed["radius_effective_mode"] == 1
    assert auto.acceptable and auto.bic < tied.bic
    assert auto.fixed["radius_effective_mode"] == 0 and auto.held == {}  # chosen by the search, not held
    assert auto.parameters["radius_effective"][0] == pytest.approx(80, rel=0.05)
    assert auto.sasmodels_parameters["radius_effective_mode"] == 0


@pytest.mark.slow  # two product fits with a held width
def test_a_poor_product_fit_tries_the_beta_approximation():
    # broad spheres at 30 %: sasmodels' beta approximation differs from the decoupling default
    pars = dict(radius=40.0, radius_pd=0.3, radius_pd_n=35, radius_pd_nsigma=3, radius_pd_type="gaussian",
                volfraction=0.3, structure_factor_mode=1, radius_effective_mode=1, sld=1.0, sld_solvent=6.3,
                scale=1.0, background=0.01)
    curve = simulate("sphere@hardsphere", pars)
    decoupled = fit_model(curve, "sphere@hardsphere", budget_s=10, fix={"radius_pd": 0.3, "structure_factor_mode": 0})
    auto = fit_model(curve, "sphere@hardsphere", budget_s=10, fix={"radius_pd": 0.3})
    assert not decoupled.acceptable and decoupled.fixed["structure_factor_mode"] == 0
    assert auto.acceptable and auto.bic < decoupled.bic
    assert auto.fixed["structure_factor_mode"] == 1 and "structure_factor_mode" not in auto.held  # chosen, not held
    assert auto.sasmodels_parameters["structure_factor_mode"] == 1
    assert auto.parameters["radius"][0] == pytest.approx(40, rel=0.03)
    assert auto.parameters["volfraction"][0] == pytest.approx(0.3, rel=0.05)


@pytest.mark.parametrize("name, match", [
    ("sphere@sphere", "is a form factor, not a structure factor"),
    ("lamellar@hardsphere", "has no effective radius"),
    ("sphere@nonesuch", "Unknown structure factor 'nonesuch'"),
    ("hardsphere@hayter_msa", "is a structure factor"),
    ("sphere@", "is not a product"),
])
def test_bad_products_are_one_sentence(hayter_curve, name, match):
    with pytest.raises(UsageError, match=match) as err:
        fit_model(hayter_curve, name, budget_s=1)
    assert "\n" not in str(err.value)


def test_ranking_counts_structure_factor_parameters(hayter_curve, hayter_fit):
    plain = fit_model(hayter_curve, "sphere", budget_s=10, search_widths=False)
    assert plain.nparams == 3 and hayter_fit.nparams == 5
    ranked = rank_fits([plain, hayter_fit])
    assert ranked[0].model == "sphere@hayter_msa"  # far better chi2 pays for two more parameters
    # same chi2: the BIC penalty of the product's extra parameters decides
    a, b = FitResult("sphere", chi2=100, npoints=120, nparams=3, success=True), \
        FitResult("sphere@hardsphere", chi2=100, npoints=120, nparams=5, success=True)
    assert rank_fits([b, a])[0].model == "sphere"


@pytest.fixture(scope="module")
def pd_curve():
    return simulate("sphere", SPHERE_PD)


def test_asked_width_is_fitted_with_type_and_points(pd_curve):
    r = fit_model(pd_curve, "sphere", budget_s=30, polydisperse=["radius"], pd_type="schulz")
    assert set(r.parameters) == {"scale", "background", "radius", "radius_pd"}
    assert r.fixed["radius_pd_n"] == 35 and r.fixed["radius_pd_nsigma"] == 3  # sasmodels issue 746
    assert r.dispersity["radius"]["type"] == "schulz" and r.dispersity["radius"]["fitted"]
    assert r.dispersity["radius"]["width"] == pytest.approx(0.15, abs=0.03)
    assert r.to_dict()["dispersity"]["radius"]["type"] == "schulz"


@pytest.mark.slow  # several fits
def test_a_poor_monodisperse_fit_gets_the_main_width_when_it_lowers_bic(pd_curve):
    mono = fit_model(pd_curve, "sphere", budget_s=30, search_widths=False)
    auto = fit_model(pd_curve, "sphere", budget_s=30)
    assert not mono.acceptable and mono.pd_types == {}
    assert auto.dispersity_tried and auto.acceptable and auto.bic < mono.bic
    assert auto.dispersity["radius"]["type"] == "gaussian"
    assert auto.parameters["radius"][0] == pytest.approx(200, rel=0.03)
    assert auto.parameters["radius_pd"][0] == pytest.approx(0.15, abs=0.02)


@pytest.fixture(scope="module")
def shell_pd_curve():
    """A thin core in a thick polydisperse shell (sasmodels' sampler drew one like it)."""
    shell = dict(radius=48.0, thickness=150.0, thickness_pd=0.14, thickness_pd_n=35, thickness_pd_nsigma=3,
                 thickness_pd_type="gaussian", sld_core=2.7, sld_shell=9.8, sld_solvent=4.8, scale=0.1,
                 background=0.02)
    return simulate("core_shell_sphere", shell, q=np.logspace(-2, -0.85, 150))


def test_widths_are_tried_the_size_whose_width_fits_better_first(shell_pd_curve):
    # at the monodisperse minimum of a core-shell sphere whose shell is polydisperse, the shell's width helps most
    from sasnets.fitting.search import _widths_to_try

    curve = shell_pd_curve
    mono = fit_model(curve, "core_shell_sphere", budget_s=10, search_widths=False)
    info, kmodel = experiment._kernel("core_shell_sphere")
    order = _widths_to_try(experiment._prepare(curve, None), kmodel, mono, ["radius", "thickness"], "gaussian", {})
    assert [size for size, _ in order] == ["thickness", "radius"]
    assert all(width in (0.05, 0.1, 0.2, 0.3) for _, width in order)


def test_a_large_polydisperse_core_taken_for_a_thick_shell_still_fits():
    # a sasmodels-sampler core-shell sphere: a 188 A core of width 0.3 in a 101 A shell.  Its first-round
    # minimum (an 80 A core in a 400 A shell) promises the shell's width, which fits no better than chi2/dof
    # 22; the fitter tried only that one and kept searching monodisperse first.  Every size is tried now,
    # the widths right after a poor first round
    pars = dict(radius=188.0, radius_pd=0.3, radius_pd_n=35, radius_pd_nsigma=3, radius_pd_type="gaussian",
                thickness=101.5, sld_core=1.56, sld_shell=3.69, sld_solvent=0.42, scale=0.0054, background=0.036)
    curve = simulate("core_shell_sphere", pars, q=np.logspace(np.log10(0.0066), np.log10(0.546), 178))
    fit = fit_model(curve, "core_shell_sphere", budget_s=10)
    assert fit.acceptable and set(fit.pd_types) == {"radius"}
    assert fit.parameters["radius"][0] == pytest.approx(188, rel=0.05)
    assert fit.parameters["radius_pd"][0] == pytest.approx(0.3, abs=0.03)


def test_the_width_search_widens_the_size_that_is_polydisperse_not_always_the_first(shell_pd_curve):
    # a thin core in a thick polydisperse shell: the shell's width fits, the core's (radius, the first) cannot
    curve = shell_pd_curve
    fit = fit_model(curve, "core_shell_sphere", budget_s=10)
    assert fit.acceptable and fit.dispersity_tried
    assert set(fit.pd_types) == {"thickness"}
    assert fit.parameters["thickness_pd"][0] == pytest.approx(0.14, abs=0.03)
    assert fit.parameters["thickness"][0] == pytest.approx(150, rel=0.05)


def test_a_poor_fit_whose_width_the_budget_cannot_afford_says_which_budget_would(pd_curve, monkeypatch):
    # a large polydisperse cylinder on 230 points takes 70 ms an evaluation with a width, so within 5 s its
    # monodisperse fit leaves too little for a width fit; here the width search asks for more evaluations
    # than any budget allows, so the same happens to a cheap sphere
    from sasnets.fitting import search

    monkeypatch.setattr(search, "_MIN_WIDER_EVALUATIONS", 1e9)
    fit = fit_model(pd_curve, "sphere", budget_s=2)
    assert not fit.acceptable and not fit.dispersity_tried
    assert "no size distribution tried" in fit.message and "--budget " in fit.message
    assert "no size distribution" not in fit_model(pd_curve, "sphere", budget_s=2, search_widths=False).message


def test_a_good_monodisperse_fit_costs_no_width_search(hayter_fit):
    assert not hayter_fit.dispersity_tried and hayter_fit.pd_types == {}


def test_held_width_is_integrated_with_its_type(pd_curve):
    r = fit_model(pd_curve, "sphere", budget_s=10, fix={"radius_pd": 0.15}, pd_type="lognormal")
    assert r.dispersity == {"radius": {"width": 0.15, "error": r.dispersity["radius"]["error"],
                                       "type": "lognormal", "fitted": False}}
    assert r.fixed["radius_pd_n"] == 35


@pytest.mark.parametrize("kwargs, match", [
    (dict(fix={"radius_pd": 1.5}), "radius_pd=1.5 is outside the range of a dispersity width"),
    (dict(fix={"radius_pd": 1.0}), "radius_pd=1 is outside the range of a dispersity width"),
    (dict(polydisperse=["sld"]), "'sld' is not a size parameter"),
    (dict(pd_type="uniformish"), "Unknown dispersity type"),
    (dict(polydisperse=["radius"], fix={"radius_pd": 0.1}), "both held"),
    (dict(slit_length=-0.1), "slit length must be"),
    (dict(slit_length=0.1, resolution=0.05), "both given"),
])
def test_bad_dispersity_and_slit_options_are_one_sentence(pd_curve, kwargs, match):
    with pytest.raises(UsageError, match=match) as err:
        fit_model(pd_curve, "sphere", budget_s=1, **kwargs)
    assert "\n" not in str(err.value)


def test_polydisperse_for_candidates():
    assert polydisperse_for(["sphere", "lamellar"], ["radius"]) == {"sphere": ["radius"], "lamellar": None}
    assert polydisperse_for(["sphere"], None) == {"sphere": None}
    with pytest.raises(UsageError, match="none of the scattering models fitted"):
        polydisperse_for(["sphere"], ["length"])
    with pytest.raises(UsageError, match="not a size parameter"):
        polydisperse_for(["sphere"], ["sld_solvent"])


SLIT_Q = np.logspace(np.log10(1e-4), np.log10(5e-3), 60)
LATEX = dict(radius=2300.0, sld=1.0, sld_solvent=6.3, scale=0.01, background=0.01)


@pytest.fixture(scope="module")
def slit_curve():
    return simulate("sphere", LATEX, q=SLIT_Q, slit_length=0.05)


def test_slit_smeared_curve_is_fitted_with_its_slit(slit_curve):
    assert slit_curve.slit_smeared and slit_curve.dq is None
    r = fit_model(slit_curve, "sphere", budget_s=30, search_widths=False)
    assert r.acceptable and r.parameters["radius"][0] == pytest.approx(2300, rel=0.02)
    unsmeared = fit_model(slit_curve, "sphere", budget_s=10, search_widths=False, slit_length=0.0)
    assert unsmeared.reduced_chi2 > 10 * r.reduced_chi2


def test_slit_length_option_for_a_file_without_it(slit_curve):
    bare = Curve(q=slit_curve.q, iq=slit_curve.iq, diq=slit_curve.diq)  # the file lost its slit metadata
    r = fit_model(bare, "sphere", budget_s=30, search_widths=False, slit_length=0.05)
    assert r.acceptable and r.parameters["radius"][0] == pytest.approx(2300, rel=0.02)
    prep = experiment._prepare(bare, None, slit_length=0.05, slit_width=0.001)
    data = prep.data()
    assert data.dx is None and np.all(data.dxl == 0.05) and np.all(data.dxw == 0.001)


@pytest.mark.slow  # several fits
def test_fit_candidates_passes_the_new_options(pd_curve):
    ranked = fit_candidates(pd_curve, models=["sphere", "lamellar"], budget_s=10, workers=1,
                            polydisperse=["radius"], pd_type="schulz")
    by = {r.model: r for r in ranked}
    assert by["sphere"].pd_types == {"radius": "schulz"} and "radius_pd" in by["sphere"].parameters
    assert math.isfinite(by["lamellar"].chi2)


def test_product_of_a_form_factor_without_beta_approximation_fits(hayter_curve):
    # raspberry's products have no structure_factor_mode: the fit must not pass one
    r = fit_model(hayter_curve, "raspberry@squarewell", budget_s=5)
    assert np.isfinite(r.reduced_chi2), r.message
    assert "structure_factor_mode" not in r.fixed
    # tied, or freed by the effective-radius search where the tied fit is poor
    assert r.fixed["radius_effective_mode"] == 1 or "radius_effective" in r.parameters
