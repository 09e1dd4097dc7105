"""Which scattering models a classifier confuses: normalised confusion, distances, clustering.

The dendrogram of confusable models (2017 SASNets analysis) clusters models by
how often the classifier mistakes one for the other in either direction:
``D[i, j] = 1 - (C[i, j] + C[j, i]) / 2`` for the row-normalised confusion
``C`` (a model is at distance 0 from itself), clustered with average linkage.
Its leaf order also orders the confusion matrix, so blocks of confusable
models sit together on the diagonal.
"""
from __future__ import annotations

import numpy as np

from .metrics import confusion_matrix

__all__ = ["row_normalised", "confusion_distance", "confusion_linkage", "dendrogram_order"]


def row_normalised(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (rows without curves stay zero)."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / totals, 0.0)


def confusion_distance(proba, y) -> np.ndarray:
    """Symmetric distance matrix between scattering models from the confusion of ``proba``."""
    c = row_normalised(confusion_matrix(proba, y))
    d = 1.0 - (c + c.T) / 2.0
    np.fill_diagonal(d, 0.0)
    return np.clip(d, 0.0, 1.0)


def confusion_linkage(proba, y, method: str = "average") -> np.ndarray:
    """scipy hierarchical-clustering linkage of the models (needs at least two)."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    d = confusion_distance(proba, y)
    return linkage(squareform(d, checks=False), method=method)


def dendrogram_order(proba, y) -> np.ndarray:
    """Model indices in dendrogram leaf order (optimal leaf ordering: neighbours most confusable)."""
    k = np.asarray(proba).shape[1]
    if k < 3:
        return np.arange(k)
    from scipy.cluster.hierarchy import leaves_list, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    link = confusion_linkage(proba, y)
    d = squareform(confusion_distance(proba, y), checks=False)
    return leaves_list(optimal_leaf_ordering(link, d))
