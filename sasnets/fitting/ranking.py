"""Ranking the fitted candidates: the network's probability as the prior, the fit as the evidence.

``score = ln(p) - BIC/2`` where ``p`` is the network probability (clipped
below at :data:`MIN_PROBABILITY`; all candidates get the same ``p`` when
there is no network, and a model the network does not know gets
1/len(labels)).  This is the log of a posterior probability with the network
output as the prior and ``exp(-BIC/2)`` as the Schwarz approximation of the
evidence; ``posterior`` is ``softmax(score)`` over the candidates.
``by="posterior"`` ranks by ``score`` (highest first); ``by="network"``
keeps the network's order (scores and posteriors are still reported), so
the fits check the network's answer rather than overrule it;
``by="adequate"`` keeps the network's order among the adequate fits
(reduced chi2 < 2) and puts the poor ones after them: the first answer is
the most probable model that fits the data.  Failed fits go last.

Which order is the better first answer depends on the classifier and the
data: where the fit search misses the true model's minimum more often than
the network errs, re-ranking lowers top-1, as it did for the instrument
classifier shipped before the realistic one; with the realistic classifier
re-ranking measured better (docs/fitting.md, Ranking), so ``posterior`` is
``sasnets fit``'s default.
"""
from __future__ import annotations

import math
from typing import Sequence

from ..errors import UsageError
from .result import FitResult

__all__ = ["rank_fits", "RANKINGS", "MIN_PROBABILITY", "DEFAULT_RANKING"]

#: Network probabilities are clipped below at this value before taking the log.
MIN_PROBABILITY = 1e-6
#: orders :func:`rank_fits` knows: the combined posterior, the network's probability alone, or the
#: network's probability with the adequate fits first
RANKINGS = ("posterior", "network", "adequate")
#: the order ``sasnets fit`` and :func:`~sasnets.fitting.fit_candidates` give by default (see the module docstring)
DEFAULT_RANKING = "posterior"


def rank_fits(results: Sequence[FitResult], default_probability: float | None = None,
              by: str = "posterior") -> list:
    """Set ``score``, ``posterior`` and ``rank`` on each result and return them
    best first: ``score = ln(max(p, 1e-6)) - BIC/2``, ``posterior =
    softmax(score)``, failed fits last.  A candidate without a probability
    (no network, or a model the network does not know) gets
    ``default_probability`` (``1/len(labels)`` of the classifier: no
    preference), or ``p = 1`` when none is given, which is the same for all
    candidates when no network was asked.  See the module docstring for why.

    ``by="network"`` orders the fitted candidates by network probability
    instead (ties, e.g. no network, by ``score``): the fits then check the
    network's order rather than overrule it, which is the better first answer
    where the fit search misses the true model's minimum more often than the
    network errs (see the module docstring).  ``by="adequate"`` is the network's order with the adequate
    fits (:attr:`FitResult.acceptable`) moved before the poor ones."""
    if by not in RANKINGS:
        raise UsageError(f"Unknown ranking {by!r}; choose from {', '.join(RANKINGS)} (--rank-by).")
    results = list(results)
    prior = {}
    for r in results:
        p = r.probability if r.probability is not None else default_probability
        prior[id(r)] = 0.0 if p is None else math.log(max(float(p), MIN_PROBABILITY))
        r.score = prior[id(r)] - 0.5 * r.bic if r.success and math.isfinite(r.chi2) else -math.inf
    finite = [r.score for r in results if math.isfinite(r.score)]
    top = max(finite) if finite else 0.0
    total = sum(math.exp(s - top) for s in finite)
    for r in results:
        r.posterior = math.exp(r.score - top) / total if math.isfinite(r.score) else 0.0

    def key(r):
        failed = not math.isfinite(r.score)
        poor = by == "adequate" and not r.acceptable
        first = -prior[id(r)] if by in ("network", "adequate") else 0.0
        return (failed, poor, first, -r.score if not failed else 0.0, -(r.probability or 0.0), r.model)
    ordered = sorted(results, key=key)
    for i, r in enumerate(ordered, 1):
        r.rank = i
    return ordered
