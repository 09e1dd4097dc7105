"""The outcome of one fit: :class:`FitResult` and the goodness-of-fit figures.

Goodness of fit: ``chi2 = Σ((I - I_fit)/dI)²``, ``dof = npoints - nparams``
(``nparams`` counts scale and background), ``reduced_chi2 = chi2/dof``,
``aic = chi2 + 2·nparams`` and ``bic = chi2 + nparams·ln(npoints)`` (the
Gaussian log-likelihood up to a constant shared by all candidates).  A fit
with ``reduced_chi2 <`` :data:`ACCEPTABLE_REDUCED_CHI2` is ``acceptable``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["FitResult", "ACCEPTABLE_REDUCED_CHI2", "result_from_dict"]

#: A fit with a reduced chi-square below this is marked acceptable.
ACCEPTABLE_REDUCED_CHI2 = 2.0


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
    ``pd_types`` maps each size parameter with a width in use (fitted or
    held) to its distribution type; :attr:`dispersity` reports them with the
    widths.  ``dispersity_tried`` says a poor fit was tried again with the
    width of one size parameter (kept only where its BIC is lower).
    ``quick`` says a poor fit was left after one round of the global search,
    within a share of the budget and without the count and width searches,
    because a candidate ranked above it fits adequately, or two others were
    searched in full instead (:func:`~sasnets.fitting.fit_job_sets`; the
    network's first choice is never quick).
    ``width_budget_s`` is, for a poor fit whose width search the budget
    left could not afford, a budget that would allow it (0 otherwise; its
    ``message`` says so).
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
    pd_types: dict = field(default_factory=dict)
    dispersity_tried: bool = False
    quick: bool = False
    width_budget_s: float = 0.0
    q: np.ndarray | None = None
    iq_fit: np.ndarray | None = None
    probability: float | None = None
    score: float = -math.inf
    posterior: float | None = None
    rank: int = 0

    @property
    def sasmodels_parameters(self) -> dict:
        """Every parameter value of the best fit, as sasmodels takes them: with
        ``sasmodels.direct_model.DirectModel(data, load_model(model))(**these)``
        (the data's q and resolution) SasView or a script recomputes the fitted
        curve; dispersity widths come with their points, sigmas and types."""
        out = {k: float(v) for k, v in self.fixed.items()}
        out.update({k: float(v) for k, (v, _) in self.parameters.items()})
        out.update({f"{name}_pd_type": kind for name, kind in self.pd_types.items()})
        return out

    @property
    def values(self) -> dict:
        """{fitted parameter: value}, without the errors: where a further fit starts."""
        return {k: v for k, (v, _) in self.parameters.items()}

    def bumps_pars(self) -> str:
        """The fitted parameters as a bumps ``.par`` file (``name value`` lines,
        which ``bumps.cli.load_pars`` reads into a sasmodels fit problem)."""
        return "".join(f"{name} {value:.15g}\n" for name, (value, _) in self.parameters.items())

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
    def dispersity(self) -> dict:
        """{size parameter: {"width", "error", "type", "fitted"}} of each
        width in use: ``width`` sigma/mean, ``error`` its uncertainty (NaN when held)."""
        out = {}
        for name, pd_type in self.pd_types.items():
            key = name + "_pd"
            if key in self.parameters:
                width, error = self.parameters[key]
                fitted = True
            else:
                width, error, fitted = self.fixed.get(key, math.nan), math.nan, False
            out[name] = {"width": float(width), "error": float(error), "type": pd_type, "fitted": fitted}
        return out

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
            "quick": self.quick,
            "counts_tried": {k: [int(n) for n in v] for k, v in self.counts_tried.items()},
            "dispersity": {k: {"width": _finite(d["width"]), "error": _finite(d["error"]), "type": d["type"],
                               "fitted": d["fitted"]} for k, d in self.dispersity.items()},
            "sasmodels": {"model": self.model,
                          "parameters": {k: (v if isinstance(v, str) else _finite(v))
                                         for k, v in self.sasmodels_parameters.items()}},
            "elapsed_s": round(self.elapsed, 3),
        }
        if curve and self.q is not None:
            out["q"] = [float(v) for v in self.q]
            out["iq_fit"] = [_finite(v) for v in self.iq_fit]
        return out


def _number(value) -> float:
    return math.nan if value is None else float(value)


def result_from_dict(d: dict) -> FitResult:
    """The :class:`FitResult` that :meth:`FitResult.to_dict` wrote (``None`` back to NaN;
    the curve arrays when it was written with ``curve=True``)."""
    result = FitResult(
        model=d["model"], chi2=_number(d.get("chi2")), dof=int(d.get("dof", 0)), npoints=int(d.get("npoints", 0)),
        nparams=int(d.get("nparams", 0)),
        parameters={k: (_number(v), _number(u)) for k, (v, u) in d.get("parameters", {}).items()},
        fixed={k: _number(v) for k, v in d.get("fixed", {}).items()},
        held={k: _number(v) for k, v in d.get("held", {}).items()},
        success=bool(d.get("success")), message=d.get("message", ""), elapsed=float(d.get("elapsed_s", 0.0)),
        stopped_on_budget=bool(d.get("stopped_on_budget")), quick=bool(d.get("quick")),
        counts_tried={k: list(v) for k, v in d.get("counts_tried", {}).items()},
        pd_types={k: v["type"] for k, v in d.get("dispersity", {}).items()},
        probability=None if d.get("probability") is None else float(d["probability"]),
        rank=int(d.get("rank", 0)))
    if d.get("q") is not None:
        result.q = np.asarray(d["q"], float)
        result.iq_fit = np.asarray([_number(v) for v in d["iq_fit"]], float)
    return result


def _finite(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
