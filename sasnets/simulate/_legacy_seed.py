"""Seeding ``np.random``'s global generator from a ``numpy.random.Generator``.

sasmodels' ``random()`` functions draw from ``np.random``'s global state; the
sampler (:mod:`sasnets.simulate.sampling`) and the structure factor draw
(:mod:`sasnets.simulate.products`) call them reproducibly through this.
"""
from __future__ import annotations

import contextlib

import numpy as np


@contextlib.contextmanager
def legacy_numpy_seed(rng: np.random.Generator):
    """Seed ``np.random``'s global generator from ``rng`` (one draw) and restore it after."""
    state = np.random.get_state()
    np.random.seed(int(rng.integers(2**32)))
    try:
        yield
    finally:
        np.random.set_state(state)
