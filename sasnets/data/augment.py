"""Training-time augmentation: make simulated curves look like real instruments.

Simulated training curves share one q range, one point density, one noise
level and one absolute scale; measured curves do not.  :func:`augment` draws,
for every curve, a random instrument and applies it to the raw curve *before*
resampling, so cropping and point density are realistic and the resampler's
masking sees exactly what a measured curve would give it:

* extra resolution smearing (Gaussian in q, relative width drawn per curve),
* a random absolute scale (log-uniform),
* a flat background, relative to the curve's largest intensity (log-uniform),
* extra relative Gaussian noise (added in quadrature to ``diq``),
* a random q window at least ``min_decades`` wide, and a new point density:
  targets spaced evenly in log q or in q (as SAXS instruments do), each
  keeping the nearest measured point, so no point is invented.

A fraction ``clean_prob`` of the curves keeps its simulated instrument (only
the scale changes), so the network also sees curves as clean as the
simulation made them and does not trade accuracy on good data for robustness.

Everything is drawn from the ``numpy.random.Generator`` passed in: the same
seed gives the same augmented batch.  The per-point loops run in numba
(:mod:`sasnets.data._kernels`); numpy references exist for the tests and for
``SASNETS_NO_NUMBA=1``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UsageError
from ..options import Options
from .curves import COLUMNS, CurveBatch, per_curve_reduce
from .preprocess import use_numba

__all__ = ["AugmentSpec", "augment", "smear_reference", "select_points_reference"]


@dataclass(frozen=True)
class AugmentSpec(Options):
    """Ranges the random instrument of each training curve is drawn from."""

    enabled: bool = True
    scale: tuple = (1e-3, 1e3)  # factor, log-uniform
    background_prob: float = 0.7
    background: tuple = (1e-6, 3e-2)  # relative to the curve's largest intensity, log-uniform
    noise: tuple = (0.0, 0.05)  # extra relative noise (1 sigma), uniform
    resolution_prob: float = 0.6
    resolution: tuple = (0.0, 0.10)  # extra dq/q (1 sigma), uniform
    crop_prob: float = 0.7
    min_decades: float = 0.8
    density_prob: float = 0.7
    points: tuple = (24, 256)  # new number of points in the window, log-uniform
    linear_prob: float = 0.3  # chance the new points are evenly spaced in q (SAXS-like)
    clean_prob: float = 0.3  # chance a curve keeps its simulated instrument (only the scale changes)

    def __post_init__(self):
        for name in ("scale", "background", "noise", "resolution", "points"):
            lo, hi = getattr(self, name)
            if not lo <= hi:
                raise UsageError(f"Augmentation range {name} must have low <= high, got {(lo, hi)!r}.")
            object.__setattr__(self, name, (lo, hi))
        for name in ("background_prob", "resolution_prob", "crop_prob", "density_prob", "linear_prob", "clean_prob"):
            if not 0 <= getattr(self, name) <= 1:
                raise UsageError(f"Augmentation probability {name} must be between 0 and 1.")
        if self.scale[0] <= 0 or self.background[0] <= 0 or self.points[0] < 2:
            raise UsageError("Augmentation scale and background ranges must be positive and points at least 2.")

    @classmethod
    def from_dict(cls, d: dict) -> "AugmentSpec":
        return super().from_dict({"clean_prob": 0.0, **d})  # specs saved before clean_prob existed altered every curve

    def replace(self, **changes) -> "AugmentSpec":
        """A copy with some settings changed (``--augment-set NAME=VALUE``): a range
        takes ``[low, high]`` (a list or tuple), anything else a number; unknown
        names and wrong kinds of value are a :class:`UsageError`."""
        fields = [f for f in self.__dataclass_fields__ if f != "enabled"]
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise UsageError(f"Unknown augmentation setting(s) {', '.join(unknown)} (--augment-set); "
                             f"known: {', '.join(fields)}.")
        values = {}
        for name, value in changes.items():
            default = self.__dataclass_fields__[name].default
            if isinstance(default, tuple):
                ok = isinstance(value, (list, tuple)) and len(value) == 2 and \
                    all(isinstance(v, (int, float)) for v in value)
                if not ok:
                    raise UsageError(f"Augmentation setting {name} takes a range [low, high], e.g. {name}={list(default)}.")
                value = tuple(value)
            elif not isinstance(value, (int, float)) or isinstance(value, bool):
                raise UsageError(f"Augmentation setting {name} takes a number, e.g. {name}={default}.")
            values[name] = value
        return super().replace(**values)

    @classmethod
    def off(cls) -> "AugmentSpec":
        return cls(enabled=False)


def _log_uniform(rng, lo, hi, n):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def smear_reference(q, iq, offsets, rel_width):
    """Numpy version of the smearing kernel (see :func:`augment`)."""
    out = np.array(iq, dtype=np.float32, copy=True)
    for i in range(len(offsets) - 1):
        a, b = offsets[i], offsets[i + 1]
        r = rel_width[i]
        if r <= 0 or b - a < 3:
            continue
        qq = q[a:b].astype(np.float64)
        width = 0.5 * (np.concatenate([qq[1:], qq[-1:]]) - np.concatenate([qq[:1], qq[:-1]]))
        d = (qq[None, :] - qq[:, None]) / (r * qq[:, None])
        w = np.where(np.abs(d) <= 4.0, np.exp(-0.5 * d * d), 0.0) * width[None, :]
        den = w.sum(axis=1)
        num = w @ iq[a:b].astype(np.float64)
        out[a:b] = np.where(den > 0, num / np.where(den > 0, den, 1), iq[a:b])
    return out


def select_points_reference(q, offsets, lo, hi, npoints, linear):
    """Numpy version of the point-selection kernel (see :func:`augment`)."""
    keep = np.zeros(len(q), dtype=bool)
    for i in range(len(offsets) - 1):
        a, b = offsets[i], offsets[i + 1]
        qq = q[a:b].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            lq = np.where(qq > 0, np.log10(np.where(qq > 0, qq, 1)), -np.inf)
        inside = np.flatnonzero((qq > 0) & (lq >= lo[i]) & (lq <= hi[i]))
        if not len(inside):
            continue
        first, last = inside[0], inside[-1]
        if npoints[i] >= last - first + 1:
            keep[a + first:a + last + 1] = True
            continue
        frac = np.arange(npoints[i]) / (npoints[i] - 1) if npoints[i] > 1 else np.zeros(1)
        ql, qh = qq[first], qq[last]
        targets = ql + frac * (qh - ql) if linear[i] else ql * (qh / ql) ** frac
        ptr = first
        for t in targets:
            while ptr < last and abs(qq[ptr + 1] - t) <= abs(qq[ptr] - t):
                ptr += 1
            keep[a + ptr] = True
    return keep


def augment(batch: CurveBatch, rng: np.random.Generator, spec: AugmentSpec | None = None) -> CurveBatch:
    """A new batch: every curve of ``batch`` as seen by a randomly drawn instrument.

    Curves must have increasing q (simulated curves do).  Returns ``batch``
    itself when ``spec.enabled`` is false.
    """
    spec = spec or AugmentSpec()
    n = len(batch)
    if not spec.enabled or n == 0:
        return batch
    offsets = batch.offsets
    lengths = batch.lengths
    curve_of_point = np.repeat(np.arange(n), lengths)

    # curves left as simulated (drawn first only when asked for, so older specs draw as before)
    altered = rng.random(n) >= spec.clean_prob if spec.clean_prob > 0 else np.ones(n, dtype=bool)

    # 1. resolution smearing
    smear = np.where(altered & (rng.random(n) < spec.resolution_prob), rng.uniform(*spec.resolution, n), 0.0)
    if use_numba():
        from . import _kernels

        iq = np.empty(len(batch.iq), np.float64)
        _kernels.smear_kernel(batch.q, batch.iq, offsets, smear, iq)
    else:
        iq = smear_reference(batch.q, batch.iq, offsets, smear).astype(np.float64)

    # 2. scale, 3. flat background relative to the largest intensity
    scale = _log_uniform(rng, *spec.scale, n)
    safe = np.where(np.isfinite(iq), iq, -np.inf)
    peak = per_curve_reduce(np.maximum, safe, offsets, 0.0)
    peak = np.where(np.isfinite(peak) & (peak > 0), peak, 0.0)
    background = np.where(altered & (rng.random(n) < spec.background_prob),
                          _log_uniform(rng, *spec.background, n), 0.0) * peak
    iq = (iq + background[curve_of_point]) * scale[curve_of_point]
    diq = batch.diq.astype(np.float64) * scale[curve_of_point]

    # 4. extra relative noise
    noise = np.where(altered, rng.uniform(*spec.noise, n), 0.0)[curve_of_point] * np.abs(iq)
    iq = iq + noise * rng.standard_normal(len(iq))
    diq = np.sqrt(diq * diq + noise * noise)

    # 5. q window and point density
    with np.errstate(divide="ignore", invalid="ignore"):
        logq = np.log10(np.where(batch.q > 0, batch.q, np.nan).astype(np.float64))
    lq = np.where(np.isfinite(logq), logq, np.inf)
    first = per_curve_reduce(np.minimum, lq, offsets, 0.0)
    last = per_curve_reduce(np.maximum, np.where(np.isfinite(logq), logq, -np.inf), offsets, 0.0)
    first, last = np.where(np.isfinite(first), first, 0.0), np.where(np.isfinite(last), last, 0.0)
    span = np.maximum(last - first, 0.0)
    crop = altered & (rng.random(n) < spec.crop_prob) & (span > spec.min_decades)
    width = np.where(crop, rng.uniform(np.minimum(spec.min_decades, span), np.maximum(span, 1e-12)), span)
    start = first + rng.random(n) * (span - width)
    lo = np.where(crop, start, -np.inf)
    hi = np.where(crop, start + width, np.inf)
    npoints = np.where(altered & (rng.random(n) < spec.density_prob),
                       np.round(_log_uniform(rng, *spec.points, n)).astype(np.int64),
                       np.iinfo(np.int32).max).astype(np.int64)
    linear = rng.random(n) < spec.linear_prob
    if use_numba():
        from . import _kernels

        keep = np.empty(len(batch.q), dtype=np.bool_)
        _kernels.select_points_kernel(batch.q, offsets, lo, hi, npoints, linear, keep)
    else:
        keep = select_points_reference(batch.q, offsets, lo, hi, npoints, linear)

    new_lengths = np.bincount(curve_of_point[keep], minlength=n)
    columns = {"q": batch.q, "dq": batch.dq, "iq": iq, "diq": diq}
    if np.any(smear > 0):
        total = np.sqrt(np.asarray(batch.dq, np.float64) ** 2 + (smear[curve_of_point] * batch.q) ** 2)
        columns["dq"] = total
    # a scaled intensity past float32's range becomes inf, which preprocessing
    # masks like any other non-finite point: no warning for it
    with np.errstate(over="ignore"):
        return CurveBatch(
            models=batch.models,
            offsets=np.concatenate([[0], np.cumsum(new_lengths)]),
            **{c: np.asarray(columns[c])[keep] for c in COLUMNS},
            seeds=batch.seeds, indices=batch.indices, params=batch.params,
        )
