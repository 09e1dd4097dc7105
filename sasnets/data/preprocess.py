"""Preprocessing shared by training and prediction: curves -> network input.

Three steps turn curves measured on any q points into the ``(n, nq, channels)``
float32 array a network reads:

1. :func:`resample_to_grid` puts ``log10 I`` on the classifier's log-spaced
   q-grid.  Inside a curve's measured range a grid point takes a straight-line
   fit (in log-log) of the measured points within half a grid step of it, or,
   where the curve is sparser than the grid, the log-log interpolation between
   the two measured points around it.  Grid points outside the measured range,
   or inside a gap wider than ``max_gap`` decades, are **masked**: their value
   is 0 and the mask channel says 0.  Nothing is extrapolated.  Points with
   ``I <= 0`` or non-finite values are ignored.
2. :func:`normalise_log_intensity` subtracts each curve's mean ``log10 I`` over
   its valid grid points, so the input does not depend on the absolute scale
   (units, concentration, contrast); robustness to a flat background comes from
   training-time augmentation (:mod:`sasnets.data.augment`).
3. :func:`preprocess` stacks the channels named by a :class:`PreprocessSpec`:
   ``logi`` (normalised log intensity), ``slope`` (local d log I / d log q, a
   scale- and window-independent shape feature) and ``mask``.

The batch kernel is compiled with numba (:mod:`sasnets.data._kernels`); a
pure-numpy reference (:func:`resample_to_grid_reference`) computes the same
values and is used when ``SASNETS_NO_NUMBA=1`` and by the tests.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence, Union

import numpy as np

from ..errors import DataError, UsageError
from ..options import Options
from .curves import Curve, CurveBatch
from .qgrid import QGrid

__all__ = [
    "PreprocessSpec",
    "CHANNELS",
    "resample_to_grid",
    "resample_to_grid_reference",
    "normalise_log_intensity",
    "local_slope",
    "preprocess",
    "as_batch",
    "use_numba",
    "iter_chunks",
]

#: channel name -> what it holds
CHANNELS = {
    "logi": "log10 I on the q-grid minus its mean over valid points, times log_scale; 0 where masked",
    "slope": "least-squares d log10 I / d log10 q over neighbouring valid grid points, times slope_scale; 0 where masked",
    "mask": "1 where the curve was measured at that grid point, 0 where it was not",
}

#: tolerance (decades of q) for a grid point to count as on a measured end point;
#: covers float32 rounding of q values stored exactly on the grid.
GRID_EPS = 1e-6

CurvesLike = Union[CurveBatch, Sequence[Curve], Curve]


@dataclass(frozen=True)
class PreprocessSpec(Options):
    """How curves become network input; saved in every classifier."""

    channels: tuple = ("logi", "slope", "mask")
    log_scale: float = 0.5
    slope_scale: float = 0.25
    slope_window: int = 2
    max_gap: float = 0.3  # decades of q

    def __post_init__(self):
        channels = tuple(self.channels)
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown or not channels:
            raise UsageError(
                f"Unknown preprocessing channel(s) {', '.join(map(repr, unknown)) or '(none given)'} (--channels); "
                f"choose from {', '.join(CHANNELS)}."
            )
        if len(set(channels)) != len(channels):
            raise UsageError(f"Channels repeat in {channels!r} (--channels); name each once.")
        object.__setattr__(self, "channels", channels)
        if self.slope_window < 1:
            raise UsageError("The slope window must be at least 1 grid point.")
        if not self.max_gap > 0:
            raise UsageError("The largest interpolation gap (max_gap) must be positive.")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        d["normalisation"] = "log10 I minus its mean over valid grid points"
        d["resampling"] = "log-log line fit within half a grid step, else log-log interpolation; masked outside the measured range"
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "PreprocessSpec":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: (tuple(v) if k == "channels" else v) for k, v in d.items() if k in known})


def use_numba() -> bool:
    """Whether the numba kernels are used (``SASNETS_NO_NUMBA=1`` turns them off)."""
    return os.environ.get("SASNETS_NO_NUMBA", "").strip() in ("", "0")


def as_batch(curves: CurvesLike) -> CurveBatch:
    """A :class:`CurveBatch` from a batch, one :class:`Curve` or a list of them."""
    if isinstance(curves, CurveBatch):
        return curves
    if isinstance(curves, Curve):
        curves = [curves]
    try:
        return CurveBatch.from_curves(list(curves))
    except (TypeError, ValueError) as exc:
        raise DataError(f"Cannot use these curves ({exc}); give a CurveBatch or a list of Curve objects.") from None


# -- resampling -------------------------------------------------------------
def resample_to_grid(batch: CurveBatch, qgrid: QGrid, max_gap: float = 0.3):
    """``(log10 I, mask)`` of every curve on ``qgrid``, both ``(n, nq)`` float32.

    See the module docstring for the rule; masked entries hold 0.
    """
    n = len(batch)
    out = np.zeros((n, qgrid.nq), np.float32)
    mask = np.zeros((n, qgrid.nq), np.float32)
    if n == 0:
        return out, mask
    if not use_numba():
        return resample_to_grid_reference(batch, qgrid, max_gap)
    from . import _kernels

    out64 = np.zeros((n, qgrid.nq), np.float64)
    _kernels.resample_kernel(batch.q, batch.iq, batch.offsets, qgrid.log_points,
                             0.5 * qgrid.step, float(max_gap), GRID_EPS, out64, mask)
    out[:] = out64
    return out, mask


def _resample_one(q, iq, grid, half_width, max_gap):
    eps = GRID_EPS
    q = np.asarray(q, np.float64)
    iq = np.asarray(iq, np.float64)
    ok = np.isfinite(q) & np.isfinite(iq) & (q > 0) & (iq > 0)
    x, y = np.log10(q[ok]), np.log10(iq[ok])
    order = np.argsort(x, kind="mergesort")
    x, y = x[order], y[order]
    out = np.zeros(len(grid))
    mask = np.zeros(len(grid))
    if len(x) == 0:
        return out, mask
    for j, g in enumerate(grid):
        if g < x[0] - eps or g > x[-1] + eps:
            continue
        inbin = (x >= g - half_width) & (x < g + half_width)
        if inbin.sum() >= 2:
            dx, yy = x[inbin] - g, y[inbin]
            cnt = len(dx)
            det = cnt * (dx @ dx) - dx.sum() ** 2
            if det > 1e-12 * cnt * cnt * half_width * half_width:
                out[j] = ((dx @ dx) * yy.sum() - dx.sum() * (dx @ yy)) / det
            else:
                out[j] = yy.mean()
            mask[j] = 1
            continue
        k = np.searchsorted(x, g, side="right") - 1
        k = max(k, 0)
        if abs(x[k] - g) <= eps:
            out[j], mask[j] = y[k], 1
        elif k + 1 < len(x) and x[k] < g and x[k + 1] - x[k] <= max_gap:
            t = (g - x[k]) / (x[k + 1] - x[k])
            out[j], mask[j] = y[k] + t * (y[k + 1] - y[k]), 1
        elif x[k] > g or (k == len(x) - 1):
            out[j], mask[j] = y[k], 1  # within eps of an end point
    return out, mask


def resample_to_grid_reference(batch: CurveBatch, qgrid: QGrid, max_gap: float = 0.3):
    """Pure-numpy, curve-by-curve version of :func:`resample_to_grid` (slow; for
    checking the numba kernel and for machines without numba)."""
    grid = qgrid.log_points
    out = np.zeros((len(batch), qgrid.nq), np.float32)
    mask = np.zeros((len(batch), qgrid.nq), np.float32)
    for i in range(len(batch)):
        a, b = batch.offsets[i], batch.offsets[i + 1]
        out[i], mask[i] = _resample_one(batch.q[a:b], batch.iq[a:b], grid, 0.5 * qgrid.step, max_gap)
    return out, mask


# -- normalisation and derived channels ---------------------------------------
def normalise_log_intensity(logi: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``logi`` minus each row's mean over its valid entries; masked entries stay 0.

    Multiplying a curve by any factor shifts ``log10 I`` by a constant, which
    this removes: the result does not depend on the absolute scale.
    """
    valid = mask > 0
    counts = valid.sum(axis=1, keepdims=True)
    sums = np.where(valid, logi, 0.0).sum(axis=1, keepdims=True, dtype=np.float64)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return np.where(valid, logi - means, 0.0).astype(np.float32)


def local_slope(logi: np.ndarray, mask: np.ndarray, step: float, window: int = 2) -> np.ndarray:
    """Least-squares slope d log10 I / d log10 q at each valid grid point from the
    valid points within ``window`` grid steps; 0 where masked or undetermined."""
    n, nq = logi.shape
    valid = (mask > 0).astype(np.float64)
    y = np.where(valid > 0, logi, 0.0).astype(np.float64)
    pad_v = np.pad(valid, ((0, 0), (window, window)))
    pad_y = np.pad(y, ((0, 0), (window, window)))
    s0 = np.zeros((n, nq))
    s1 = np.zeros((n, nq))
    s2 = np.zeros((n, nq))
    sy = np.zeros((n, nq))
    sdy = np.zeros((n, nq))
    for d in range(-window, window + 1):
        v = pad_v[:, window + d: window + d + nq]
        yy = pad_y[:, window + d: window + d + nq]
        s0 += v
        s1 += v * d
        s2 += v * d * d
        sy += v * yy
        sdy += v * d * yy
    det = s0 * s2 - s1 * s1
    ok = (det > 1e-9) & (valid > 0)
    slope = np.divide(s0 * sdy - s1 * sy, det, out=np.zeros_like(det), where=ok) / step
    return slope.astype(np.float32)


def preprocess(curves: CurvesLike, qgrid: QGrid, spec: PreprocessSpec | None = None) -> np.ndarray:
    """Network input ``(n, nq, len(spec.channels))`` float32 for any curves."""
    spec = spec or PreprocessSpec()
    batch = as_batch(curves)
    logi, mask = resample_to_grid(batch, qgrid, spec.max_gap)
    channels = []
    for name in spec.channels:
        if name == "logi":
            channels.append(normalise_log_intensity(logi, mask) * np.float32(spec.log_scale))
        elif name == "slope":
            channels.append(local_slope(logi, mask, qgrid.step, spec.slope_window) * np.float32(spec.slope_scale))
        elif name == "mask":
            channels.append(mask)
    return np.stack(channels, axis=-1).astype(np.float32, copy=False)


def iter_chunks(n: int, size: int) -> Iterable[slice]:
    """Slices covering ``range(n)`` in pieces of at most ``size``."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))

