"""Curves and batches of curves.

A :class:`Curve` is one measurement or simulation: ``q`` (1/Å), ``dq`` (1-sigma
q resolution, 1/Å), ``iq`` and ``diq`` (intensity and its 1-sigma error), plus
the scattering model it was simulated from (``model``, ``None`` for a measured
curve), the sampled parameter values and the seed that reproduces it.

A :class:`CurveBatch` holds many curves in flat ("ragged") float32 arrays with
an ``offsets`` index, so that curves of different lengths (instruments differ)
share one representation, reading from a store is one contiguous copy per
column, and a batch of equal-length curves reshapes to 2D without copying.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

__all__ = ["Curve", "CurveBatch", "per_curve_reduce", "SLIT_KEYS"]

COLUMNS = ("q", "dq", "iq", "diq")


#: keys of ``Curve.params`` that record a slit-smeared curve's resolution (1/Å), not model parameters
SLIT_KEYS = ("slit_length", "slit_width")


@dataclass
class Curve:
    """One 1D curve; arrays are 1D and of equal length.

    Resolution is pinhole (``dq``, 1-sigma, 1/Å) or slit (``slit_length`` and
    optionally ``slit_width``, 1/Å, per point, as sasmodels' ``Data1D.dxl`` /
    ``dxw``: USANS/USAXS).  A curve with a positive slit length is slit-smeared
    and its ``dq`` is not used.  A simulated slit-smeared curve records its
    (constant) slit length/width in ``params`` under :data:`SLIT_KEYS`, which
    stores keep, so the arrays are rebuilt from ``params`` when not given.
    """

    q: np.ndarray
    iq: np.ndarray
    diq: np.ndarray | None = None
    dq: np.ndarray | None = None
    model: str | None = None
    params: dict = field(default_factory=dict)
    seed: int = -1
    index: int = -1
    source: str | None = None  # file name for measured curves
    iq_units: str | None = None  # intensity units a measured file states ("1/cm"); None: arbitrary or unknown
    slit_length: np.ndarray | None = None
    slit_width: np.ndarray | None = None

    def __post_init__(self):
        for key in SLIT_KEYS:
            if getattr(self, key) is None and self.params and self.params.get(key):
                setattr(self, key, np.full(len(self.q), float(self.params[key])))

    def __len__(self) -> int:
        return len(self.q)

    @property
    def slit_smeared(self) -> bool:
        """True when the curve carries slit smearing (a positive slit length somewhere)."""
        return self.slit_length is not None and bool(np.any(np.asarray(self.slit_length) > 0))

    @property
    def model_parameters(self) -> dict:
        """``params`` without the resolution keys: what sasmodels takes to recompute the curve."""
        return {k: v for k, v in (self.params or {}).items() if k not in SLIT_KEYS}


@dataclass
class CurveBatch:
    """Many curves stored as flat arrays.

    Curve ``i`` occupies ``q[offsets[i]:offsets[i+1]]`` (likewise ``dq``,
    ``iq``, ``diq``).  ``models`` holds the scattering model name of each curve,
    ``seeds`` its seed, ``indices`` its position in the generation sequence of
    its (tag, model) pair (``-1`` when unknown, e.g. imported legacy data) and
    ``params`` its parameter values (a list of dicts, or ``None`` when they were
    not read).
    """

    models: np.ndarray
    offsets: np.ndarray
    q: np.ndarray
    dq: np.ndarray
    iq: np.ndarray
    diq: np.ndarray
    seeds: np.ndarray
    indices: np.ndarray
    params: list | None = None

    def __post_init__(self):
        self.models = np.asarray(self.models, dtype=object)
        self.offsets = np.asarray(self.offsets, dtype=np.int64)
        for name in COLUMNS:
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float32))
        self.seeds = np.asarray(self.seeds, dtype=np.int64)
        self.indices = np.asarray(self.indices, dtype=np.int64)
        n = len(self.models)
        if self.offsets.shape != (n + 1,) or (n and self.offsets[0] != 0):
            raise ValueError("offsets must have one more entry than there are curves and start at 0")
        total = int(self.offsets[-1]) if n else 0
        for name in COLUMNS:
            if getattr(self, name).shape != (total,):
                raise ValueError(f"column {name} has {getattr(self, name).size} values, offsets say {total}")
        if self.seeds.shape != (n,) or self.indices.shape != (n,):
            raise ValueError("seeds and indices need one entry per curve")
        if self.params is not None and len(self.params) != n:
            raise ValueError("params needs one entry per curve")

    # construction ---------------------------------------------------------
    @classmethod
    def empty(cls) -> "CurveBatch":
        z = np.zeros(0, np.float32)
        return cls(np.array([], dtype=object), np.zeros(1, np.int64), z, z, z, z,
                   np.zeros(0, np.int64), np.zeros(0, np.int64), [])

    @classmethod
    def from_curves(cls, curves: Iterable[Curve]) -> "CurveBatch":
        curves = list(curves)
        if not curves:
            return cls.empty()
        lengths = np.array([len(c.q) for c in curves], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)])

        def column(attr):
            return np.concatenate([
                np.asarray(getattr(c, attr) if getattr(c, attr) is not None else np.zeros(len(c.q)), dtype=np.float32)
                for c in curves
            ])

        return cls(
            models=np.array([c.model for c in curves], dtype=object),
            offsets=offsets,
            q=column("q"), dq=column("dq"), iq=column("iq"), diq=column("diq"),
            seeds=np.array([c.seed for c in curves], dtype=np.int64),
            indices=np.array([c.index for c in curves], dtype=np.int64),
            params=[dict(c.params) for c in curves],
        )

    @classmethod
    def from_matrix(cls, models: Sequence[str], q, iq, dq=None, diq=None, seeds=None,
                    indices=None, params=None) -> "CurveBatch":
        """Build a batch from 2D ``(n, npoints)`` arrays (q may be 1D, shared)."""
        iq = np.asarray(iq, dtype=np.float32)
        n, npts = iq.shape
        q = np.broadcast_to(np.asarray(q, dtype=np.float32), (n, npts))
        dq = np.zeros_like(iq) if dq is None else np.broadcast_to(np.asarray(dq, np.float32), (n, npts))
        diq = np.zeros_like(iq) if diq is None else np.asarray(diq, np.float32)
        return cls(
            models=np.asarray(models, dtype=object),
            offsets=np.arange(n + 1, dtype=np.int64) * npts,
            q=q.reshape(-1), dq=dq.reshape(-1), iq=iq.reshape(-1), diq=diq.reshape(-1),
            seeds=np.full(n, -1) if seeds is None else seeds,
            indices=np.full(n, -1) if indices is None else indices,
            params=params if params is not None else [{} for _ in range(n)],
        )

    @classmethod
    def concat(cls, batches: Sequence["CurveBatch"]) -> "CurveBatch":
        batches = [b for b in batches if len(b)]
        if not batches:
            return cls.empty()
        if len(batches) == 1:
            return batches[0]
        starts = np.cumsum([0] + [int(b.offsets[-1]) for b in batches[:-1]])
        offsets = np.concatenate([[0]] + [b.offsets[1:] + s for b, s in zip(batches, starts)])
        params = None if any(b.params is None for b in batches) else [p for b in batches for p in b.params]
        return cls(
            models=np.concatenate([b.models for b in batches]),
            offsets=offsets,
            **{c: np.concatenate([getattr(b, c) for b in batches]) for c in COLUMNS},
            seeds=np.concatenate([b.seeds for b in batches]),
            indices=np.concatenate([b.indices for b in batches]),
            params=params,
        )

    # access ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.models)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def curve(self, i: int) -> Curve:
        a, b = self.offsets[i], self.offsets[i + 1]
        return Curve(q=self.q[a:b], dq=self.dq[a:b], iq=self.iq[a:b], diq=self.diq[a:b],
                     model=self.models[i], params=dict(self.params[i]) if self.params is not None else {},
                     seed=int(self.seeds[i]), index=int(self.indices[i]))

    def __iter__(self):
        return (self.curve(i) for i in range(len(self)))

    def take(self, idx) -> "CurveBatch":
        """A new batch of the curves at positions ``idx`` (ints or a boolean mask)."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        lengths = self.lengths[idx]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        if len(idx) and np.all(lengths == lengths[0]) and np.all(self.lengths == lengths[0]):
            n = lengths[0]
            cols = {c: getattr(self, c).reshape(-1, n)[idx].reshape(-1) for c in COLUMNS}
        else:
            points = np.concatenate([np.arange(self.offsets[i], self.offsets[i + 1]) for i in idx]) if len(idx) else np.zeros(0, np.int64)
            cols = {c: getattr(self, c)[points] for c in COLUMNS}
        return CurveBatch(
            models=self.models[idx], offsets=offsets, **cols,
            seeds=self.seeds[idx], indices=self.indices[idx],
            params=[self.params[i] for i in idx] if self.params is not None else None,
        )

    def matrix(self, column: str = "iq") -> np.ndarray:
        """Column as a 2D ``(n, npoints)`` view; all curves must have equal length."""
        lengths = self.lengths
        if len(lengths) and np.any(lengths != lengths[0]):
            raise ValueError("curves have different numbers of points; resample them onto a q-grid first")
        n = int(lengths[0]) if len(lengths) else 0
        return getattr(self, column).reshape(len(self), n)

    def params_json(self) -> list[str]:
        """Each curve's parameters as a compact JSON string (stores write these)."""
        return [json.dumps(p, sort_keys=True, separators=(",", ":")) for p in (self.params or [{}] * len(self))]

    def equals(self, other: "CurveBatch") -> bool:
        """Exact equality of every column, label, seed and index (float32)."""
        return (
            len(self) == len(other)
            and np.array_equal(self.models.astype(str), other.models.astype(str))
            and np.array_equal(self.offsets, other.offsets)
            and all(np.array_equal(getattr(self, c), getattr(other, c), equal_nan=True) for c in COLUMNS)
            and np.array_equal(self.seeds, other.seeds)
            and np.array_equal(self.indices, other.indices)
        )


def per_curve_reduce(ufunc, values, offsets, empty: float) -> np.ndarray:
    """``ufunc.reduce`` over each curve's slice of the flat ``values`` (curve ``i`` is ``offsets[i]:offsets[i+1]``).

    Curves without points get ``empty``.
    """
    offsets = np.asarray(offsets)
    lengths = np.diff(offsets)
    out = np.full(len(lengths), empty, dtype=np.float64)
    nonempty = lengths > 0
    if nonempty.any():
        out[nonempty] = ufunc.reduceat(values, offsets[:-1][nonempty])
    return out
