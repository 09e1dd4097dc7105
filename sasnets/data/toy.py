"""A tiny analytic dataset for tests, examples and smoke runs.

:func:`toy_curves` draws curves of a few textbook form factors in closed form
(numpy only, no sasmodels kernels), so a training pipeline can be exercised in
seconds.  The names match sasmodels models whose shapes they resemble, but the
curves are *not* sasmodels simulations; use ``sasnets generate`` for real data.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .curves import Curve, CurveBatch

__all__ = ["toy_curves", "TOY_MODELS"]


def _sphere(q, rng):
    x = q * rng.uniform(20, 200)
    return (3 * (np.sin(x) - x * np.cos(x)) / x**3) ** 2


def _power_law(q, rng):
    return (q / q[0]) ** -rng.uniform(1.5, 4.0)


def _guinier(q, rng):
    return np.exp(-(q * rng.uniform(20, 300)) ** 2 / 3)


def _lamellar(q, rng):
    t = rng.uniform(10, 100)
    return 2 * (1 - np.cos(q * t)) / (q * t) ** 2 * (q / q[0]) ** -2


def _gauss_coil(q, rng):
    u = (q * rng.uniform(20, 200)) ** 2
    return 2 * (np.expm1(-u) + u) / u**2


def _cylinder_rod(q, rng):
    length, radius = rng.uniform(200, 1000), rng.uniform(5, 40)
    x = q * radius
    rod = 1.0 / (1.0 + (q * length / np.pi))
    return rod * np.exp(-x**2 / 4)


#: toy model name -> intensity shape function(q, rng)
TOY_MODELS = {
    "sphere": _sphere,
    "power_law": _power_law,
    "guinier": _guinier,
    "lamellar": _lamellar,
    "mono_gauss_coil": _gauss_coil,
    "cylinder": _cylinder_rod,
}


def toy_curves(n_per_model: int = 20, seed: int = 0, models: Sequence[str] = ("sphere", "power_law", "guinier", "lamellar"),
               nq: int | tuple = 100, qmin: float = 1e-3, qmax: float = 0.5, noise: float = 0.02,
               resolution: float = 0.03, background: float = 1e-4) -> CurveBatch:
    """``n_per_model`` curves of each toy model on log-spaced q.

    ``nq`` may be a ``(low, high)`` pair for ragged curves.  Intensities are
    scaled to ``1e3`` at low q, get a flat ``background`` (relative) and
    Gaussian relative ``noise``; ``diq`` and ``dq`` are filled.  Curves are
    reproducible from ``seed`` and carry seeds/indices like generated ones.
    """
    rng = np.random.default_rng(seed)
    curves = []
    for code, name in enumerate(models):
        shape = TOY_MODELS[name]
        for i in range(n_per_model):
            n = int(rng.integers(nq[0], nq[1] + 1)) if isinstance(nq, tuple) else int(nq)
            q = np.logspace(np.log10(qmin), np.log10(qmax), n)
            iq = shape(q, rng)
            iq = 1e3 * iq / iq[0] + background * 1e3
            iq = np.abs(iq * (1 + noise * rng.standard_normal(n)))
            curves.append(Curve(q=q, iq=iq, diq=noise * iq, dq=resolution * q, model=name,
                                params={}, seed=int(seed) * 100_000 + code * 10_000 + i, index=i))
    return CurveBatch.from_curves(curves)
