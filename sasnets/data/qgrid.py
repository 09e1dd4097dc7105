"""The q-grid a network reads.

A classifier sees every curve on one fixed set of log-spaced q points (1/Å).
Curves measured on other q points are resampled onto it by
:func:`sasnets.data.preprocess.resample_to_grid`; grid points outside a curve's
measured range are masked, never extrapolated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UsageError
from ..options import Options

__all__ = ["QGrid", "DEFAULT_QGRID"]


@dataclass(frozen=True)
class QGrid(Options):
    """``nq`` log-spaced q points from ``qmin`` to ``qmax`` (both included, 1/Å)."""

    qmin: float = 1e-3
    qmax: float = 0.5
    nq: int = 128

    def __post_init__(self):
        qmin, qmax, nq = float(self.qmin), float(self.qmax), int(self.nq)
        if not (np.isfinite(qmin) and np.isfinite(qmax) and 0 < qmin < qmax):
            raise UsageError(f"The q-grid needs 0 < qmin < qmax (--qmin/--qmax), got qmin={qmin:g}, qmax={qmax:g}.")
        if nq < 8:
            raise UsageError(f"The q-grid needs at least 8 points (--nq), got {nq}.")
        object.__setattr__(self, "qmin", qmin)
        object.__setattr__(self, "qmax", qmax)
        object.__setattr__(self, "nq", nq)

    @property
    def points(self) -> np.ndarray:
        """The grid's q values (float64, increasing)."""
        return np.logspace(np.log10(self.qmin), np.log10(self.qmax), self.nq)

    @property
    def log_points(self) -> np.ndarray:
        """``log10`` of :attr:`points`, evenly spaced."""
        return np.linspace(np.log10(self.qmin), np.log10(self.qmax), self.nq)

    @property
    def step(self) -> float:
        """Spacing of the grid in decades of q."""
        return (np.log10(self.qmax) - np.log10(self.qmin)) / (self.nq - 1)

    def to_dict(self) -> dict:
        return {"qmin": self.qmin, "qmax": self.qmax, "nq": self.nq, "spacing": "log"}

    @classmethod
    def from_dict(cls, d: dict) -> "QGrid":
        if d.get("spacing", "log") != "log":
            raise UsageError(f"Unsupported q-grid spacing {d.get('spacing')!r}; sasnets q-grids are log-spaced.")
        return cls(float(d["qmin"]), float(d["qmax"]), int(d["nq"]))

    @classmethod
    def covering(cls, q: np.ndarray, offsets: np.ndarray, nq: int = 128, quantile: float = 0.5) -> "QGrid":
        """A grid spanning the q range that typical curves of a dataset cover.

        ``qmin`` is the ``1 - quantile`` quantile of the curves' first q and
        ``qmax`` the ``quantile`` quantile of their last q, so that with the
        default (medians) at least half of the curves cover each end of the
        grid; with ``quantile=1`` the grid spans every point of every curve.
        """
        q = np.asarray(q, dtype=np.float64)
        offsets = np.asarray(offsets, dtype=np.int64)
        lengths = np.diff(offsets)
        keep = lengths > 0
        if not keep.any():
            raise UsageError("Cannot choose a q-grid from curves without points; pass --qmin and --qmax.")
        starts = offsets[:-1][keep]
        firsts = np.minimum.reduceat(np.where(q > 0, q, np.inf), starts)
        lasts = np.maximum.reduceat(q, starts)
        firsts = firsts[np.isfinite(firsts)]
        lo = float(np.quantile(firsts, 1.0 - quantile))
        hi = float(np.quantile(lasts, quantile))
        return cls(lo, hi, nq)


DEFAULT_QGRID = QGrid()
