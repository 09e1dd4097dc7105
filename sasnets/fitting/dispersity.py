"""Dispersity: which size distributions a fit integrates over, and when a
width is fitted without being asked.

A size parameter (a ``volume`` parameter of the model table that sasmodels
lets be polydisperse: ``radius``, ``length``, ``thickness`` ...) may have a
distribution of relative width ``NAME_pd`` (sigma/mean, below 1) of type
``NAME_pd_type``.  Every width a fit uses, fitted or held, is integrated over
``NAME_pd_n`` = 35 points within ``NAME_pd_nsigma`` = 3 sigma, set
explicitly: sasmodels integrates a width given without its point count over
one point, i.e. not at all (sasmodels issue 746).

Distribution type
    ``gaussian`` by default (:data:`DEFAULT_PD_TYPE`): sasmodels' and
    SasView's default, and what ``sasnets generate`` simulates, so fitted
    widths read the same as simulated and SasView ones.  ``schulz`` or
    ``lognormal`` suit broad distributions (width above about 0.3), where a
    Gaussian's lower tail is cut at zero size.

When a width is fitted (:func:`search_dispersity`)
    Widths named in ``polydisperse`` always.  Otherwise, when the
    monodisperse fit is not acceptable, the model is fitted again with the
    width of one size parameter added, each size in turn until one fits
    acceptably or the budget runs low: the size whose width, added at the
    monodisperse minimum, lowers the chi-square the most first (a few widths
    of each size are tried: the shell of a core-shell sphere, the length of a
    cylinder, not always the first size, ``radius``), each fit starting from
    the monodisperse one and that width; of them all the fit with the lowest
    BIC is kept (not after a fit the budget cut short: the wider one would be
    cut shorter; nor when the budget left allows too few evaluations with the
    width, :func:`~sasnets.fitting.fit_model`).  The probe at a poor minimum
    can point at the wrong size (a large polydisperse core taken for a thick
    shell), so the next one is tried too.  When the first round of the
    monodisperse search is poor, the widths are fitted at once instead of
    after the further monodisperse rounds: a fit with a width contains the
    monodisperse one (width 0), so its own rounds search as widely, and
    smeared minima are found only with the width (not for a model whose shell
    or level count is searched: that search comes first).  An acceptable
    monodisperse fit costs nothing more; a poor one costs a fit or two whose
    model evaluations are 35 times dearer.  ``FitResult.dispersity`` reports
    the widths and types.
"""
from __future__ import annotations

from typing import Sequence

from ..errors import UsageError

__all__ = ["PD_TYPES", "DEFAULT_PD_TYPE", "PD_POINTS", "PD_NSIGMA", "size_parameters", "main_size_parameter",
           "check_polydisperse", "search_dispersity"]

#: distribution types a fit offers for a size parameter
PD_TYPES = ("gaussian", "lognormal", "schulz")
#: the distribution type of a width unless another is asked for
DEFAULT_PD_TYPE = "gaussian"
#: integration points and range (in sigmas) of every width a fit uses
PD_POINTS, PD_NSIGMA = 35.0, 3.0


def size_parameters(info) -> list:
    """Names of the scalar size parameters of ``info`` that may be polydisperse."""
    return [p.name for p in info.parameters.kernel_parameters
            if p.polydisperse and p.type == "volume" and p.length == 1]


def main_size_parameter(info) -> str | None:
    """The form factor's first size parameter (``radius`` of a sphere or a cylinder)."""
    sizes = size_parameters(info)
    return sizes[0] if sizes else None


def check_pd_type(pd_type: str) -> str:
    if pd_type not in PD_TYPES:
        raise UsageError(f"Unknown dispersity type {pd_type!r}; choose from {', '.join(PD_TYPES)} (--pd-type).")
    return pd_type


def check_polydisperse(info, names: Sequence[str] | None, held: dict) -> list:
    """``names`` as a list of size parameters of ``info``; UsageError for a
    parameter that is not one, or whose width is also held."""
    out = []
    sizes = size_parameters(info)
    for name in names or ():
        name = name[:-3] if name.endswith("_pd") else name
        if name not in sizes:
            choices = ", ".join(sizes) if sizes else "none"
            raise UsageError(f"{info.id}: {name!r} is not a size parameter that can be polydisperse; "
                             f"its size parameters: {choices}.")
        if name + "_pd" in held:
            raise UsageError(f"{info.id}: the width {name}_pd is both held (fix) and to be fitted (polydisperse); "
                             "choose one.")
        if name not in out:
            out.append(name)
    return out


def search_dispersity(fit, first, held: dict, polydisperse: list, widen: list, time_left=lambda: True):
    """Of ``first`` (a fit with the widths of ``polydisperse``) and fits with
    the width of one more size parameter, the one with the lowest BIC.
    ``widen`` lists ``(size parameter, starting width)`` in the order they
    are tried, each fit descending first from ``first`` with that width
    (the box is sampled only when that does not fit well), until one
    fits acceptably or ``time_left()`` says no more; none when ``first``
    stopped on the budget (a fit whose evaluations are 35 times dearer
    would be cut shorter).  ``fit(held, polydisperse=..., guess=..., descend_guess=...)`` runs
    one fit."""
    if not widen or not first.success or first.stopped_on_budget:
        return first
    best = first
    for k, (size, width) in enumerate(widen):
        if k and (best.acceptable or not time_left()):
            break
        wider = fit(held, polydisperse=[*polydisperse, size], guess={**first.values, size + "_pd": width},
                    descend_guess=True)
        wider.counts_tried = dict(first.counts_tried)
        if wider.success and wider.bic < best.bic:
            best = wider
    best.dispersity_tried = True
    return best
