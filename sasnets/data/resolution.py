"""Pinhole resolution smearing that stays correct for large objects.

sasmodels' default :class:`sasmodels.resolution.Pinhole1D` evaluates the model
only on the data's own q points (plus a linear extension of the range) and
integrates the Gaussian resolution with a midpoint rule over those points.
When the scatterer is much larger than 1/qmin its form-factor fringes are
finer than the point spacing, the midpoint rule samples them at a few phases
only and the "smeared" curve shows spurious bumps (for a sphere of R = 5000 Å
at 5 % dQ/Q on 100 log-spaced points, errors of tens of percent).

:func:`pinhole_resolution` builds the same Gaussian weight matrix (truncated
at ±2.5 sigma as sasmodels does) on calculation points spaced by a fraction of
the local 1-sigma width, so every data point integrates its resolution
function over many samples.  :func:`apply_resolution` installs it on a
sasmodels calculator (``DirectModel`` or ``bumps_model.Experiment``); the
curve generator and the fitter both go through it, so simulated training data
and fitted models are smeared identically.
"""
from __future__ import annotations

import numpy as np

#: calculation points per 1-sigma resolution width
POINTS_PER_SIGMA = 4.0
#: calculation points per form-factor fringe (period 2π/size) of the object
POINTS_PER_FRINGE = 4.0
#: most calculation points; beyond it the sampling is thinned evenly so that
#: expensive (orientation-averaged) models stay affordable
MAX_CALC_POINTS = 2000
#: the resolution function is truncated at this many sigma (as in sasmodels)
NSIGMA = 2.5


def oversampled_q_calc(q, dq, *, size: float | None = None, points_per_sigma: float = POINTS_PER_SIGMA,
                       points_per_fringe: float = POINTS_PER_FRINGE,
                       max_points: int = MAX_CALC_POINTS) -> np.ndarray:
    """Increasing calculation points covering ``q ± NSIGMA * dq``.

    Their spacing follows the local 1-sigma width (``dq`` interpolated in
    log q over the points with ``dq > 0``): about ``points_per_sigma`` points
    per sigma and, when the largest dimension ``size`` (Å) of the scatterer is
    given, ``points_per_fringe`` per fringe period 2π/size (where the
    resolution is wider than a fringe, the average over many fringes needs
    the fringes themselves resolved); never coarser than the data's own
    points (they are included), and at most about ``max_points`` extra
    points in all.
    """
    q = np.asarray(q, np.float64)
    dq = np.asarray(dq, np.float64)
    order = np.argsort(q)
    q, dq = q[order], dq[order]
    positive = dq > 0
    if not positive.any():
        return q.copy()
    lo = float(np.min(q - NSIGMA * dq))
    hi = float(np.max(q + NSIGMA * dq))
    floor = 0.02 * float(np.min(q[q > 0])) if np.any(q > 0) else 1e-6  # sasmodels' MINIMUM_ABSOLUTE_Q
    lo = max(lo, floor)
    # relative width dq/q as a function of log q, from the points that have one
    rel = dq[positive] / q[positive]
    logq = np.log(q[positive])
    # a fine log grid on which the number of calculation points is accumulated
    grid = np.linspace(np.log(lo), np.log(hi), 20000)
    rel_grid = np.interp(grid, logq, rel)  # constant beyond the ends
    density = points_per_sigma / np.maximum(rel_grid, 1e-6)  # points per unit of log q
    if size is not None and size > 0:  # d(points)/d(log q) = q / (2π/size) * points_per_fringe
        density = np.maximum(density, np.exp(grid) * size * points_per_fringe / (2 * np.pi))
    cumulative = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
    total = cumulative[-1]
    n = int(min(np.ceil(total), max(int(max_points), 2)))
    targets = np.linspace(0.0, total, max(n, 2))
    q_calc = np.exp(np.interp(targets, cumulative, grid))
    return np.unique(np.concatenate([q_calc, q]))


def pinhole_resolution(q, dq, *, size: float | None = None, points_per_sigma: float = POINTS_PER_SIGMA,
                       points_per_fringe: float = POINTS_PER_FRINGE, max_points: int = MAX_CALC_POINTS):
    """The sasmodels resolution object smearing a model onto ``q`` with
    1-sigma Gaussian widths ``dq`` (1/Å), evaluated on oversampled points.

    ``dq`` None or all zero gives :class:`sasmodels.resolution.Perfect1D`
    (no smearing); otherwise a :class:`sasmodels.resolution.Pinhole1D` whose
    ``q_calc`` is :func:`oversampled_q_calc`.  Points with ``dq == 0`` among
    others are left unsmeared (their own q is a calculation point).
    """
    from sasmodels.resolution import Perfect1D, Pinhole1D

    q = np.asarray(q, np.float64)
    if dq is None or not np.any(np.asarray(dq) > 0):
        return Perfect1D(q)
    dq = np.asarray(dq, np.float64)
    q_calc = oversampled_q_calc(q, dq, size=size, points_per_sigma=points_per_sigma,
                                points_per_fringe=points_per_fringe, max_points=max_points)
    return Pinhole1D(q, dq, q_calc=q_calc, nsigma=NSIGMA)


def object_size(model_info, pars) -> float:
    """An upper bound on the largest dimension (Å) of a model's scatterer with
    parameter values ``pars`` (missing ones at their defaults): twice the sum
    of its non-negative length parameters, each widened by 3x its
    polydispersity.  Used only to choose the sampling density, so an
    over-estimate costs time, not accuracy."""
    total = 0.0
    for p in model_info.parameters.kernel_parameters:
        if (p.units or "").strip() not in ("Ang", "A", "Å") or p.length != 1 or p.limits[0] < 0:
            continue
        value = abs(float(pars.get(p.name, p.default)))
        pd = float(pars.get(p.name + "_pd", 0.0)) if p.polydisperse else 0.0
        total += value * (1.0 + 3.0 * max(pd, 0.0))
    return 2.0 * total


def size_bucket(size: float | None, step: float = 1.25) -> float | None:
    """``size`` rounded up to a power of ``step``, so that calculators can be
    cached and reused for objects of similar size."""
    if size is None or not size > 0 or not np.isfinite(size):
        return None
    return float(step ** np.ceil(np.log(size) / np.log(step)))


def apply_resolution(calculator, **options):
    """Replace the resolution sasmodels chose for ``calculator`` (a
    ``DirectModel`` or ``bumps_model.Experiment`` built on 1D data with
    ``dx``) by :func:`pinhole_resolution` on the same points; returns it.

    Must be called before the calculator is first evaluated (its kernel is
    built lazily on the resolution's calculation points).  Data without
    pinhole widths (no ``dx``, or slit data) is left alone.
    """
    data = getattr(calculator, "_data", None)
    dx = getattr(data, "dx", None)
    if data is None or dx is None or getattr(calculator, "data_type", "Iq") != "Iq":
        return calculator
    index = calculator.index
    calculator.resolution = pinhole_resolution(np.asarray(data.x)[index], np.asarray(dx)[index], **options)
    calculator._kernel = None  # rebuilt on the new calculation points at the next evaluation
    cache = getattr(calculator, "_cache", None)
    if cache:
        cache.clear()  # an Experiment's memoised theory
    return calculator
