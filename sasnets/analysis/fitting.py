"""Fit candidate scattering models to a curve with sasmodels + bumps, and rank them.

A network says which scattering models a curve probably comes from; a scientist
needs the model *and* its fitted parameters, checked against the data.  This
module fits each candidate on the curve's own q points (with its resolution) and
re-ranks the candidates by combining fit quality with the network probability.

How one fit works (:func:`fit_model`)
------------------------------------
1. **Data.** Points with non-finite values, ``q <= 0`` or ``diq <= 0`` are
   dropped.  Points without intensity errors (missing, zero) get
   ``diq = 2 % * |I(q)|`` (the fit still ranks candidates, but chi-square is
   then only relative; the result's ``message`` says so).
   Resolution: ``resolution`` (1-sigma dQ/Q, a fraction) when given, otherwise
   the curve's own ``dq`` (1-sigma, 1/Å), otherwise none.
2. **Which parameters are fitted.** ``scale`` and ``background`` always.  Of the
   model's 1D parameters (orientation, magnetic and choice parameters excluded;
   a vector parameter contributes its entries up to its count's default, the
   count staying fixed) a parameter is fitted only when it changes the *shape* of I(q) on
   the curve's q points: a parameter whose effect is a pure multiplicative
   factor (the SLD contrast of a homogeneous particle, a volume fraction that
   multiplies the form factor) is degenerate with ``scale`` and stays at its
   default.  This is decided numerically: the derivatives of log I(q) are added
   one by one (solvent SLDs last) and a parameter is kept only if its
   derivative is not a linear combination of the constant (scale) direction and
   the parameters already kept.  So for ``core_shell_sphere`` the radius,
   thickness and the core SLD are fitted (the contrast *ratio*), while the
   overall contrast lives in ``scale``.  ``fit_params`` overrides the choice
   (polydispersity parameters such as ``radius_pd`` may be named there).
   ``fix`` holds parameters the scientist knows at given values (the solvent
   SLD, a polydispersity, ``scale`` or ``background`` on absolute data):
   they are never fitted, and holding a vector's count (``n_shells=3``) fits
   the entries up to that count instead of the default's.  A count not held
   is searched: when the fit at the default count (one shell or level) is
   not acceptable, the model is fitted again with each count up to
   :data:`COUNT_SEARCH_MAX` (the global search also starting from the fit
   with one count fewer) and the fit with the lowest BIC is kept, so a
   two-shell onion is fitted with two shells without the scientist knowing
   the count.
3. **Bounds.** Lengths (Å): 1 Å to ``max(1000 Å, 20π/qmin)``, searched in log
   space; volume and surface fractions 0 .. 1; parameters with finite limits
   in the model table use those limits;
   other positive parameters span default/100 .. default*100 (log); SLDs
   -10 .. 20 (1e-6/Å²); polydispersities 0 .. 0.5; anything else default ±
   5·max(1, |default|).  ``scale >= 0``; background between
   ``min(0, min(I - 2 dI))`` and ``max(I)``.
4. **Global search** over the shape parameters only (:func:`_global_search`).
   ``scale`` and ``background`` enter I(q) linearly, so for every trial shape
   they are solved exactly by bounded weighted least squares (variable
   projection): the search space stays one to four dimensional and never
   stops in a local minimum of the scale.  A scrambled Sobol sample of the
   box (plus the model defaults) is ranked by chi-square, then bounded
   trust-region least squares runs from ten starts: the five best distinct
   sample points and five spread over the box, so that a narrow basin (fringe
   positions, an SLD ratio) that the best sample points miss still gets a
   start.  Several starts proved far more reliable here than differential
   evolution at a fraction of the model evaluations.  The first round
   evaluates the model on at most 80 points spread over the curve; SLDs are
   searched in ``atan`` coordinates around the fixed SLDs (see
   :class:`_Param`).  While the best polished fit is still not acceptable
   (reduced chi-square >= 2) and less than half the budget is spent, the
   search runs again, up to six rounds, on every point and with a new sample
   twice the size of the last: narrow minima (fringes of a large particle)
   are found where they exist, and a fit that is already good costs no more.
5. **Local polish and uncertainties.** From the ``starts`` best distinct
   minima, bumps' Levenberg-Marquardt fitter refines *all* fitted
   parameters, scale and background included, on a
   :class:`sasmodels.bumps_model.Experiment` with every point.  The best
   polish is kept; uncertainties are bumps' standard errors from the LM
   covariance (the inverse of JᵀJ of the error-weighted residuals, i.e.
   assuming the data errors are right; they are not rescaled by the reduced
   chi-square).
6. **Budget.** ``budget_s`` caps the wall-clock time of one fit (of each
   count, when a count is searched): the global
   search stops at 80 % of it and the LM polish at 100 %, each keeping the
   best point seen (``FitResult.stopped_on_budget`` says so; a polish cut
   short leaves the uncertainties NaN, since they would cost several more
   model evaluations).  A fit overruns by the model evaluations in flight
   and the few it needs to report a result: milliseconds for most models,
   seconds for the slowest kernels on long curves (one pringle evaluation
   on 200 smeared points takes about 5 s).  Within the budget the same seed
   gives the same result.

Goodness of fit: ``chi2 = Σ((I - I_fit)/dI)²``, ``dof = npoints - nparams``
(``nparams`` counts scale and background), ``reduced_chi2 = chi2/dof``,
``aic = chi2 + 2·nparams`` and ``bic = chi2 + nparams·ln(npoints)`` (the
Gaussian log-likelihood up to a constant shared by all candidates).

Ranking rule (:func:`rank_fits`)
--------------------------------
``score = ln(p) - BIC/2`` where ``p`` is the network probability (clipped below
at 1e-6; all candidates get the same ``p`` when there is no network, and a
model the network does not know gets 1/len(labels)).  This is
the log of a posterior probability with the network output as the prior and
``exp(-BIC/2)`` as the Schwarz approximation of the evidence; ``posterior`` is
``softmax(score)`` over the candidates.  Candidates are ranked by ``score``
(highest first); failed fits go last.  A fit with ``reduced_chi2 < 2`` is
marked ``acceptable``.  ``by="network"`` keeps the network's order instead
(scores and posteriors are still reported): on curves where the fit search
misses the true model's minimum more often than the network errs, re-ranking
lowers top-1, as it does for the pretrained classifier on its instrument-like
test curves (its model card measures both orders).

Fits of several candidates run in parallel processes (:func:`map_fits`); the
workers import sasmodels and bumps only, never TensorFlow.
"""
from __future__ import annotations

import copy
import functools
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence

import numpy as np

from .._system import usable_cores
from ..errors import DataError, UsageError

__all__ = [
    "FitResult",
    "FitJob",
    "fit_model",
    "fit_candidates",
    "fixable_parameters",
    "count_parameters",
    "Fixable",
    "map_fits",
    "rank_fits",
    "RANKINGS",
    "fit_verified_accuracy",
    "fit_verified_accuracy_on_store",
    "verify_curve",
    "ACCEPTABLE_REDUCED_CHI2",
    "MIN_PROBABILITY",
]

#: A fit with a reduced chi-square below this is marked acceptable.
ACCEPTABLE_REDUCED_CHI2 = 2.0
#: the most shells or levels tried when a model's default count fits poorly
COUNT_SEARCH_MAX = 3
#: Network probabilities are clipped below at this value before taking the log.
MIN_PROBABILITY = 1e-6
#: Relative error assumed for curves that carry no intensity errors.
DEFAULT_RELATIVE_ERROR = 0.02

_SLD_RANGE = (-10.0, 20.0)
_PD_RANGE = (0.0, 0.5)
_PD_POINTS, _PD_NSIGMA = 35.0, 3.0  # dispersity integration, as sasmodels' weight functions default
_MIN_LENGTH = 1.0
_DEGENERACY_TOL = 1e-4


@dataclass
class FitResult:
    """One scattering model fitted to one curve.

    ``parameters`` maps each fitted parameter (``scale`` and ``background``
    included unless held) to ``(value, uncertainty)``; ``fixed`` holds the
    parameters not fitted, at their defaults or at the values the caller
    held (``held``, the ``fix`` of :func:`fit_model`).  ``q``/``iq_fit`` are
    the best-fit curve on the data's own (cleaned) q points, for plotting.
    ``probability`` is the network's probability for this model (``None``
    when no network was asked);
    ``score``, ``posterior`` and ``rank`` are set by :func:`rank_fits`.
    """

    model: str
    chi2: float = math.nan
    dof: int = 0
    npoints: int = 0
    nparams: int = 0
    parameters: dict = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)
    held: dict = field(default_factory=dict)
    success: bool = False
    message: str = ""
    elapsed: float = 0.0
    stopped_on_budget: bool = False
    counts_tried: dict = field(default_factory=dict)
    q: np.ndarray | None = None
    iq_fit: np.ndarray | None = None
    probability: float | None = None
    score: float = -math.inf
    posterior: float | None = None
    rank: int = 0

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / self.dof if self.dof > 0 else math.nan

    @property
    def aic(self) -> float:
        return self.chi2 + 2.0 * self.nparams

    @property
    def bic(self) -> float:
        return self.chi2 + self.nparams * math.log(max(self.npoints, 1))

    @property
    def acceptable(self) -> bool:
        return bool(self.success and self.reduced_chi2 < ACCEPTABLE_REDUCED_CHI2)

    def to_dict(self, curve: bool = False) -> dict:
        """A JSON-ready dict (non-finite numbers become ``None``); ``curve``
        adds the best-fit ``q`` and ``iq_fit`` arrays."""
        out = {
            "model": self.model,
            "rank": self.rank,
            "reduced_chi2": _finite(self.reduced_chi2),
            "probability": _finite(self.probability),
            "posterior": _finite(self.posterior),
            "score": _finite(self.score),
            "acceptable": self.acceptable,
            "chi2": _finite(self.chi2),
            "dof": self.dof,
            "npoints": self.npoints,
            "nparams": self.nparams,
            "aic": _finite(self.aic),
            "bic": _finite(self.bic),
            "parameters": {k: [_finite(v), _finite(u)] for k, (v, u) in self.parameters.items()},
            "fixed": {k: _finite(v) for k, v in self.fixed.items()},
            "held": {k: _finite(v) for k, v in self.held.items()},
            "success": self.success,
            "message": self.message,
            "stopped_on_budget": self.stopped_on_budget,
            "counts_tried": {k: [int(n) for n in v] for k, v in self.counts_tried.items()},
            "elapsed_s": round(self.elapsed, 3),
        }
        if curve and self.q is not None:
            out["q"] = [float(v) for v in self.q]
            out["iq_fit"] = [_finite(v) for v in self.iq_fit]
        return out


def _finite(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------
@dataclass
class _Prepared:
    q: np.ndarray
    iq: np.ndarray
    diq: np.ndarray
    dq: np.ndarray | None
    note: str


def _prepare(curve, resolution: float | None) -> _Prepared:
    """float64 arrays of the usable points, errors and 1-sigma dq."""
    q = np.asarray(curve.q, dtype=np.float64)
    iq = np.asarray(curve.iq, dtype=np.float64)
    notes = []
    diq = np.zeros_like(iq) if curve.diq is None else np.asarray(curve.diq, dtype=np.float64)
    missing = ~(np.isfinite(diq) & (diq > 0))
    if missing.any():  # measured files mark unknown errors with 0
        diq = np.where(missing, DEFAULT_RELATIVE_ERROR * np.abs(iq), diq)
        some = "no" if missing.all() else f"{int(missing.sum())} points without"
        notes.append(f"{some} intensity errors: assumed {DEFAULT_RELATIVE_ERROR:.0%} of I(q)")
    if resolution is not None:
        if not (0 <= resolution < 1):
            raise UsageError(f"The resolution dQ/Q must be a fraction between 0 and 1, got {resolution}.")
        dq = resolution * q
    elif curve.dq is not None and np.any(np.asarray(curve.dq) > 0):
        dq = np.asarray(curve.dq, dtype=np.float64)
    else:
        dq = None
    ok = np.isfinite(q) & np.isfinite(iq) & np.isfinite(diq) & (q > 0) & (diq > 0)
    if dq is not None:
        ok &= np.isfinite(dq) & (dq >= 0)
    if ok.sum() < 8:
        name = getattr(curve, "source", None) or "the curve"
        raise DataError(f"{name} has only {int(ok.sum())} usable points (finite q > 0, I and dI > 0); at least 8 are needed to fit.")
    order = np.argsort(q[ok], kind="stable")
    sel = lambda a: None if a is None else a[ok][order]  # noqa: E731
    dq = sel(dq)
    if dq is not None and not np.any(dq > 0):
        dq = None
    return _Prepared(sel(q), sel(iq), sel(diq), dq, "; ".join(notes))


# --------------------------------------------------------------------------
# parameters
# --------------------------------------------------------------------------
@dataclass
class _Param:
    """A fitted shape parameter, its bounds and the coordinate the search uses:
    ``log10(value)`` for lengths and wide positive ranges; for an SLD
    ``atan((value - centre)/spread)``, so that contrast *ratios* near the
    fixed SLDs (where the curve shape changes fastest) get as much of the
    search as the far tails; the value itself otherwise."""

    name: str
    default: float
    lo: float
    hi: float
    log: bool
    centre: float | None = None
    spread: float = 1.0

    def to_search(self, value: float) -> float:
        value = min(max(value, self.lo), self.hi)
        if self.log:
            return math.log10(value)
        if self.centre is not None:
            return math.atan((value - self.centre) / self.spread)
        return value

    def from_search(self, x: float) -> float:
        if self.log:
            value = 10.0 ** x
        elif self.centre is not None:
            value = self.centre + self.spread * math.tan(x)
        else:
            value = x
        return min(max(value, self.lo), self.hi)

    @property
    def search_bounds(self) -> tuple[float, float]:
        return self.to_search(self.lo), self.to_search(self.hi)


def _candidate_parameters(model_info, held: dict | None = None) -> list:
    """The model's 1D scalar parameters that could change I(q) and are not
    ``held``, solvent SLDs last.

    A vector parameter (``thickness[n]`` of core_multi_shell, ``rg[level]`` of
    unified_power_Rg) contributes its entries up to its length control's count
    (``thickness1`` for ``n = 1``); the count itself is an integer the search
    cannot move, so it stays at its default or held value (:func:`_length_controls`).
    """
    held = held or {}
    table = model_info.parameters
    defaults = {**table.defaults, **held}
    controls = _length_controls(model_info, held)
    keep = []
    for p in table.kernel_parameters:
        if p.type in ("orientation", "magnetic") or p.choices or p.name in controls or p.name in held:
            continue
        if p.length == 1:
            keep.append(p)
        elif p.length_control is not None:
            for i in range(1, min(controls[p.length_control], p.length) + 1):
                if f"{p.id}{i}" in held:
                    continue
                entry = copy.copy(p)
                entry.name, entry.length = f"{p.id}{i}", 1
                entry.default = defaults.get(entry.name, p.default)
                keep.append(entry)
    return sorted(keep, key=lambda p: (p.type == "sld" and "solvent" in p.name,))


def _length_controls(model_info, held: dict | None = None) -> dict:
    """{length control (``n_shells``): the count a fit assumes}: the held
    count, else the default (at least one)."""
    held = held or {}
    table = model_info.parameters
    return {p.length_control: int(held[p.length_control]) if p.length_control in held
            else max(1, int(round(table.defaults.get(p.length_control, 1))))
            for p in table.kernel_parameters if p.length_control}


def count_parameters(model_name: str) -> list:
    """The parameters of ``model_name`` that count shells or levels (``n_shells``,
    ``level``): a fit keeps them at their default unless they are held."""
    return list(_length_controls(_model_info(model_name)))


class Fixable(NamedTuple):
    """A parameter ``fix`` may hold: its default, limits and units."""

    default: float
    lower: float
    upper: float
    units: str


def fixable_parameters(model_name: str) -> dict:
    """{parameter: :class:`Fixable`} that ``fix`` may hold for ``model_name``:
    ``scale``, ``background`` and every 1D parameter of its table (vector
    entries such as ``sld2``, counts such as ``n_shells`` and
    polydispersities included)."""
    return _fixable(_model_info(model_name))


def _fixable(info) -> dict:
    defaults = info.parameters.defaults
    out = {"scale": Fixable(float(defaults["scale"]), 0.0, math.inf, ""),
           "background": Fixable(float(defaults["background"]), -math.inf, math.inf, "1/cm")}
    for p in info.parameters.kernel_parameters:
        if p.type in ("orientation", "magnetic"):
            continue
        names = [p.name] if p.length == 1 else [f"{p.id}{i}" for i in range(1, p.length + 1)]
        for n in names:
            if n in defaults:
                out[n] = Fixable(float(defaults[n]), float(p.limits[0]), float(p.limits[1]), p.units or "")
            if p.polydisperse:  # monodisperse by default; a width is integrated over 35 points within ±3 sigma
                out.update({n + "_pd": Fixable(0.0, 0.0, 1.0, ""), n + "_pd_n": Fixable(_PD_POINTS, 0.0, 1000.0, ""),
                            n + "_pd_nsigma": Fixable(_PD_NSIGMA, 0.0, 10.0, "")})
    return out


def _checked_hold(info, fix: dict | None) -> dict:
    """``fix`` as floats, each a parameter of the model ``info`` describes,
    within its limits (a vector's count a whole number); UsageError otherwise."""
    if not fix:
        return {}
    model_name, known = info.id, _fixable(info)
    held = {}
    for name, value in fix.items():
        if name not in known:
            raise UsageError(f"{model_name} has no parameter {name!r} to fix; choose from: {', '.join(sorted(known))}.")
        value = float(value)
        lo, hi = known[name].lower, known[name].upper
        if not (lo <= value <= hi) or not math.isfinite(value):
            raise UsageError(f"{model_name}: {name}={value:g} is outside the parameter's limits [{lo:g}, {hi:g}]; "
                             "fix it within them.")
        held[name] = value
    for control in _length_controls(info):
        if control in held and held[control] != int(held[control]):
            raise UsageError(f"{model_name}: {control} counts shells or levels and must be a whole number, "
                             f"not {held[control]:g}.")
    return held


def _max_length(qmin: float) -> float:
    """Largest length worth searching: form-factor fringes of a size L are
    spaced by about π/L in q, and a 2-10 % resolution smears them out once
    qL exceeds a few tens; beyond ``20π/qmin`` a larger size changes only the
    scale on the measured q range."""
    return max(1000.0, 20 * math.pi / qmin)


def _bounds_for(p, qmin: float) -> _Param:
    lo, hi = (float(v) for v in p.limits)
    default = float(p.default)
    units = (p.units or "").strip()
    if "volfraction" in p.name or p.name.endswith("_fraction"):  # tables leave some unbounded (raspberry)
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    if p.type == "sld":
        lo, hi, log = max(lo, _SLD_RANGE[0]), min(hi, _SLD_RANGE[1]), False
    elif units in ("Ang", "A", "Å") and lo >= -1e-12:
        lo, hi, log = max(lo, _MIN_LENGTH), min(hi, _max_length(qmin)), True
    elif units in ("Ang", "A", "Å") and not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi, log = _MIN_LENGTH, _max_length(qmin), True  # a length with no sign limit (guinier rg)
    elif math.isfinite(lo) and math.isfinite(hi):
        log = lo > 0 and hi / lo > 100
    elif lo >= 0 and default > 0:
        lo, hi, log = max(lo, default / 100), min(hi, default * 100), True
    else:
        span = 5 * max(1.0, abs(default))
        lo, hi, log = max(lo, default - span), min(hi, default + span), False
    if not lo < hi:
        hi = lo + max(1.0, abs(lo))
    return _Param(p.name, min(max(default, lo), hi), lo, hi, log)


def _pd_param(name: str, defaults: dict) -> _Param:
    return _Param(name, float(defaults.get(name, 0.1) or 0.1), *_PD_RANGE, False)


def _shape_parameters(model_info, calc, prep, fit_params, held) -> tuple[list, dict]:
    """(fitted shape parameters, fixed parameter values, held ones included)."""
    defaults = {**model_info.parameters.defaults, **held}
    qmin = float(prep.q.min())
    candidates = {p.name: p for p in _candidate_parameters(model_info, held)}
    if fit_params is not None:
        names = [n for n in fit_params if n not in ("scale", "background")]
        chosen = []
        for name in names:
            if name in held:
                raise UsageError(f"{model_info.id}: {name} is both held (fix) and to be fitted (fit_params); "
                                 "choose one.")
            if name in candidates:
                chosen.append(_bounds_for(candidates[name], qmin))
            elif name.endswith("_pd") and name[:-3] in model_info.parameters.defaults:
                chosen.append(_pd_param(name, defaults))
            else:
                known = ", ".join(sorted(candidates))
                raise UsageError(f"{model_info.id} has no fittable parameter {name!r}; choose from: {known}.")
    else:
        entries = {n for n, p in candidates.items() if getattr(p, "id", n) != n}  # thickness2 of thickness[n]
        chosen = _non_degenerate([_bounds_for(p, qmin) for p in candidates.values()], calc, defaults, entries)
    fitted = {p.name for p in chosen}
    fixed_slds = [float(defaults[n]) for n, p in candidates.items() if p.type == "sld" and n not in fitted]
    for p in chosen:
        if p.name in candidates and candidates[p.name].type == "sld" and fixed_slds:
            p.centre = float(np.mean(fixed_slds))
            p.spread = max(float(np.ptp(fixed_slds)), 0.5)
    fixed = {k: float(v) for k, v in defaults.items()
             if k not in fitted and k not in ("scale", "background") and k in candidates}
    fixed.update({k: float(v) for k, v in _length_controls(model_info, held).items()})
    fixed.update(held)
    for name in fitted | set(held):  # a dispersity width acts only with points to integrate over
        if name.endswith("_pd"):
            fixed.setdefault(name + "_n", _PD_POINTS)
            fixed.setdefault(name + "_nsigma", _PD_NSIGMA)
    return chosen, fixed


def _non_degenerate(params: list, calc, defaults: dict, keep: set = frozenset()) -> list:
    """Drop parameters whose effect on log I(q) is a combination of a constant
    factor (degenerate with scale) and the effects of parameters kept earlier.

    Names in ``keep`` stay whatever the test says: the entries of a vector
    parameter share one default (every shell the same SLD), where the test
    would call all but one shell's thickness redundant."""
    base = {k: v for k, v in defaults.items()}
    base.update({p.name: p.default for p in params})
    base.update(scale=1.0, background=0.0)
    i0 = calc(**base)
    if not np.all(np.isfinite(i0)) or np.any(i0 <= 0):
        return params  # cannot linearise in log space here: keep them all
    log0 = np.log(i0)
    basis = [np.ones_like(log0) / math.sqrt(log0.size)]
    kept = []
    for p in params:
        step = 1e-4 * max(abs(p.default), 1e-3 * (p.hi - p.lo), 1e-6)
        up, down = calc(**{**base, p.name: p.default + step}), calc(**{**base, p.name: p.default - step})
        if not (np.all(np.isfinite(up)) and np.all(np.isfinite(down)) and np.all(up > 0) and np.all(down > 0)):
            kept.append(p)
            continue
        column = np.log(up) - np.log(down)  # central difference: the degeneracy test needs accuracy
        norm = np.linalg.norm(column)
        if norm == 0:
            if p.name in keep:
                kept.append(p)
            continue
        column = column / norm
        B = np.array(basis).T
        residual = column - B @ (B.T @ column)
        rnorm = np.linalg.norm(residual)
        if rnorm > _DEGENERACY_TOL:
            basis.append(residual / rnorm)
            kept.append(p)
        elif p.name in keep:
            kept.append(p)
    return kept


# --------------------------------------------------------------------------
# scale and background by bounded weighted least squares
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# one fit
# --------------------------------------------------------------------------
def _model_info(model_name: str):
    from sasmodels import core

    try:
        return core.load_model_info(model_name)
    except Exception as exc:  # sasmodels raises ImportError/ValueError for unknown names
        raise UsageError(f"Unknown scattering model {model_name!r}; `sasnets models` lists them ({exc}).") from None


def _kernel(model_name: str):
    from sasmodels import core

    info = _model_info(model_name)
    return info, core.build_model(info, dtype="double", platform="dll")


def check_models(models: Iterable[str]) -> None:
    """Load (and, the first time, compile) each model in this process, so that
    unknown names fail early and parallel workers find compiled kernels."""
    for name in dict.fromkeys(models):
        _kernel(name)


def fit_model(curve, model_name: str, *, resolution: float | None = None, budget_s: float = 30.0,
              starts: int = 3, seed: int = 0, fit_params: Sequence[str] | None = None,
              fix: dict | None = None, probability: float | None = None,
              search_counts: bool = True) -> FitResult:
    """Fit ``model_name`` to ``curve`` (a :class:`sasnets.data.Curve`).

    ``resolution`` is a 1-sigma dQ/Q fraction overriding the curve's ``dq``;
    ``budget_s`` caps the wall-clock time; ``starts`` is the number of local
    polishes from distinct points of the global search; ``fit_params`` names
    the shape parameters to fit instead of the automatic choice; ``fix``
    holds parameters at known values ({name: value}, :func:`fixable_parameters`
    lists the names; a vector's count such as ``n_shells`` sets how many of
    its entries are fitted).  A count neither held nor given ``fit_params``
    is searched when the default count fits poorly (``search_counts``; the
    counts tried are in ``FitResult.counts_tried``, each fitted within
    ``budget_s``).  See the module docstring for the method.
    Returns a :class:`FitResult` (with ``success=False`` and a message if the
    fit could not be done).
    """
    t0 = time.perf_counter()
    prep = _prepare(curve, resolution)
    info, kmodel = _kernel(model_name)
    held = _checked_hold(info, fix)
    fit = functools.partial(_fit_at, prep, model_name, info, kmodel, budget_s=budget_s, starts=starts, seed=seed,
                            fit_params=fit_params, probability=probability)
    result = fit(held)
    free = [c for c in _length_controls(info) if c not in held]
    if search_counts and free and fit_params is None and result.success and not result.acceptable:
        result = _search_count(fit, info, held, free[0], result)
    result.elapsed = time.perf_counter() - t0
    return result


def _search_count(fit, info, held: dict, control: str, first: FitResult) -> FitResult:
    """The fit with the lowest BIC among ``first`` (the default count of
    ``control``) and fits with every other count up to COUNT_SEARCH_MAX
    within the count's limits; the chosen count is a fixed value, not a held one."""
    upper = next(p.limits[1] for p in info.parameters.kernel_parameters if p.name == control)
    fits = {int(first.fixed[control]): first}
    for n in range(1, int(min(COUNT_SEARCH_MAX, upper)) + 1):
        if n not in fits:
            below = fits.get(n - 1)  # its shells or levels are a start for the first n - 1 of these
            guess = {k: v for k, (v, _) in below.parameters.items()} if below is not None and below.success else None
            fits[n] = fit({**held, control: n}, guess=guess)
            fits[n].held = dict(held)
    best = min((r for r in fits.values() if r.success), key=lambda r: r.bic)
    best.counts_tried = {control: sorted(fits)}
    return best


def _fit_at(prep, model_name, info, kmodel, held: dict, *, budget_s, starts, seed, fit_params,
            probability, guess: dict | None = None) -> FitResult:
    """One fit of ``model_name`` with the ``held`` parameters held; ``guess``
    ({parameter: value}) is one more starting point of the global search."""
    t0 = time.perf_counter()
    result = FitResult(model=model_name, npoints=len(prep.q), probability=probability, q=prep.q, held=held)
    try:
        # the global search visits extreme parameters where kernels overflow; those
        # points get an infinite chi-square and lose, so their warnings are noise
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _fit(result, prep, info, kmodel, budget_s, max(1, int(starts)), seed, fit_params, held, t0, guess)
    except UsageError:
        raise
    except Exception as exc:  # a kernel or fitter failure is a result, not a crash
        result.success = False
        result.message = f"fit failed: {type(exc).__name__}: {exc}"
    if prep.note:
        result.message = "; ".join(m for m in (result.message, prep.note) if m)
    result.elapsed = time.perf_counter() - t0
    return result


def _fit(result, prep, info, kmodel, budget_s, starts, seed, fit_params, held, t0, guess=None):
    from sasmodels.data import Data1D
    from sasmodels.direct_model import DirectModel

    data = Data1D(x=prep.q, y=prep.iq, dx=prep.dq, dy=prep.diq)
    calc = DirectModel(data, kmodel, cutoff=1e-5)
    shape, fixed = _shape_parameters(info, calc, prep, fit_params, held)
    result.fixed = fixed
    if "background" in held:
        blo = bhi = held["background"]
    else:
        blo = min(0.0, float(np.min(prep.iq - 2 * prep.diq)))
        bhi = max(float(np.max(prep.iq)), blo + 1e-12)
    held_scale = held.get("scale")

    # the first search round sees at most _SEARCH_POINTS points spread over the
    # curve (the model is evaluated thousands of times there); the polish, and
    # any further round, uses them all
    keep = np.unique(np.linspace(0, len(prep.q) - 1, min(len(prep.q), _SEARCH_POINTS)).round().astype(int))
    sub = Data1D(x=prep.q[keep], y=prep.iq[keep], dx=None if prep.dq is None else prep.dq[keep], dy=prep.diq[keep])
    subsampled = len(keep) < len(prep.q)
    weights = 1.0 / prep.diq ** 2

    def objective(calculator, points):
        y, w = prep.iq[points], weights[points]
        sqrt_w = np.sqrt(w)

        def residuals(x):
            P = calculator(**pars_of(x))
            if not np.all(np.isfinite(P)):
                return np.full(y.size, 1e150)
            s_, b_, _ = _linear_scale_background(P, y, w, blo, bhi, held_scale)
            return sqrt_w * (y - s_ * P - b_)
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
    for round_ in range(_ROUNDS if shape else 1):
        if shape:
            full = round_ > 0 or not subsampled
            residuals = objective(calc, slice(None)) if full else objective(DirectModel(sub, kmodel, cutoff=1e-5), keep)
            starts_x, stopped = _global_search(shape, residuals, seed + round_, t0 + 0.8 * budget_s, starts,
                                               sample_power=round_, guess=guess)
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
            if time.perf_counter() > t0 + budget_s and k + 1 < len(starts_x):
                result.stopped_on_budget = True
                break
        # search again, wider and on every point, only while the fit is poor and time is left
        if (best is not None and best[0] / dof < ACCEPTABLE_REDUCED_CHI2) or result.stopped_on_budget \
                or time.perf_counter() > t0 + 0.5 * budget_s:
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


#: most data points the first global search round evaluates the model on
_SEARCH_POINTS = 80
#: most global search rounds (each with twice the sample of the one before) while the fit stays poor
_ROUNDS = 6
#: local searches launched from the best points of the space-filling sample
_LOCAL_STARTS = 10
#: local searches start from sample points at least this far apart (fraction of the box)
_START_SEPARATION = 0.05


class _OutOfTime(Exception):
    """The fit's time budget ran out in the middle of a search."""


def _global_search(shape, residuals, seed, deadline, keep, sample_power=0, guess=None):
    """Multi-start search over the shape parameters (search coordinates).

    A scrambled Sobol sample of the box (plus the model defaults and the
    ``guess``, {parameter: value}, when given) is ranked
    by chi-square (scale and background projected out); bounded trust-region
    least squares (:func:`scipy.optimize.least_squares`) then runs from
    ``_LOCAL_STARTS`` points: half the best distinct sample points, half
    spread over the box (so that a narrow basin the best points miss still
    gets a start), until the deadline.  Returns (the ``keep`` best distinct local minima,
    whether the deadline cut the search short).
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

    # 64 points for 1 parameter, 128 for 2-3, 256 for 4-7; doubled per later round
    m = 5 + int(math.ceil(math.log2(d + 1))) + int(sample_power)
    sample = qmc.Sobol(d, scramble=True, seed=np.random.default_rng(seed)).random_base2(m)
    starts = [[p.to_search(p.default) for p in shape]]
    if guess:  # e.g. the fit with one shell fewer
        starts.append([p.to_search(min(max(guess.get(p.name, p.default), p.lo), p.hi)) for p in shape])
    points = np.vstack([*starts, lo + sample * (hi - lo)])
    energies = np.full(len(points), np.inf)
    minima, values = [], []
    try:
        for i, x in enumerate(points):
            r = tracked(x)
            energies[i] = float(r @ r)
        half = _LOCAL_STARTS // 2
        launch = _distinct_best(points, energies, width, half, _START_SEPARATION)
        # the other half spread over the box (Sobol order is space filling), for basins the best points miss
        launch += _distinct_best(np.vstack(launch + [points]), np.arange(len(points) + len(launch)), width,
                                 half + len(launch), 2 * _START_SEPARATION)[len(launch):]
        for x in launch:
            # loose tolerances: this only finds the basin; the bumps LM polish refines
            fit = least_squares(tracked, x, bounds=(lo, hi), x_scale=width / 10, ftol=1e-4, xtol=1e-4,
                                max_nfev=25 * (d + 1))
            minima.append(fit.x)
            values.append(float(fit.fun @ fit.fun))
        stopped = False
    except _OutOfTime:
        stopped = True
    if best_seen["x"] is not None:  # the deadline may have cut a local search short
        minima.append(best_seen["x"])
        values.append(best_seen["e"])
    if not minima:  # not even one evaluation fitted in the budget
        minima, values = [points[0]], [math.inf]
    return _distinct_best(np.array(minima), np.array(values), width, keep), stopped


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

    driver = FitDriver(fitclass=DeadlineLM, problem=problem, monitors=[], steps=50)
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


# --------------------------------------------------------------------------
# many fits, in parallel
# --------------------------------------------------------------------------
@dataclass
class FitJob:
    """One fit to run: the curve, the model and :func:`fit_model` keywords."""

    curve: object
    model: str
    options: dict = field(default_factory=dict)


def _run_job(job: FitJob) -> FitResult:
    try:
        return fit_model(job.curve, job.model, **job.options)
    except Exception as exc:  # report, never kill the pool
        return FitResult(model=job.model, success=False, message=str(exc),
                         probability=job.options.get("probability"))


def _worker_init():
    # fits are single-threaded; keep numerical libraries from oversubscribing
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def map_fits(jobs: Sequence[FitJob], workers: int | None = None) -> Iterator[tuple[int, FitResult]]:
    """Run ``jobs`` and yield ``(index, FitResult)`` as each finishes.

    ``workers`` processes (default: the usable cores, at most one per job) are
    started with the *spawn* method, so a parent that has TensorFlow loaded
    does not fork it; with one worker the fits run in this process.  Models
    are compiled here first so that workers do not race to compile them.
    """
    jobs = list(jobs)
    if not jobs:
        return
    check_models(job.model for job in jobs)
    workers = min(usable_cores() if workers is None else max(1, int(workers)), len(jobs))
    if workers == 1:
        for i, job in enumerate(jobs):
            yield i, _run_job(job)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from concurrent.futures.process import BrokenProcessPool

    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)
    finished = False
    done = set()
    try:
        futures = {pool.submit(_run_job, job): i for i, job in enumerate(jobs)}
        try:
            for future in as_completed(futures):
                result = future.result()
                done.add(futures[future])
                yield futures[future], result
        except BrokenProcessPool:
            # workers could not start (e.g. a script without ``if __name__ == "__main__":``
            # cannot be re-imported by spawned processes): finish the fits here
            import warnings

            warnings.warn("Parallel fitting workers failed to start; fitting in this process instead "
                          "(scripts that call sasnets in parallel need an `if __name__ == \"__main__\":` guard).",
                          RuntimeWarning, stacklevel=2)
            for i, job in enumerate(jobs):
                if i not in done:
                    yield i, _run_job(job)
        finished = True
    finally:  # interrupted (Ctrl-C, consumer stopped): drop queued fits, do not wait for running ones
        pool.shutdown(wait=finished, cancel_futures=not finished)


# --------------------------------------------------------------------------
# ranking
# --------------------------------------------------------------------------
#: orders :func:`rank_fits` knows: the combined posterior, or the network's probability alone
RANKINGS = ("posterior", "network")


def rank_fits(results: Sequence[FitResult], default_probability: float | None = None,
              by: str = "posterior") -> list:
    """Set ``score``, ``posterior`` and ``rank`` on each result and return them
    best first: ``score = ln(max(p, 1e-6)) - BIC/2``, ``posterior =
    softmax(score)``, failed fits last.  A candidate without a probability
    (no network, or a model the network does not know) gets
    ``default_probability`` (``1/len(labels)`` of the classifier: no
    preference), or ``p = 1`` when none is given, which is the same for all
    candidates when no network was asked.  See the module docstring for why.

    ``by="network"`` orders the fitted candidates by network probability
    instead (ties, e.g. no network, by ``score``): the fits then check the
    network's order rather than overrule it, which is the better first answer
    where the fit search misses the true model's minimum more often than the
    network errs (the pretrained classifier on instrument-like curves, see its
    model card)."""
    if by not in RANKINGS:
        raise UsageError(f"Unknown ranking {by!r}; choose from {', '.join(RANKINGS)} (--rank-by).")
    results = list(results)
    prior = {}
    for r in results:
        p = r.probability if r.probability is not None else default_probability
        prior[id(r)] = 0.0 if p is None else math.log(max(float(p), MIN_PROBABILITY))
        r.score = prior[id(r)] - 0.5 * r.bic if r.success and math.isfinite(r.chi2) else -math.inf
    finite = [r.score for r in results if math.isfinite(r.score)]
    top = max(finite) if finite else 0.0
    total = sum(math.exp(s - top) for s in finite)
    for r in results:
        r.posterior = math.exp(r.score - top) / total if math.isfinite(r.score) else 0.0

    def key(r):
        failed = not math.isfinite(r.score)
        first = -prior[id(r)] if by == "network" else 0.0
        return (failed, first, -r.score if not failed else 0.0, -(r.probability or 0.0), r.model)
    ordered = sorted(results, key=key)
    for i, r in enumerate(ordered, 1):
        r.rank = i
    return ordered


# --------------------------------------------------------------------------
# classify, then fit
# --------------------------------------------------------------------------
def classifier_probabilities(classifier, curve) -> dict:
    """{scattering model: probability} from ``classifier.predict_proba``."""
    proba = classifier.predict_proba(np.asarray(curve.q), np.asarray(curve.iq),
                                     diq=None if curve.diq is None else np.asarray(curve.diq),
                                     dq=None if curve.dq is None else np.asarray(curve.dq))
    proba = np.asarray(proba, dtype=float)
    if proba.ndim == 2:
        proba = proba[0]
    return dict(zip(list(classifier.labels), (float(v) for v in proba)))


def candidate_jobs(curve, probabilities: dict | None, *, models: Sequence[str] | None = None, top: int = 3,
                   fix: dict | None = None, **fit_options) -> list:
    """The fits :func:`fit_candidates` runs: the ``models`` given, or the
    ``top`` most probable ones.  Each candidate holds the parameters of
    ``fix`` it has (:func:`held_for`)."""
    if models:
        names = list(dict.fromkeys(models))
    elif probabilities:
        names = sorted(probabilities, key=lambda m: -probabilities[m])[:max(1, int(top))]
    else:
        raise UsageError("Nothing to fit: pass a classifier or at least one model name (--model NAME).")
    holds = held_for(names, fix)
    return [FitJob(curve, name, {**fit_options, "fix": holds[name], "probability": (probabilities or {}).get(name)})
            for name in names]


def held_for(models: Sequence[str], fix: dict | None) -> dict:
    """{model: the part of ``fix`` it has a parameter for}: a solvent SLD or a
    background held for several candidates applies to each that has it.  A
    name that none of ``models`` has (a typo, most likely) or a value outside
    a parameter's limits is a UsageError."""
    fix = fix or {}
    holds = {m: {} for m in models}
    for m in models if fix else ():
        info = _model_info(m)
        known = _fixable(info)
        holds[m] = _checked_hold(info, {k: v for k, v in fix.items() if k in known})
    unused = [k for k in fix if not any(k in h for h in holds.values())]
    if unused:
        raise UsageError(f"--fix {', '.join(unused)}: none of the scattering models fitted ({', '.join(models)}) has "
                         "such a parameter; `sasnets models --parameters NAME` lists a model's parameters.")
    return holds


def fit_candidates(curve, classifier=None, *, models: Sequence[str] | None = None, top: int = 3,
                   resolution: float | None = None, budget_s: float = 30.0, starts: int = 3, seed: int = 0,
                   workers: int | None = None, fit_params: Sequence[str] | None = None,
                   fix: dict | None = None, rank_by: str = "posterior") -> list:
    """Classify ``curve``, fit the candidates and return them ranked (best first).

    ``classifier`` is a loaded classifier (``labels`` + ``predict_proba``) or a
    path to one; it supplies the candidates (the ``top`` most probable) and
    their probabilities.  ``models`` fits the named scattering models instead
    (with the classifier's probabilities when a classifier is also given,
    ``None`` otherwise).  Without either, the default classifier is used when
    one is installed.  ``fix`` holds known parameter values in every
    candidate that has them (:func:`fit_model`).  Candidates fit in parallel
    over ``workers`` processes.
    Each result is a :class:`FitResult`; the order follows :func:`rank_fits`
    (``rank_by``: ``"posterior"`` or ``"network"``).
    """
    rank_fits([], by=rank_by)  # an unknown ranking fails before the fits run
    probabilities = None
    if classifier is not None or not models:
        from ..classifier import resolve_classifier  # not at import: fit workers never load the classifier code

        probabilities = classifier_probabilities(resolve_classifier(classifier), curve)
    neutral = 1.0 / len(probabilities) if probabilities else None
    jobs = candidate_jobs(curve, probabilities, models=models, top=top, resolution=resolution,
                          budget_s=budget_s, starts=starts, seed=seed, fit_params=fit_params, fix=fix)
    results = [None] * len(jobs)
    for i, res in map_fits(jobs, workers=workers):
        results[i] = res
    return rank_fits(results, default_probability=neutral, by=rank_by)


# --------------------------------------------------------------------------
# fit-verified accuracy
# --------------------------------------------------------------------------
def verify_curve(true_fit: FitResult | None, candidate_fits: Sequence[FitResult], tolerance: float = 0.1) -> bool:
    """True when some candidate fits as well as the true model: its reduced
    chi-square is at most ``(1 + tolerance)`` times the true model's.  A
    candidate that *is* the true model (``true_fit is None``) always passes."""
    if true_fit is None:
        return True
    good = [f.reduced_chi2 for f in candidate_fits if f.success and math.isfinite(f.reduced_chi2)]
    if not good:
        return False
    if not (true_fit.success and math.isfinite(true_fit.reduced_chi2)):
        return True
    return min(good) <= true_fit.reduced_chi2 * (1.0 + tolerance)


def _checked_sample(curves, probabilities, labels) -> tuple[list, np.ndarray]:
    """The curves as a list and the probabilities as an array of the matching shape."""
    probabilities = np.asarray(probabilities, dtype=float)
    curves = list(curves)
    if probabilities.shape != (len(curves), len(labels)):
        raise UsageError(f"probabilities must have shape ({len(curves)}, {len(labels)}), got {probabilities.shape}.")
    return curves, probabilities


def _fit_sample(curves: Sequence, probabilities: np.ndarray, labels: list, k: int, tolerance: float,
                rerank: bool, options: dict, workers: int | None,
                progress: Callable[[int, int], None] | None) -> dict:
    """Fit each curve's top-``k`` candidates (all curves when ``rerank``, else
    only those whose true model is not among them) and, where it is missing,
    its true model; return the fit-verified and the re-ranked top-1 fractions."""
    tops = [[labels[j] for j in np.argsort(-p, kind="stable")[:k]] for p in probabilities]
    jobs, owner = [], []
    for i, (curve, p, top) in enumerate(zip(curves, probabilities, tops)):
        if curve.model in top and not rerank:
            continue
        for name in top + ([] if curve.model in top else [curve.model]):
            probability = float(p[labels.index(name)]) if name in top else None
            jobs.append(FitJob(curve, name, {**options, "probability": probability}))
            owner.append(i)
    fits = [{} for _ in curves]
    for done, (j, res) in enumerate(map_fits(jobs, workers=workers), 1):
        fits[owner[j]][jobs[j].model] = res
        if progress is not None:
            progress(done, len(jobs))
    verified = [curve.model in top or verify_curve(fits[i][curve.model], [fits[i][m] for m in top], tolerance)
                for i, (curve, top) in enumerate(zip(curves, tops))]
    out = {"fit_verified": float(np.mean(verified))}
    if rerank:
        neutral = 1.0 / len(labels)
        out["reranked_top1"] = float(np.mean([
            rank_fits([fits[i][m] for m in top], default_probability=neutral)[0].model == curve.model
            for i, (curve, top) in enumerate(zip(curves, tops))]))
    return out


def fit_verified_accuracy(curves: Sequence, probabilities, labels: Sequence[str], k: int = 3,
                          tolerance: float = 0.1, *, resolution: float | None = None, budget_s: float = 10.0,
                          starts: int = 2, seed: int = 0, workers: int | None = None,
                          progress: Callable[[int, int], None] | None = None) -> float:
    """Fraction of ``curves`` where a top-``k`` candidate fits as well as the true model.

    ``curves`` carry their true scattering model in ``curve.model``;
    ``probabilities`` is an ``(n, len(labels))`` array of network outputs.  A
    curve counts as correct when the true model is among the top ``k``, or
    when the best reduced chi-square of the top-``k`` candidates is within
    ``tolerance`` (relative) of the true model's.  This is the honest measure
    when two scattering models describe the same curve equally well.  Fits
    run in parallel; ``progress(done, total)`` is called after each fit.
    """
    curves, probabilities = _checked_sample(curves, probabilities, labels)
    if not curves:
        return math.nan
    options = dict(resolution=resolution, budget_s=budget_s, starts=starts, seed=seed)
    return _fit_sample(curves, probabilities, list(labels), k, tolerance, False, options, workers,
                       progress)["fit_verified"]


def fit_verified_accuracy_on_store(classifier, store, tag: str = "test", n: int = 50, k: int = 3,
                                   tolerance: float = 0.1, *, seed: int = 0, budget_s: float = 10.0,
                                   starts: int = 2, workers: int | None = None,
                                   progress: Callable[[int, int], None] | None = None) -> dict:
    """:func:`fit_verified_accuracy` of ``classifier`` on a seeded random subset
    of ``n`` curves of ``tag`` in ``store`` (a URL or an open store), and the
    top-1 of the answer ``sasnets fit`` gives: the top ``k`` candidates
    re-ranked by fit (:func:`rank_fits`).  Fitting is expensive (up to
    ``k + 1`` fits per curve), so ``sasnets evaluate --fit-verify N`` samples.
    Curves of scattering models the classifier does not know are left out.
    Returns ``{"fit_verified": fraction, "top_k": fraction without fitting,
    "top1": the network's top-1 on the same curves, "reranked_top1": fraction,
    "k": k, "n": curves used, "tolerance": tolerance}``.
    """
    from ..classifier import resolve_classifier
    from ..stores import open_store

    classifier = resolve_classifier(classifier)
    labels = list(classifier.labels)
    owned = isinstance(store, (str, os.PathLike))
    handle = open_store(os.fspath(store), "r") if owned else store
    try:
        present = handle.counts().get(tag, {})
        known = [m for m in present if m in labels]
        if not known:
            raise UsageError(f"Tag {tag!r} of the store has no curves of the classifier's scattering models; "
                             "use --tag with data generated for them.")
        batch = next(iter(handle.iter_batches(tag, int(n), shuffle=True, seed=seed, models=known)))
    finally:
        if owned:
            handle.close()
    curves, probabilities = _checked_sample(batch, classifier.predict_proba_batch(batch), labels)
    truth = np.array([labels.index(c.model) for c in curves])
    topk = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    top1 = float(np.mean(topk[:, 0] == truth))
    options = dict(budget_s=budget_s, starts=starts, seed=seed)
    fitted = _fit_sample(curves, probabilities, labels, k, tolerance, k > 1, options, workers, progress)
    return {"fit_verified": fitted["fit_verified"], "top_k": float(np.mean(np.any(topk == truth[:, None], axis=1))),
            "top1": top1, "reranked_top1": fitted.get("reranked_top1", top1), "k": int(k),
            "n": len(curves), "tolerance": tolerance}
