"""One fit within a time budget: a global search over the shape parameters,
then a Levenberg-Marquardt polish of every fitted parameter.

Global search (:func:`_global_search`)
    over the shape parameters only.  ``scale`` and ``background`` enter I(q)
    linearly, so for every trial shape they are solved exactly by bounded
    weighted least squares (variable projection,
    :func:`_linear_scale_background`): the search space stays one to four
    dimensional and never stops in a local minimum of the scale.  A
    scrambled Sobol sample of the box (plus the model defaults) is ranked by
    chi-square, then bounded trust-region least squares runs from ten starts:
    the five best distinct sample points and five spread over the box, so
    that a narrow basin (fringe positions, an SLD ratio) that the best sample
    points miss still gets a start; the first start to fit well (reduced
    chi-square below 1.5) ends the search.  Several starts proved far more reliable
    here than differential evolution at a fraction of the model evaluations.
    The first round evaluates the model on at most 80 points spread over the
    curve.  While the best polished fit is still not acceptable (reduced
    chi-square >= 2) and less than half the budget is spent, the search runs
    again, up to six rounds, on every point and with a new sample twice the
    size of the last: narrow minima (fringes of a large particle) are found
    where they exist, and a fit that is already good costs no more.  When
    the width search may follow (:mod:`sasnets.fitting.dispersity`), a poor
    first round goes on to the widths (:func:`_widths_to_try`) instead of
    these rounds: a fit with a width contains the monodisperse one (width 0)
    and its own rounds search as widely.

Local polish and uncertainties (:func:`_polish`)
    From the ``starts`` best distinct minima, bumps' Levenberg-Marquardt
    fitter refines *all* fitted parameters, scale and background included,
    on a :class:`sasmodels.bumps_model.Experiment` with every point, with
    loose tolerances (a relative 1e-4, 20 steps) and stopping at the first
    polish that fits well.  The best polish is kept; uncertainties are bumps' standard errors from the LM
    covariance (the inverse of JᵀJ of the error-weighted residuals, i.e.
    assuming the data errors are right; they are not rescaled by the reduced
    chi-square).

Budget
    ``budget_s`` caps the wall-clock time of one fit, its count and width
    searches included (:mod:`sasnets.fitting.counts`,
    :mod:`sasnets.fitting.dispersity`: each of their fits gets what is left
    of the budget, and none starts with less than a tenth of it): the
    global search stops at 80 % of it and the LM polish at 100 %, each keeping the best
    point seen (``FitResult.stopped_on_budget`` says so; a polish cut short
    leaves the uncertainties NaN, since they would cost several more model
    evaluations).  A fit overruns by the model evaluations in flight and the
    few it needs to report a result: milliseconds for most models, seconds
    for the slowest kernels on long curves (one pringle evaluation on 200
    smeared points takes about 5 s).  Within the budget the same seed gives
    the same result.

Only sasmodels, bumps and scipy are imported here, never TensorFlow.
"""
from __future__ import annotations

import functools
import math
import time
import warnings
from typing import Sequence

import numpy as np

from ..errors import UsageError
from .counts import search_count
from .dispersity import (DEFAULT_PD_TYPE, PD_NSIGMA, PD_POINTS, check_pd_type, check_polydisperse, search_dispersity,
                         size_parameters)
from .experiment import _checked_hold, _kernel, _length_controls, _prepare, _shape_parameters
from .products import search_beta_approximation, search_effective_radius
from .result import ACCEPTABLE_REDUCED_CHI2, FitResult

__all__ = ["fit_model", "DEFAULT_BUDGET_S"]

#: seconds one fit may take, its count and width searches included.  5 s put the true model
#: first as often as 10 s on 32 curves from sasmodels' sampler, and an accepted one at least as often on
#: SasView's 16 labelled files, in 0.7 and 0.8 times the time (docs/fitting.md, Benchmark)
DEFAULT_BUDGET_S = 5.0


def fit_model(curve, model_name: str, *, resolution: float | None = None, budget_s: float = DEFAULT_BUDGET_S,
              starts: int = 3, seed: int = 0, fit_params: Sequence[str] | None = None,
              fix: dict | None = None, probability: float | None = None,
              search_counts: bool = True, polydisperse: Sequence[str] | None = None,
              pd_type: str = DEFAULT_PD_TYPE, search_widths: bool = True,
              slit_length=None, slit_width=None, guess: dict | None = None, quick: bool = False,
              widen_adequate: bool = False) -> FitResult:
    """Fit ``model_name`` to ``curve`` (a :class:`sasnets.data.Curve`).

    ``resolution`` is a 1-sigma dQ/Q fraction overriding the curve's ``dq``;
    ``budget_s`` caps the wall-clock time; ``starts`` is the number of local
    polishes from distinct points of the global search; ``fit_params`` names
    the shape parameters to fit instead of the automatic choice; ``fix``
    holds parameters at known values ({name: value}, :func:`fixable_parameters`
    lists the names; a vector's count such as ``n_shells`` sets how many of
    its entries are fitted).  A count neither held nor given ``fit_params``
    is searched when the default count fits poorly (``search_counts``; the
    counts tried are in ``FitResult.counts_tried``, all within ``budget_s``).

    A product (``"sphere@hayter_msa"``) fits the volume fraction and the
    interaction parameters of its structure factor, with the effective radius
    tied to the form factor and S(q) in the decoupling approximation (each
    searched further where the fit is poor, :mod:`~sasnets.fitting.products`).
    ``polydisperse`` names size parameters (``["radius"]``) whose
    distribution widths are fitted, of type ``pd_type`` (``"gaussian"``,
    ``"lognormal"`` or ``"schulz"``); without it, a poor fit is tried again
    with the width of each size parameter in turn (the one that lowers
    chi-square the most at the monodisperse minimum first) until one fits,
    keeping the lowest BIC (``search_widths``,
    :mod:`~sasnets.fitting.dispersity`); ``widen_adequate``
    tries the widths after an adequate fit too (a size distribution before a
    more complex shape: :func:`~sasnets.fitting.fit_job_sets`).
    ``slit_length``/``slit_width`` (1/Å, a number or one per point) smear
    the model by a slit instead of the curve's own resolution; a curve whose
    ``slit_smeared`` is true is fitted with its slit without them.  ``guess``
    ({parameter: value}, e.g. the classifier's size estimates) is one more
    start of the global search.  ``quick`` leaves a poor fit as it is after
    one round of the global search, without the count and width searches
    (``FitResult.quick`` then says so; a poor fit is quick even when the
    budget cut it short): :func:`~sasnets.fitting.fit_job_sets` gives quick
    fits a share of the budget and searches harder only where that can
    change the first answer.
    See the module docstring for the method.
    Returns a :class:`FitResult` (with ``success=False`` and a message if the
    fit could not be done).
    """
    t0 = time.perf_counter()
    prep = _prepare(curve, resolution, slit_length, slit_width)
    info, kmodel = _kernel(model_name)
    held = _checked_hold(info, fix)
    pd_type = check_pd_type(pd_type)
    widths = check_polydisperse(info, polydisperse, held)
    deadline = t0 + budget_s

    def fit(held_, rounds=None, first_round=0, **kwargs):
        # each fit of the searches gets what is left of the budget; a search's later rounds keep its first's clock
        start = t0 if first_round else time.perf_counter()
        return _fit_at(prep, model_name, info, kmodel, held_, budget_s=max(deadline - start, 0.0), start=start,
                       starts=starts, seed=seed, fit_params=fit_params, probability=probability, pd_type=pd_type,
                       rounds=rounds or (1 if quick else _ROUNDS), first_round=first_round, **kwargs)

    def time_left() -> bool:  # worth another fit
        return deadline - time.perf_counter() > _MIN_SEARCH_SHARE * budget_s

    may_widen = search_widths and polydisperse is None and fit_params is None and not quick
    free = [c for c in _length_controls(info) if c not in held]
    counts_searched = search_counts and bool(free) and fit_params is None

    too_slow = {}  # the cost of one evaluation with a width, where it kept the width search from starting

    def time_to_widen(first) -> bool:  # a wider fit's evaluations are PD_POINTS times dearer than this one's
        if not time_left():
            return False
        cost = PD_POINTS * _evaluation_seconds(prep, kmodel, first.sasmodels_parameters)
        if deadline - time.perf_counter() > _MIN_WIDER_EVALUATIONS * cost:
            return True
        too_slow.update(cost=cost, at=time.perf_counter() - t0)
        return False

    # where the width search comes next, a poor first round goes on to the widths at once (each size in turn,
    # the most promising first) instead of more monodisperse rounds: a fit with a width contains the
    # monodisperse one (width 0) and finds smeared minima no monodisperse round can; shells and levels are
    # searched before the width, as they are without this decision
    decide_early = may_widen and not counts_searched
    result = fit(held, polydisperse=widths, guess=guess, rounds=1 if decide_early else None)
    widen = []  # [(size parameter, width), ...]: the widths fitted next, in this order
    if decide_early and result.success and not result.acceptable and not result.stopped_on_budget:
        if time_to_widen(result):
            widen = _widths_to_try(prep, kmodel, result, _widenable(info, held), pd_type, held)
        if not widen and time.perf_counter() < t0 + _MORE_ROUNDS_SHARE * budget_s:
            # no width to try: the monodisperse search goes on, on the first round's clock
            more = fit(held, polydisperse=widths, guess=result.values, first_round=1)
            result = _better_of(result, more)
    if quick:
        result.quick = result.success and not result.acceptable
        result.elapsed = time.perf_counter() - t0
        return result
    if counts_searched and result.success and not result.acceptable:
        result = search_count(functools.partial(fit, polydisperse=widths), info, held, free[0], result, time_left)
    # what the searches chose (a count, a width) is held or fitted by the searches after them
    chosen = {**held, **{c: result.fixed[c] for c in free if c in result.fixed and result.counts_tried}}
    if may_widen and result.success and (widen_adequate or not result.acceptable):
        first = result
        if not widen and not first.stopped_on_budget and time_to_widen(first):
            # every size is widened in turn, the one whose width lowers the chi-square most first
            widen = _widths_to_try(prep, kmodel, first, _widenable(info, chosen), pd_type, chosen)
        result = search_dispersity(fit, first, chosen, widths, widen, lambda: time_to_widen(first))
        result.held = dict(held)
    if fit_params is None and result.success and not result.acceptable:
        fitted_widths = [name for name in result.pd_types if name + "_pd" in result.parameters]
        product_fit = functools.partial(fit, polydisperse=fitted_widths)
        result = search_effective_radius(product_fit, result, info, chosen, time_left)
        result = search_beta_approximation(product_fit, result, info, chosen, time_left)
    if too_slow and result.success and not result.acceptable and not result.dispersity_tried:
        result.width_budget_s = _width_budget(**too_slow)
        note = (f"no size distribution tried: one evaluation with a width takes {too_slow['cost']:.2g} s, too long "
                f"for the budget left (--budget {result.width_budget_s:.0f} allows it)")
        result.message = note if result.message in ("", "converged") else f"{result.message}; {note}"
    result.elapsed = time.perf_counter() - t0
    return result


def _width_budget(cost: float, at: float) -> float:
    """A budget that allows the width search a fit could not afford after ``at`` seconds, one evaluation with
    a width taking ``cost``: the time spent before it, and three times the evaluations the search asks for."""
    return float(math.ceil(at + 3 * _MIN_WIDER_EVALUATIONS * cost))


def _better_of(first, more):
    """The lower chi-square of two fits of the same parametrisation (``more``
    continues ``first``'s search; the budget may have cut it short first)."""
    if more.success and more.chi2 <= first.chi2:
        return more
    first.stopped_on_budget |= more.stopped_on_budget
    return first


def _widenable(info, held: dict) -> list:
    """The size parameters of ``info`` whose width a fit may add: not held,
    and not a count the count search sets (``n_shells``)."""
    counts = set(_length_controls(info))
    return [n for n in size_parameters(info) if n + "_pd" not in held and n not in counts]


def _widths_to_try(prep, kmodel, result, sizes, pd_type: str, held: dict) -> list:
    """``[(size parameter, width), ...]``: each of the ``sizes`` with the width
    of ``_PROBE_WIDTHS`` that, added at ``result``'s parameters (scale and
    background solved again), lowers its chi-square the most, the size whose
    width lowers it the most first: the order in which a poor fit tries them
    (docs/fitting.md, Dispersity).  Every size is tried, not only the first:
    a core-shell sphere whose shell is polydisperse fits with the shell's
    width, not the core's."""
    from sasmodels.direct_model import DirectModel

    calc = DirectModel(prep.data(), kmodel, cutoff=1e-5)
    weights = 1.0 / prep.diq ** 2
    blo, bhi = _background_bounds(prep, held)

    def chi2(pars):
        with np.errstate(all="ignore"):
            iq = calc(**{**result.sasmodels_parameters, "scale": 1.0, "background": 0.0, **pars})
        if not np.all(np.isfinite(iq)):
            return math.inf
        return _linear_scale_background(iq, prep.iq, weights, blo, bhi, held.get("scale"))[2]

    best = {}  # size: (chi-square, width)
    for name in sizes:
        for width in _PROBE_WIDTHS:
            value = chi2({name + "_pd": width, name + "_pd_n": PD_POINTS, name + "_pd_nsigma": PD_NSIGMA,
                          name + "_pd_type": pd_type})
            if math.isfinite(value) and value < best.get(name, (math.inf,))[0]:
                best[name] = (value, width)
    return [(name, best[name][1]) for name in sorted(best, key=lambda name: best[name][0])]


def _background_bounds(prep, held: dict) -> tuple:
    """(lowest, highest) background a fit of ``prep`` may take: the held one, else from
    a little below zero (noise) to the highest intensity."""
    if "background" in held:
        return held["background"], held["background"]
    blo = min(0.0, float(np.min(prep.iq - 2 * prep.diq)))
    return blo, max(float(np.max(prep.iq)), blo + 1e-12)


def _evaluation_seconds(prep, kmodel, pars: dict) -> float:
    """Seconds one evaluation of the model at ``pars`` takes on every point of the curve."""
    from sasmodels.direct_model import DirectModel

    calc = DirectModel(prep.data(), kmodel, cutoff=1e-5)
    t0 = time.perf_counter()
    with np.errstate(all="ignore"):
        calc(**pars)
    return time.perf_counter() - t0


def _fit_at(prep, model_name, info, kmodel, held: dict, *, budget_s, starts, seed, fit_params,
            probability, guess: dict | None = None, polydisperse=(), pd_type=DEFAULT_PD_TYPE,
            rounds: int = 1, first_round: int = 0, start: float | None = None,
            descend_guess: bool = False) -> FitResult:
    """One fit of ``model_name`` with the ``held`` parameters held; ``guess``
    ({parameter: value}) is one more starting point of the global search
    (descended from before the search samples the box with ``descend_guess``).
    The global search runs rounds ``first_round`` .. ``rounds - 1``, timed
    from ``start`` (a ``time.perf_counter()``; now by default)."""
    t0 = time.perf_counter() if start is None else start
    result = FitResult(model=model_name, npoints=len(prep.q), probability=probability, q=prep.q, held=held)
    try:
        # the global search visits extreme parameters where kernels overflow; those
        # points get an infinite chi-square and lose, so their warnings are noise
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _fit(result, prep, info, kmodel, budget_s, max(1, int(starts)), seed, fit_params, held, t0, guess,
                 polydisperse, pd_type, rounds, first_round, descend_guess)
    except UsageError:
        raise
    except Exception as exc:  # a kernel or fitter failure is a result, not a crash
        result.success = False
        result.message = f"fit failed: {type(exc).__name__}: {exc}"
    if prep.note:
        result.message = "; ".join(m for m in (result.message, prep.note) if m)
    result.elapsed = time.perf_counter() - t0
    return result


def _fit(result, prep, info, kmodel, budget_s, starts, seed, fit_params, held, t0, guess=None,
         polydisperse=(), pd_type=DEFAULT_PD_TYPE, rounds=1, first_round=0, descend_guess=False):
    from sasmodels.direct_model import DirectModel

    data = prep.data()
    calc = DirectModel(data, kmodel, cutoff=1e-5)
    # the first search round sees at most _SEARCH_POINTS points spread over the
    # curve (the model is evaluated thousands of times there); the polish, and
    # any further round, uses them all.  Which parameters are degenerate with
    # scale is decided on those points too: a pure factor is one on any points.
    search_points = np.unique(np.linspace(0, len(prep.q) - 1, min(len(prep.q), _SEARCH_POINTS)).round().astype(int))
    sub = prep.data(search_points)
    subsampled = len(search_points) < len(prep.q)
    probe = DirectModel(sub, kmodel, cutoff=1e-5) if subsampled else calc
    shape, fixed, pd_types = _shape_parameters(info, probe, prep, fit_params, held, polydisperse, pd_type)
    result.fixed = fixed
    result.pd_types = {k[:-len("_pd_type")]: v for k, v in pd_types.items()}
    fixed = {**fixed, **pd_types}  # what the kernel takes; FitResult.fixed keeps the numbers
    blo, bhi = _background_bounds(prep, held)
    held_scale = held.get("scale")

    weights = 1.0 / prep.diq ** 2

    def objective(calculator, points):
        y, w = prep.iq[points], weights[points]
        sqrt_w = np.sqrt(w)

        def residuals(x):
            P = calculator(**pars_of(x))
            if not np.all(np.isfinite(P)):
                return np.full(y.size, 1e150)
            s_, b_, _ = _linear_scale_background(P, y, w, blo, bhi, held_scale)
            r = sqrt_w * (y - s_ * P - b_)
            # finite but huge intensities (an S(q) closure near its limits) can overflow the projection
            return r if np.all(np.isfinite(r)) else np.full(y.size, 1e150)
        return residuals

    def pars_of(x):
        return {**fixed, **{p.name: p.from_search(v) for p, v in zip(shape, x)}, "scale": 1.0, "background": 0.0}

    def projected(x):
        P = calc(**pars_of(x))
        if not np.all(np.isfinite(P)):
            return None
        return _linear_scale_background(P, prep.iq, weights, blo, bhi, held_scale)

    best = None
    dof = max(1, len(prep.q) - len(shape) - 2)
    for round_ in range(first_round, rounds) if shape else range(1):
        if shape:
            full = round_ > 0 or not subsampled
            residuals = objective(calc, slice(None)) if full else objective(probe, search_points)
            npoints = len(prep.q) if full else len(search_points)
            good_enough = _EARLY_STOP * ACCEPTABLE_REDUCED_CHI2 * max(1, npoints - len(shape) - 2)
            starts_x, stopped = _global_search(shape, residuals, seed + round_, t0 + 0.8 * budget_s, starts,
                                               sample_power=round_, guess=guess, good_enough=good_enough,
                                               descend_guess=descend_guess)
            result.stopped_on_budget |= stopped
        else:
            starts_x = [np.zeros(0)]
        for k, x in enumerate(starts_x):
            proj = projected(x)
            if proj is None:
                continue
            s, b, _ = proj
            values = {**{p.name: p.from_search(v) for p, v in zip(shape, x)}, "scale": s, "background": b}
            polished = _polish(kmodel, data, shape, fixed, values, blo, bhi, t0 + budget_s, held)
            if best is None or polished[0] < best[0]:
                best = polished
            if best[0] / dof < _EARLY_STOP * ACCEPTABLE_REDUCED_CHI2:
                break  # the other minima could only fit a little better than well
            if time.perf_counter() > t0 + budget_s and k + 1 < len(starts_x):
                result.stopped_on_budget = True
                break
        # search again, wider and on every point, only while the fit is poor and time is left
        if (best is not None and best[0] / dof < ACCEPTABLE_REDUCED_CHI2) or result.stopped_on_budget \
                or time.perf_counter() > t0 + _MORE_ROUNDS_SHARE * budget_s:
            break
    if best is None:
        raise RuntimeError("the model returned non-finite intensities everywhere in the search space")
    chi2, values, errors, iq_fit = best
    result.chi2 = float(chi2)
    result.nparams = len(values)
    result.dof = result.npoints - result.nparams
    names = [n for n in ("scale", "background") if n not in held] + [p.name for p in shape]
    result.parameters = {n: (float(values[n]), float(errors.get(n, math.nan))) for n in names}
    result.iq_fit = iq_fit
    result.success = bool(np.isfinite(chi2))
    result.message = "stopped on the time budget" if result.stopped_on_budget else "converged"


def _distinct_best(points, energies, width, n, separation=0.01):
    """The ``n`` lowest-energy points that differ by more than ``separation``
    (a fraction of the search box) in some coordinate."""
    chosen = []
    for i in np.argsort(energies, kind="stable"):
        x = points[i]
        if all(np.max(np.abs(x - c) / width) > separation for c in chosen):
            chosen.append(x)
        if len(chosen) >= n:
            break
    return chosen


#: the count and width searches start another fit only while this share of the budget is left
_MIN_SEARCH_SHARE = 0.1
#: the width search runs only when the budget left allows this many evaluations with the width, about what a
#: width fit whose descent from the monodisperse minimum fits costs: a slow kernel (an elliptical bicelle:
#: 0.45 s an evaluation with a width on 100 points) would overrun it by seconds
_MIN_WIDER_EVALUATIONS = 25
#: widths of each size parameter a poor fit is tried with (:func:`_widths_to_try`)
_PROBE_WIDTHS = (0.05, 0.1, 0.2, 0.3)
#: most data points the first global search round evaluates the model on
_SEARCH_POINTS = 80
#: most global search rounds (each with twice the sample of the one before) while the fit stays poor
_ROUNDS = 6
#: a poor fit's global search starts another round only while less than this share of the budget is spent
_MORE_ROUNDS_SHARE = 0.5
#: local searches launched from the best points of the space-filling sample
_LOCAL_STARTS = 10
#: local searches start from sample points at least this far apart (fraction of the box)
_START_SEPARATION = 0.05
#: relative tolerances of the LM polish (chi-square and parameters)
_POLISH_TOL = 1e-4
#: LM steps of the polish (each costs one evaluation per fitted parameter)
_POLISH_STEPS = 20
#: a local search or polish reaching this fraction of the acceptable reduced chi-square ends
#: the search: the remaining starts could only fit a little better than well
_EARLY_STOP = 0.75


class _OutOfTime(Exception):
    """The fit's time budget ran out in the middle of a search."""


def _global_search(shape, residuals, seed, deadline, n_minima, sample_power=0, guess=None,
                   good_enough: float = 0.0, descend_guess: bool = False):
    """Multi-start search over the shape parameters (search coordinates).

    A scrambled Sobol sample of the box (plus the model defaults and the
    ``guess``, {parameter: value}, when given) is ranked
    by chi-square (scale and background projected out); bounded trust-region
    least squares (:func:`scipy.optimize.least_squares`) then runs from
    ``_LOCAL_STARTS`` points: half the best distinct sample points, half
    spread over the box (so that a narrow basin the best points miss still
    gets a start), until the deadline or until one reaches a chi-square
    below ``good_enough``.  With ``descend_guess`` the guess is descended
    from first, and where that fits well the box is not sampled at all: a
    guess next to a minimum (a width added to a monodisperse fit's minimum)
    needs no global search, whose sample costs 35 times more with a width.
    Returns (the ``n_minima`` best distinct local minima, whether the
    deadline cut the search short).
    """
    from scipy.optimize import least_squares
    from scipy.stats import qmc

    lo = np.array([p.search_bounds[0] for p in shape])
    hi = np.array([p.search_bounds[1] for p in shape])
    width = np.where(hi > lo, hi - lo, 1.0)
    d = len(shape)
    best_seen = {"x": None, "e": math.inf}

    def tracked(x):
        if time.perf_counter() > deadline:
            raise _OutOfTime
        r = residuals(x)
        e = float(r @ r)
        if e < best_seen["e"]:
            best_seen.update(x=np.array(x, dtype=float), e=e)
        return r

    # 64 points for 1 parameter, 128 for 2-3, 256 for 4 or more (products: form factor and
    # structure factor parameters together); doubled per later round
    m = min(8, 5 + int(math.ceil(math.log2(d + 1)))) + int(sample_power)
    sample = qmc.Sobol(d, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)
    starts = [[p.to_search(p.default) for p in shape]]
    if guess:  # e.g. the fit with one shell fewer
        starts.append([p.to_search(min(max(guess.get(p.name, p.default), p.lo), p.hi)) for p in shape])
    points = np.vstack([*starts, lo + sample * (hi - lo)])
    energies = np.full(len(points), np.inf)
    minima, values = [], []

    def local(x):  # loose tolerances: this only finds the basin; the bumps LM polish refines
        try:
            fit = least_squares(tracked, x, bounds=(lo, hi), x_scale=width / 10, ftol=1e-4, xtol=1e-4,
                                max_nfev=25 * (d + 1))
        except ValueError:  # started where the model is non-finite all round (an S(q) closure failing)
            return False
        minima.append(fit.x)
        values.append(float(fit.fun @ fit.fun))
        return values[-1] < good_enough

    descended = np.array(starts[-1], dtype=float) if guess and descend_guess else None
    try:
        if descended is not None and local(descended):
            return _distinct_best(np.array(minima), np.array(values), width, n_minima), False
        for i, x in enumerate(points):
            r = tracked(x)
            energies[i] = float(r @ r)
        half = _LOCAL_STARTS // 2
        launch = _distinct_best(points, energies, width, half, _START_SEPARATION)
        # the other half spread over the box (Sobol order is space filling), for basins the best points miss
        launch += _distinct_best(np.vstack(launch + [points]), np.arange(len(points) + len(launch)), width,
                                 half + len(launch), 2 * _START_SEPARATION)[len(launch):]
        for x in launch:
            if descended is not None and np.array_equal(x, descended):
                continue  # descended from already, to the same minimum
            if local(x):
                break
        stopped = False
    except _OutOfTime:
        stopped = True
    if best_seen["x"] is not None:  # the deadline may have cut a local search short
        minima.append(best_seen["x"])
        values.append(best_seen["e"])
    if not minima:  # not even one evaluation fitted in the budget
        minima, values = [points[0]], [math.inf]
    return _distinct_best(np.array(minima), np.array(values), width, n_minima), stopped


def _polish(kmodel, data, shape, fixed, values, blo, bhi, deadline, held):
    """Levenberg-Marquardt (bumps) over every fitted parameter from ``values``.

    The LM stops at ``deadline`` (its own step limit knows no clock, and one
    step of a slow kernel can take seconds), keeping the best point it
    reached, and then leaves the uncertainties NaN.  Returns (chi2, values,
    stderr, iq_fit); falls back to the starting point when LM does not
    improve it.
    """
    from bumps.fitproblem import FitProblem
    from bumps.fitters import FitDriver, LevenbergMarquardtFit
    from sasmodels.bumps_model import Experiment, Model

    model = Model(kmodel, **{**fixed, **values})
    if "scale" not in held:
        model.scale.range(0.0, math.inf)
    if "background" not in held:
        model.background.range(blo, bhi)
    for p in shape:
        getattr(model, p.name).range(p.lo, p.hi)
    experiment = Experiment(data=data, model=model, cutoff=1e-5)
    problem = FitProblem(experiment)
    names = list(problem.labels())

    def chi2_now():
        r = experiment.residuals()
        return float(np.sum(r * r))

    start_chi2 = chi2_now()
    start_x = problem.getp().copy()
    best = {"x": start_x, "chi2": start_chi2}

    class DeadlineLM(LevenbergMarquardtFit):
        def _bounded_residuals(self, p):
            if time.perf_counter() > deadline:
                raise _OutOfTime
            r = super()._bounded_residuals(p)
            chi2 = chi2_now()  # of the point inside the bounds the residuals were taken at
            if chi2 < best["chi2"]:
                best.update(x=problem.getp().copy(), chi2=chi2)
            return r

    # tolerances far looser than bumps' 1.5e-8: a relative chi-square change of 1e-4
    # does not change which model fits, and the last digits cost hundreds of evaluations
    driver = FitDriver(fitclass=DeadlineLM, problem=problem, monitors=[], steps=_POLISH_STEPS, ftol=_POLISH_TOL,
                       xtol=_POLISH_TOL)
    out_of_time = False
    try:
        x, _ = driver.fit()
    except _OutOfTime:
        x, out_of_time = None, True
    except Exception:  # a fitter failure: keep the best point seen
        x = None
    if x is None or chi2_now() > best["chi2"]:
        if not np.array_equal(problem.getp(), best["x"]):  # setp re-evaluates the model, seconds for slow kernels
            problem.setp(best["x"])
        x = None
    chi2 = chi2_now()
    stderr = np.full(len(names), math.nan)
    if not out_of_time:  # without LM's covariance they cost a Jacobian: more model evaluations than are left
        try:
            stderr = driver.stderr() if x is not None else _stderr_at(problem)
        except Exception:
            pass
    current = dict(zip(names, problem.getp()))
    errors = dict(zip(names, np.asarray(stderr, dtype=float)))
    return chi2, current, errors, np.asarray(experiment.theory(), dtype=np.float64).copy()


def _stderr_at(problem):
    from bumps import lsqerror

    return lsqerror.stderr(problem.cov(problem.getp()))


def _linear_scale_background(P, y, w, blo, bhi, scale=None):
    """(scale, background, chi2) minimising Σ w (y - s P - b)² with s >= 0,
    blo <= b <= bhi (``blo == bhi`` holds the background), or s = ``scale``."""
    Sw, SP, SPP = w.sum(), (w * P).sum(), (w * P * P).sum()
    Sy, SPy = (w * y).sum(), (w * P * y).sum()
    if scale is not None:
        b = min(max((Sy - scale * SP) / Sw, blo), bhi)
        return scale, b, float((w * (y - scale * P - b) ** 2).sum())
    options = []
    det = SPP * Sw - SP * SP
    if det > 0:
        s = (SPy * Sw - SP * Sy) / det
        b = (SPP * Sy - SP * SPy) / det
        if s >= 0 and blo <= b <= bhi:
            options.append((s, b))
    options.append((0.0, min(max(Sy / Sw, blo), bhi)))
    for b in (blo, bhi):
        s = max(0.0, (SPy - b * SP) / SPP) if SPP > 0 else 0.0
        options.append((s, b))
    best = None
    for s, b in options:
        chi2 = float((w * (y - s * P - b) ** 2).sum())
        if best is None or chi2 < best[2]:
            best = (s, b, chi2)
    return best
