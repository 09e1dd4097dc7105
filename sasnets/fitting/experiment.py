"""The fit's experiment: the data points, their errors and resolution, which
parameters of a scattering model are fitted, within which bounds, and which
the scientist holds at known values.

Data (:func:`_prepare`)
    Points with non-finite values, ``q <= 0`` or ``diq <= 0`` are dropped.
    Points without intensity errors (missing, zero) get
    ``diq = 2 % * |I(q)|`` (the fit still ranks candidates, but chi-square is
    then only relative; the result's ``message`` says so).  Resolution:
    ``resolution`` (1-sigma dQ/Q, a fraction) when given, otherwise the
    curve's own ``dq`` (1-sigma, 1/Å), otherwise none.  Slit smearing
    instead (the data get sasmodels' ``dxl``/``dxw``, ``dx`` unused, so
    DirectModel and the bumps Experiment both smear with ``Slit1D``): the
    ``slit_length``/``slit_width`` given (1/Å), else the curve's own when
    ``curve.slit_smeared``; zero slits mean no smearing.

Which parameters are fitted (:func:`_shape_parameters`)
    ``scale`` and ``background`` always.  Of the model's 1D parameters
    (orientation, magnetic and choice parameters excluded; a vector parameter
    contributes its entries up to its count's default, the count staying
    fixed) a parameter is fitted only when it changes the *shape* of I(q) on
    the curve's q points: a parameter whose effect is a pure multiplicative
    factor (the SLD contrast of a homogeneous particle, a volume fraction that
    multiplies the form factor) is degenerate with ``scale`` and stays at its
    default.  This is decided numerically (:func:`_non_degenerate`): the
    derivatives of log I(q) are added one by one (solvent SLDs last) and a
    parameter is kept only if its derivative is not a linear combination of
    the constant (scale) direction and the parameters already kept.  So for
    ``core_shell_sphere`` the radius, thickness and the core SLD are fitted
    (the contrast *ratio*), while the overall contrast lives in ``scale``.
    The test is made with the SLDs set apart from each other and a length
    is tried towards both ends of its range too: at core_shell_cylinder's
    defaults (core and shell of one SLD, a long rod) its length is no more
    than a factor, while a disk's sets the shape.
    ``fit_params`` overrides the choice (polydispersity parameters such as
    ``radius_pd`` may be named there).  A product (``sphere@hayter_msa``)
    ties its effective radius to the form factor and holds the sample's
    conditions (:mod:`.products`); the widths of the size parameters named
    in ``polydisperse`` are added to the fitted ones (:mod:`.dispersity`).

Held parameters
    ``fix`` (``--fix NAME=VALUE``) holds parameters the scientist knows at
    given values (the solvent SLD, a polydispersity, ``scale`` or
    ``background`` on absolute data); once checked (:func:`_checked_hold`)
    they are the fit's *held* values, never fitted, and holding a vector's
    count (``n_shells=3``) fits the entries up to that count instead of the
    default's.  Every parameter a fit does not move, held or at its default,
    is *fixed* (``FitResult.fixed``).

Bounds (:func:`_bounds_for`)
    Lengths (Å): 1 Å to ``max(1000 Å, 20π/qmin)``, searched in log space;
    volume and surface fractions 0 .. 1; parameters with finite limits in the
    model table use those limits; other positive parameters span
    default/100 .. default*100 (log); SLDs -10 .. 20 (1e-6/Å²), searched in
    ``atan`` coordinates around the fixed SLDs (:class:`_Param`);
    polydispersities 0 .. 0.5; anything else default ± 5·max(1, |default|).
    ``scale >= 0``; background between ``min(0, min(I - 2 dI))`` and
    ``max(I)``.

Only sasmodels is imported here (inside the functions), never TensorFlow.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Iterable, NamedTuple

import numpy as np

from ..errors import DataError, UsageError
from . import products
from .dispersity import DEFAULT_PD_TYPE, PD_NSIGMA, PD_POINTS, check_pd_type, check_polydisperse

__all__ = ["Fixable", "fixable_parameters", "count_parameters", "check_models", "DEFAULT_RELATIVE_ERROR"]

#: Relative error assumed for curves that carry no intensity errors.
DEFAULT_RELATIVE_ERROR = 0.02

_SLD_RANGE = (-10.0, 20.0)
_PD_RANGE = (0.0, 0.5)
_PD_POINTS, _PD_NSIGMA = PD_POINTS, PD_NSIGMA  # dispersity integration, set explicitly (dispersity.py)
_MIN_LENGTH = 1.0
_DEGENERACY_TOL = 1e-4
#: the degeneracy test sets the SLDs at least this far apart (1e-6/Å²), so that equal defaults do not mislead it
_SLD_SPREAD = 0.5


@dataclass
class _Prepared:
    q: np.ndarray
    iq: np.ndarray
    diq: np.ndarray
    dq: np.ndarray | None
    note: str
    slit_length: np.ndarray | None = None
    slit_width: np.ndarray | None = None

    @property
    def slit_smeared(self) -> bool:
        return self.slit_length is not None or self.slit_width is not None

    def data(self, index=None):
        """A sasmodels Data1D of the points (all, or those at ``index``) with
        their resolution: ``dx`` for pinhole, ``dxl``/``dxw`` for slit smearing."""
        from sasmodels.data import Data1D

        pick = (lambda a: a) if index is None else (lambda a: None if a is None else a[index])  # noqa: E731
        data = Data1D(x=pick(self.q), y=pick(self.iq), dx=pick(self.dq), dy=pick(self.diq))
        if self.slit_smeared:
            data.dxl, data.dxw = pick(self.slit_length), pick(self.slit_width)
        return data


def _slit_array(name: str, value, n: int) -> np.ndarray | None:
    if value is None:
        return None
    value = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
    if not np.all(np.isfinite(value)) or np.any(value < 0):
        raise UsageError(f"The {name.replace('_', ' ')} must be a length in 1/Å, zero or positive, got {value.min():g}.")
    return value


def _prepare(curve, resolution: float | None, slit_length=None, slit_width=None) -> _Prepared:
    """float64 arrays of the usable points, errors and 1-sigma dq, or the
    slit length/width (``slit_length``/``slit_width`` override the curve's)."""
    q = np.asarray(curve.q, dtype=np.float64)
    iq = np.asarray(curve.iq, dtype=np.float64)
    notes = []
    diq = np.zeros_like(iq) if curve.diq is None else np.asarray(curve.diq, dtype=np.float64)
    missing = ~(np.isfinite(diq) & (diq > 0))
    if missing.any():  # measured files mark unknown errors with 0
        diq = np.where(missing, DEFAULT_RELATIVE_ERROR * np.abs(iq), diq)
        some = "no" if missing.all() else f"{int(missing.sum())} points without"
        notes.append(f"{some} intensity errors: assumed {DEFAULT_RELATIVE_ERROR:.0%} of I(q)")
    n = len(q)
    if slit_length is not None or slit_width is not None:
        slit_l, slit_w = _slit_array("slit_length", slit_length, n), _slit_array("slit_width", slit_width, n)
    elif getattr(curve, "slit_smeared", False):
        slit_l = np.asarray(curve.slit_length, dtype=np.float64)
        slit_w = None if curve.slit_width is None else np.asarray(curve.slit_width, dtype=np.float64)
    else:
        slit_l = slit_w = None
    if slit_l is not None and not np.any(slit_l > 0) and (slit_w is None or not np.any(slit_w > 0)):
        slit_l = slit_w = None  # zero slits: no smearing
    if slit_l is not None or slit_w is not None:
        if resolution is not None:
            raise UsageError("A pinhole resolution (dQ/Q) and a slit length were both given; a curve is smeared "
                             "by one of them: drop --resolution for slit-smeared data.")
        dq = None
    elif resolution is not None:
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
    for slit in (slit_l, slit_w):
        if slit is not None:
            ok &= np.isfinite(slit) & (slit >= 0)
    if ok.sum() < 8:
        name = getattr(curve, "source", None) or "the curve"
        raise DataError(f"{name} has only {int(ok.sum())} usable points (finite q > 0, I and dI > 0); at least 8 are needed to fit.")
    order = np.argsort(q[ok], kind="stable")
    sel = lambda a: None if a is None else a[ok][order]  # noqa: E731
    dq = sel(dq)
    if dq is not None and not np.any(dq > 0):
        dq = None
    return _Prepared(sel(q), sel(iq), sel(diq), dq, "; ".join(notes), sel(slit_l), sel(slit_w))


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
    #: a length (Å), searched in log space
    length: bool = False
    #: a scattering length density
    sld: bool = False

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
    skip = products.excluded(model_info, held)
    candidates = []
    for p in table.kernel_parameters:
        if p.type in ("orientation", "magnetic") or p.choices or p.name in controls or p.name in held \
                or p.name in skip:
            continue
        if p.length == 1:
            candidates.append(p)
        elif p.length_control is not None:
            for i in range(1, min(controls[p.length_control], p.length) + 1):
                if f"{p.id}{i}" in held:
                    continue
                entry = copy.copy(p)
                entry.name, entry.length = f"{p.id}{i}", 1
                entry.default = defaults.get(entry.name, p.default)
                candidates.append(entry)
    return sorted(candidates, key=lambda p: (p.type == "sld" and "solvent" in p.name,))


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
        if name.endswith("_pd") and math.isfinite(value) and not 0 <= value < 1:
            raise UsageError(f"{model_name}: {name}={value:g} is outside the range of a dispersity width, [0, 1): "
                             "the width is sigma/mean of the size distribution (0.1 for 10 %).")
        if not (lo <= value <= hi) or not math.isfinite(value):
            raise UsageError(f"{model_name}: {name}={value:g} is outside the parameter's limits [{lo:g}, {hi:g}]; "
                             "fix it within them.")
        held[name] = value
    for control in [*_length_controls(info), *products.fixed_modes(info, {})]:
        if control in held and held[control] != int(held[control]):
            what = "chooses a mode" if control.endswith("_mode") else "counts shells or levels"
            raise UsageError(f"{model_name}: {control} {what} and must be a whole number, not {held[control]:g}.")
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
    return _Param(p.name, min(max(default, lo), hi), lo, hi, log, length=log and units in ("Ang", "A", "Å"),
                  sld=p.type == "sld")


def _pd_param(name: str, defaults: dict) -> _Param:
    return _Param(name, float(defaults.get(name, 0.1) or 0.1), *_PD_RANGE, False)


def _shape_parameters(model_info, calc, prep, fit_params, held, polydisperse=(),
                      pd_type: str = DEFAULT_PD_TYPE) -> tuple[list, dict, dict]:
    """(fitted shape parameters, fixed parameter values, held ones included,
    {NAME_pd_type: type} of every width in use).  ``polydisperse`` names
    size parameters whose widths are fitted too (:mod:`.dispersity`)."""
    pd_type = check_pd_type(pd_type)
    polydisperse = check_polydisperse(model_info, polydisperse, held)
    held = {**held, **products.fixed_modes(model_info, held)}  # a product's modes are passed explicitly
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
        params = [_bounds_for(p, qmin) for p in candidates.values()]
        for p in params:
            products.adjust_bounds(model_info, p)
        chosen = _non_degenerate(params, calc, {**defaults, **_pd_types(model_info, held, (), pd_type)}, entries)
    for p in chosen:
        products.adjust_bounds(model_info, p)
    chosen += [_pd_param(name + "_pd", defaults) for name in polydisperse
               if name + "_pd" not in {p.name for p in chosen}]
    fitted = {p.name for p in chosen}
    fixed_slds = [float(defaults[n]) for n, p in candidates.items() if p.type == "sld" and n not in fitted]
    for p in chosen:
        if p.name in candidates and candidates[p.name].type == "sld" and fixed_slds:
            p.centre = float(np.mean(fixed_slds))
            p.spread = max(float(np.ptp(fixed_slds)), 0.5)
    fixed = {k: float(v) for k, v in defaults.items()
             if k not in fitted and k not in ("scale", "background") and k in candidates}
    fixed.update({k: float(defaults[k]) for k in products.excluded(model_info, held)
                  if k != "radius_effective" and k not in fitted})  # the sample's conditions (temperature ...)
    fixed.update({k: float(v) for k, v in _length_controls(model_info, held).items()})
    fixed.update(held)
    for name in fitted | set(held):  # a dispersity width acts only with points to integrate over
        if name.endswith("_pd"):
            fixed.setdefault(name + "_n", _PD_POINTS)
            fixed.setdefault(name + "_nsigma", _PD_NSIGMA)
    return chosen, fixed, _pd_types(model_info, held, fitted, pd_type)


def _pd_types(model_info, held, fitted, pd_type) -> dict:
    """{NAME_pd_type: pd_type} of every width fitted or held above zero."""
    widths = [n for n in fitted if n.endswith("_pd")] + [n for n, v in held.items() if n.endswith("_pd") and v > 0]
    return {n + "_type": pd_type for n in widths}


def _non_degenerate(params: list, calc, defaults: dict, vector_entries: set = frozenset()) -> list:
    """Drop parameters whose effect on log I(q) is a combination of a constant
    factor (degenerate with scale) and the effects of parameters kept earlier.

    The test is made at the defaults with every SLD set ``_SLD_SPREAD`` apart
    from the others (a core and shell of the same default SLD would make a
    core-shell cylinder's length a mere mix of its shell thickness and
    radius), and a length (in sasmodels' tables, some ratios too) that
    fails there is tried again a fifth of its range from either end (a long
    rod's length is only a factor on its curve, a disk's sets its shape).

    Names in ``vector_entries`` stay whatever the test says: the entries of a vector
    parameter share one default (every shell the same SLD), where the test
    would call all but one shell's thickness redundant."""
    base = {k: v for k, v in defaults.items()}
    base.update({p.name: p.default for p in params})
    placed = [float(v) for n, v in defaults.items() if n.startswith("sld") and n not in {p.name for p in params}]
    for p in params:
        if p.sld:  # moved up until no other SLD is within _SLD_SPREAD
            while any(abs(base[p.name] - v) < _SLD_SPREAD for v in placed):
                base[p.name] += _SLD_SPREAD
            placed.append(base[p.name])
    base.update(scale=1.0, background=0.0)
    i0 = calc(**base)
    if not np.all(np.isfinite(i0)) or np.any(i0 <= 0):
        return params  # cannot linearise in log space here: keep them all
    effects = {}  # {name: the change of log I with it} at base
    kept = []
    for p in params:
        column = effects[p.name] = _log_effect(calc, base, p)
        if p.name in vector_entries or _independent(column, [effects[k.name] for k in kept]):
            kept.append(p)
        elif p.length:
            lo, hi = p.search_bounds
            elsewhere = [{**base, p.name: p.from_search(lo + f * (hi - lo))} for f in (0.2, 0.8)]
            if any(_independent(_log_effect(calc, at, p), [_log_effect(calc, at, k) for k in kept])
                   for at in elsewhere):
                kept.append(p)
    return kept


def _log_effect(calc, at: dict, p):
    """The change of log I(q) with ``p`` at ``at`` (a central difference: the
    degeneracy test needs accuracy), or None where I is not positive and finite."""
    step = 1e-4 * max(abs(at[p.name]), 1e-3 * (p.hi - p.lo), 1e-6)
    up, down = calc(**{**at, p.name: at[p.name] + step}), calc(**{**at, p.name: at[p.name] - step})
    if not (np.all(np.isfinite(up)) and np.all(np.isfinite(down)) and np.all(up > 0) and np.all(down > 0)):
        return None
    return np.log(up) - np.log(down)


def _independent(column, others: list) -> bool:
    """Whether ``column`` is more than a constant plus a combination of the
    ``others`` (None entries skipped); a column that is None (I not positive
    and finite there) counts as independent."""
    if column is None:
        return True
    norm = np.linalg.norm(column)
    if norm == 0:
        return False
    span = [np.ones_like(column)] + [c for c in others if c is not None and np.linalg.norm(c) > 0]
    U, sv, _ = np.linalg.svd(np.array([c / np.linalg.norm(c) for c in span]).T, full_matrices=False)
    U = U[:, sv > _DEGENERACY_TOL]
    residual = column / norm - U @ (U.T @ (column / norm))
    return bool(np.linalg.norm(residual) > _DEGENERACY_TOL)


def _model_info(model_name: str):
    from sasmodels import core

    if "@" in model_name:
        products.check_product(model_name)
    try:
        return core.load_model_info(model_name)
    except Exception:  # sasmodels raises ImportError/ValueError for unknown names
        from .._suggest import did_you_mean

        hint = did_you_mean(model_name, core.list_models()) or "`sasnets models` lists them."
        raise UsageError(f"Unknown scattering model {model_name!r} (--model); {hint}") from None


def _kernel(model_name: str):
    from sasmodels import core

    info = _model_info(model_name)
    return info, core.build_model(info, dtype="double", platform="dll")


def check_models(models: Iterable[str]) -> None:
    """Load (and, the first time, compile) each model in this process, so that
    unknown names fail early and parallel workers find compiled kernels."""
    for name in dict.fromkeys(models):
        _kernel(name)
