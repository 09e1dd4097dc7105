"""Random parameter values for a scattering model.

Values come from three layers, later ones winning:

1. a generic draw for every model parameter, from its entry in the model's
   parameter table (``ModelInfo.parameters``): choice lists and control
   parameters (``n_shells``) draw whole numbers, finite limits a uniform value,
   SLDs a neutron-like range, positive sizes and ratios a log-uniform value
   within a factor 4 of the default, other values within twice the default;
   orientation and magnetic parameters keep their defaults (1D curves are
   orientation averaged and ignore magnetism);
2. the model's own ``random()`` function, where it has one (73 of the 83
   sasmodels 1.1 models): its authors know sensible ranges.  It draws from
   NumPy's legacy global generator, which we seed from the curve's generator
   and restore afterwards.  Keys it returns that are not parameters of the
   model are typos in sasmodels 1.1 (``contrast_fact`` in be_polyelectrolyte,
   ``coefficient_1`` in two_power_law); each is given to the closest
   parameter it did not set, so the intended range is kept;
3. sasmodels' own constraints between parameters
   (``sasmodels.compare.constrain_pars``: barbell bell radius above the
   cylinder radius, rpa volume fractions summing to one, …).

This is why every model generates, unlike ``sasmodels.compare.randomize_pars``
which, in sasmodels 1.1, passes those typo keys and malformed dispersity keys
of vector parameters (``thickness[n_shells]1_pd_n``) straight to the kernel
("Unused parameters in call") for be_polyelectrolyte, core_multi_shell,
onion, spherical_sld and two_power_law.

With ``polydisperse``, size dispersity is added (but for a share
``mono_share`` of the curves, left monodisperse) to 1 to ``pd_max`` size
parameters (type ``volume`` in the model's table; the number uniform), chosen
with weight proportional to their values: a distribution drawn from
``pd_types`` with a relative width drawn uniformly from ``pd_width``
(converted to an absolute width for the few parameters sasmodels disperses
absolutely), ``floor(pd_points ** (1/k))`` points each for ``k`` dispersed
parameters (so the product of points, hence the cost, stays within
``pd_points``), over ``pd_nsigma`` widths, or sqrt(points) when fewer
(:func:`dispersity_nsigma`).  ``_pd``, ``_pd_n``, ``_pd_nsigma``
and ``_pd_type`` are always set together: sasmodels ≥ 1.0.12 uses one point
when only ``_pd`` is given (sasmodels issue 746).

:func:`fit_to_window` keeps a sharp-edged particle within what a curve's q
window resolves (see its docstring); the ``instrument`` preset applies it.
"""
from __future__ import annotations

import copy
import difflib
import math

import numpy as np

from ._legacy_seed import legacy_numpy_seed

__all__ = ["sample_parameters", "model_parameter_names", "largest_dimension", "fit_to_window"]

def _slot_names(p) -> list[str]:
    """The call names of a table parameter: ``radius`` or ``sld1 … sld10``."""
    if p.length > 1:
        return [f"{p.id}{k}" for k in range(1, p.length + 1)]
    return [p.id]


def _active_slot_names(p, pars: dict) -> list[str]:
    """The call names of ``p`` in use: a vector parameter only up to its length control (``n_shells``)."""
    names = _slot_names(p)
    if p.length_control is not None:
        names = names[: max(0, int(round(pars.get(p.length_control, 1))))]
    return names


def model_parameter_names(info) -> list[str]:
    """Names of the model's non-magnetic call parameters, in table order."""
    names = ["scale", "background"]
    for p in info.parameters.kernel_parameters:
        names.extend(_slot_names(p))
    return names


def _is_integer(p) -> bool:
    if p.choices or p.is_control:
        return True
    # whole-number counts such as prism's n_sides or spherical_sld's n_steps
    lo, hi = p.limits
    return (isinstance(p.default, int) and not isinstance(p.default, bool)
            and (p.id.startswith(("n_", "num_")) or p.id in ("n", "N"))
            and (not math.isfinite(lo) or float(lo).is_integer()))


def _generic_value(p, rng: np.random.Generator):
    lo, hi = (float(v) for v in p.limits)
    default = float(p.default)
    if p.choices:
        return int(rng.integers(len(p.choices)))
    if _is_integer(p):
        low = max(int(math.ceil(lo)) if math.isfinite(lo) else 0, 1 if p.is_control else 0)
        high = int(math.floor(hi)) if math.isfinite(hi) else max(low, int(2 * default))
        if not math.isfinite(hi) and default > 0:
            low = max(low, int(default // 2))
        return int(rng.integers(low, max(low, high) + 1))
    if math.isfinite(lo) and math.isfinite(hi):
        return float(rng.uniform(lo, hi))
    if p.type == "sld":
        return float(rng.uniform(-0.5, 12.0))
    if lo >= 0 and default > 0:
        value = default * 4.0 ** rng.uniform(-1.0, 1.0)
        return float(min(max(value, lo), hi))
    if default < 0:
        return float(rng.uniform(2 * default, -2 * default))
    if default > 0:
        return float(rng.uniform(0.0, 2 * default))
    return float(rng.uniform(max(lo, 0.0), min(hi, 1.0)))


def _apply_model_random(info, pars: dict, rng: np.random.Generator) -> None:
    with legacy_numpy_seed(rng):
        drawn = info.random()
    unknown = [k for k in drawn if k not in pars]
    free = [k for k in pars if k not in drawn]
    for key, value in drawn.items():
        if key in pars:
            pars[key] = value
    for key in unknown:
        close = difflib.get_close_matches(key, free, n=1, cutoff=0.75)
        if close:
            pars[close[0]] = drawn[key]
            free.remove(close[0])


def _to_python(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def dispersity_points(k: int, budget: int) -> int:
    """Points per dispersed parameter when ``k`` share a budget of ``budget`` (their product stays within it)."""
    return max(3, int(math.floor(budget ** (1.0 / k) + 1e-9)))


def dispersity_nsigma(points: int, nsigma: float) -> float:
    """The widths ``points`` equally spaced points should span: ``nsigma``, but at most sqrt(points).

    sasmodels spaces a distribution's points evenly over ±nsigma widths; with
    few points over ±3 widths the outer ones carry the size 1.9 times the mean
    (width 0.3), whose volume-squared weight makes the curve that of two
    particle sizes, not of one broad population.  Over ±sqrt(points) widths the
    points keep the distribution's variance (3 points at ±1.73 widths weigh 0.69,
    0.155, 0.155, Gauss-Hermite's 2/3, 1/6, 1/6): for a sphere of width 0.3 the
    rms log error of 3 (4, 6) points against 80 halves, 1.08 -> 0.51 (0.63 -> 0.34,
    0.46 -> 0.33).
    """
    return float(min(float(nsigma), math.sqrt(points)))


def _add_polydispersity(info, pars: dict, rng: np.random.Generator, options=None) -> None:
    """Size dispersity as ``options`` (a GenerationOptions) says; see the module docstring.

    Consumes the same random numbers whatever the model, so curves of
    different models stay comparable draw by draw.
    """
    if options is None:
        from .options import GenerationOptions

        options = GenerationOptions()
    slots: list[str] = []
    relative: dict[str, bool] = {}
    for p in info.parameters.kernel_parameters:
        if not p.polydisperse or p.type != "volume":
            continue
        for n in _active_slot_names(p, pars):
            if pars.get(n, 0) > 0:
                slots.append(n)
                relative[n] = bool(p.relative_pd)
    pd_max = int(options.pd_max)
    u_count = rng.uniform()
    u_choice = rng.uniform(size=pd_max)
    u_type = rng.uniform(size=pd_max)
    u_width = rng.uniform(size=pd_max)
    if options.mono_share > 0 and rng.uniform() < options.mono_share:
        return
    if not slots:
        return
    k = 1 + min(int(u_count * min(pd_max, len(slots))), min(pd_max, len(slots)) - 1)
    npts = dispersity_points(k, int(options.pd_points))
    weights = np.array([pars[n] for n in slots], float)
    left = list(range(len(slots)))
    for j in range(k):  # weighted choice without replacement, larger sizes first more often
        w = weights[left] / weights[left].sum()
        pick = left[min(int(np.searchsorted(np.cumsum(w), u_choice[j] * w.sum(), side="right")), len(left) - 1)]
        left.remove(pick)
        name = slots[pick]
        types = options.pd_types
        width = options.pd_width.low + u_width[j] * (options.pd_width.high - options.pd_width.low)
        pars[f"{name}_pd"] = float(width) if relative[name] else float(width) * float(pars[name])
        pars[f"{name}_pd_n"] = int(npts)
        pars[f"{name}_pd_nsigma"] = dispersity_nsigma(npts, options.pd_nsigma)
        pars[f"{name}_pd_type"] = str(types[min(int(u_type[j] * len(types)), len(types) - 1)])


#: parameter samplers ``GenerationOptions.sampler`` chooses from
SAMPLERS = ("sasnets", "sasmodels")


def randomized_widths(info, drawn: dict) -> list[str]:
    """The ``NAME_pd`` keys of ``drawn`` (from ``compare.randomize_pars``) that sasmodels disperses.

    randomize_pars draws a width for every polydisperse parameter but points
    (``NAME_pd_n``) only for the sizes it chose to disperse: the others stay
    sharp, and so do orientations, which a 1D curve averages.
    """
    orientation = {p.id for p in info.parameters.kernel_parameters if p.type == "orientation"}
    return [k for k, v in drawn.items() if k.endswith("_pd") and k[:-3] not in orientation
            and float(v) > 0 and int(drawn.get(k + "_n", 0)) > 0]


def sasmodels_parameters(info, rng: np.random.Generator, options=None) -> dict:
    """Random call parameters from sasmodels' own sampler: ``compare.randomize_pars`` then
    ``compare.constrain_pars``, as ``sasmodels.compare -random`` draws them (its ranges, its
    dispersity, a product's structure-factor parameters untied from the form factor).

    This is the other sampler a classifier is judged on (``sasnets generate --sampler
    sasmodels``).  Its dispersity is sasmodels' own: a width from beta(1.5, 7) (mean 0.18)
    on one size parameter (65 % of draws), two (33 %) or three (1 %), chosen by
    ``randomize_pars`` with larger sizes more likely, gaussian; widths are capped at 0.3
    and their points at ``options.pd_points`` over all dispersed parameters together, so
    a curve costs what ours do; orientation dispersity, which a 1D curve averages out,
    is dropped (``options.polydisperse`` false: no widths at all).  Only the keys the
    model takes are kept (randomize_pars also writes malformed keys of vector
    parameters); magnetic parameters are left out (1D).  ``scale`` is the model's own
    amplitude, as in :func:`sample_parameters`: randomize_pars' generic draw of it is the
    instrument scale the caller applies.
    """
    from sasmodels import compare

    # get_pars adds the dispersity keys (width, points, nsigma, type) of every scalar
    # polydisperse parameter; the defaults add the vector parameters get_pars drops
    pars = {**compare.get_pars(info), **info.parameters.defaults}
    own: dict = {}  # what the model's random() drew

    def model_random():
        own.update(info.random())
        return own

    with legacy_numpy_seed(rng):
        watched = copy.copy(info)
        watched.random = model_random if info.random is not None else None
        try:
            drawn = compare.randomize_pars(watched, pars)
        except TypeError:  # a product whose form factor's random() sasmodels cannot call (onion@...):
            watched.random = None  # its generic ranges, as for a model without random()
            own.clear()
            drawn = compare.randomize_pars(watched, pars)
        compare.constrain_pars(info, drawn)
    # randomize_pars' generic scale (0.001-0.3, a volume fraction) is the instrument scale the
    # caller applies (the realistic preset's, the same range): kept only where random() set it
    if "scale" not in own:
        drawn["scale"] = 1.0
    out = {k: v for k, v in drawn.items() if k in pars and not k.startswith("up_")
           and not any(m in k for m in ("_M0", "_mtheta", "_mphi"))}
    dispersed = randomized_widths(info, out) if options is None or options.polydisperse else []
    budget = int(options.pd_points) if options is not None else 40
    for k in (k for k in out if k.endswith("_pd")):
        if k in dispersed:
            out[k] = min(float(out[k]), 0.3)
            out[k + "_n"] = dispersity_points(len(dispersed), budget)
            out[k + "_nsigma"] = dispersity_nsigma(out[k + "_n"], 3.0)
        else:
            out[k] = 0.0
            out[k + "_n"] = 0
    out["background"] = 0.0
    return {k: _to_python(v) for k, v in out.items()}


def sample_parameters(info, rng: np.random.Generator, polydisperse: bool = False, options=None) -> dict:
    """Random call parameters for the model described by sasmodels ``info``.

    Returns ``{name: value}`` for ``scale``, ``background`` and every model
    parameter (vector parameters expanded: ``sld1``, ``sld2``, …), plus the
    dispersity entries (``radius_pd``, ``radius_pd_n``, ``radius_pd_nsigma``,
    ``radius_pd_type``) when ``polydisperse`` (or ``options.polydisperse``;
    ``options``, a GenerationOptions, says how).  ``scale`` is the model's own
    amplitude (from its ``random()``, else 1) and ``background`` 0: the caller
    applies the instrument's scale and background.  For a product
    (``sphere@hayter_msa``) the form factor's ``random()`` and constraints
    apply to its parameters and the structure factor's come from
    :func:`sasnets.simulate.products.sample_structure_factor`.  The same
    ``rng`` state gives the same values.
    """
    from sasmodels.compare import constrain_pars

    from .products import form_factor_info, sample_structure_factor

    if options is not None and getattr(options, "sampler", "sasnets") == "sasmodels":
        return sasmodels_parameters(info, rng, options)

    form = form_factor_info(info)
    product = form is not info
    pars: dict = {"scale": 1.0, "background": 0.0}
    for p in info.parameters.kernel_parameters:
        names = _slot_names(p)
        if p.type == "orientation":
            for name in names:
                pars[name] = p.default
            continue
        for name in names:
            pars[name] = _generic_value(p, rng)
    if form.random is not None:
        _apply_model_random(form, pars, rng)
    pars["background"] = 0.0
    constrain_pars(form, pars)
    if product:
        sample_structure_factor(info, pars, rng, beta_share=options.beta_share if options is not None else 0.0,
                                broad_share=options.sf_broad_share if options is not None else 0.0)
    if polydisperse or (options is not None and options.polydisperse):
        _add_polydispersity(info, pars, rng, options)
    return {k: _to_python(v) for k, v in pars.items()}


def _length_slots(info, pars: dict):
    """``(name, is_radius)`` of the model's active length parameters (units Å)."""
    for p in info.parameters.kernel_parameters:
        if p.units not in ("Ang", "A", "\u00c5") or p.type in ("orientation", "magnetic"):
            continue
        for name in _active_slot_names(p, pars):
            yield name, "radius" in p.id


def largest_dimension(info, pars: dict) -> float | None:
    """An upper estimate (Å) of a particle's largest dimension: twice its
    largest radius plus every other length (lengths, shell thicknesses,
    spacings).  ``None`` for models that are not particle shapes (sasmodels
    categories other than ``shape:*``: fractals, polymers, power laws and
    structure factors have no edge whose fringes a q window must resolve)."""
    from .products import form_factor_info

    info = form_factor_info(info)  # a product's size is its particle's
    if not str(info.category or "").startswith("shape:"):
        return None
    radii, others = [0.0], 0.0
    for name, is_radius in _length_slots(info, pars):
        value = abs(float(pars.get(name, 0.0)))
        if is_radius:
            radii.append(value)
        else:
            others += value
    size = 2.0 * max(radii) + others
    return size if size > 0 else None


def fit_to_window(info, pars: dict, qmin: float) -> float:
    """Shrink a particle larger than its curve's q window resolves; return the factor used.

    A curve measured from ``qmin`` resolves sizes up to ``pi / qmin`` (the
    Shannon limit, the largest dimension an indirect Fourier transform of the
    curve can recover).  A larger sharp-edged particle shows only its Porod
    tail there, with fringes finer than the spacing of the measured points:
    the instrument cannot tell what it is, and pinhole smearing on the
    measured points aliases those fringes into bumps no real measurement
    has.  Every length parameter is scaled by the same factor, so the
    particle keeps its proportions (an ellipsoid stays as oblate, a rod as
    long for its width) and the constraints between its parameters; its
    curve is the original one moved along log q into the window.  Only
    particle shapes (``shape:*`` categories) are touched; ``pars`` is
    changed in place.
    """
    from .products import form_factor_info

    size = largest_dimension(info, pars)
    info = form_factor_info(info)
    limit = math.pi / float(qmin)
    if size is None or size <= limit:
        return 1.0
    factor = limit / size
    for name, _ in _length_slots(info, pars):
        if name in pars:
            pars[name] = float(pars[name]) * factor
    return factor
